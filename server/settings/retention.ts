/**
 * How long history is kept (NITRO_RETENTION_DAYS): executions with their output, calls and
 * activity entries, and permit requests once decided or out of force.
 */
import type { App } from '../app'

const DAY_MS = 24 * 3600_000

export function retentionMs(app: Pick<App, 'settings'>): number {
  return Math.max(1, Math.round(app.settings.retentionDays * DAY_MS))
}
