/**
 * Instance leases. Every server instance holds `lease:<instance>` in the store and renews it five
 * times per NITRO_LEASE_SECONDS; an execution belongs to the instance named by its running marker.
 * When an instance's lease lapses (it died, or lost the store) any instance marks its unfinished
 * executions failed (`interrupted`) — never re-run. A lapsed lease is acted on only after it has
 * stayed absent for two more renewals, so a live instance whose store came back first renews.
 * At boot there is no such wait: the embedded store has one process (its predecessor is dead),
 * and on Redis an instance without a lease is gone. Bound: an instance's executions are failed
 * within 1.8 × the lease after its last renewal.
 */
import { randomBytes } from 'node:crypto'
import { failure, isApiError } from '../../core/errors'
import type { App } from '../app'
import { isTerminal, readExecution, readRunningMarkers, removeRunningMarker } from './records'
import { finishExecution } from './run'
import { useLogger } from '../telemetry/logger'

const leaseKey = (instance: string) => `lease:${instance}`

export interface LeaseTimings {
  leaseMs: number
  renewMs: number
  graceMs: number
}

export function leaseTimings(leaseSeconds: number): LeaseTimings {
  const leaseMs = leaseSeconds * 1000
  const renewMs = Math.round(leaseMs / 5)
  return { leaseMs, renewMs, graceMs: 2 * renewMs }
}

/** This start's name: the configured node id and a random suffix, so no two starts share one. */
export function newInstanceId(nodeId: string): string {
  return `${nodeId}.${randomBytes(4).toString('hex')}`
}

export interface Leases {
  /** Renew this instance's lease and act on lapsed ones (at boot: `boot`). Answers how many failed. */
  tick(options?: { boot?: boolean }): Promise<number>
  /** Stop renewing; with `release`, give the lease up (a clean stop). */
  stop(options?: { release?: boolean }): Promise<void>
}

export function createLeases(app: App): Leases {
  const { instanceId, store } = app
  const timings = leaseTimings(app.settings.leaseSeconds)
  /** Instances seen without a lease: since when (this process's clock). */
  const lapsedSince = new Map<string, number>()
  let timer: NodeJS.Timeout | undefined
  let failing = false
  let running: Promise<number> | undefined

  async function renew() {
    const lease = { instance: instanceId, renewed_at: Date.now() }
    await store.set(leaseKey(instanceId), lease, { ttlMs: timings.leaseMs })
  }

  async function isDead(node: string, boot: boolean, now: number) {
    if (boot && store.kind === 'embedded') return true
    if (await store.get(leaseKey(node))) {
      lapsedSince.delete(node)
      return false
    }
    if (boot) return true
    const since = lapsedSince.get(node) ?? now
    lapsedSince.set(node, since)
    return now - since >= timings.graceMs
  }

  async function sweep(boot: boolean): Promise<number> {
    const now = Date.now()
    const byNode = new Map<string, string[]>()
    for (const { node, id } of await readRunningMarkers(app)) {
      byNode.set(node, [...(byNode.get(node) ?? []), id])
    }
    let failed = 0
    const interrupted = failure(
      'interrupted',
      'the server instance running it stopped or lost its store; it was not re-run',
    )
    for (const [node, ids] of byNode) {
      if (node === instanceId) {
        // Our own markers outlive their execution only when clearing them failed (an outage).
        for (const id of ids) {
          const record = await readExecution(app, id)
          if (record && isTerminal(record.status)) await removeRunningMarker(app, node, id)
        }
        continue
      }
      if (!(await isDead(node, boot, now))) continue
      for (const id of ids) {
        const record = await readExecution(app, id)
        if (!record) {
          await removeRunningMarker(app, node, id)
          continue
        }
        if (!isTerminal(record.status)) failed++
        await finishExecution(app, id, undefined, interrupted)
      }
      lapsedSince.delete(node)
    }
    for (const node of lapsedSince.keys()) if (!byNode.has(node)) lapsedSince.delete(node)
    return failed
  }

  async function tick(options: { boot?: boolean } = {}): Promise<number> {
    await renew()
    const failed = await sweep(options.boot === true)
    if (failed && !options.boot) {
      useLogger().warn(
        { interrupted: failed },
        `leases: ${failed} execution(s) of a lapsed instance marked failed`,
      )
    }
    return failed
  }

  function schedule() {
    timer = setTimeout(async () => {
      running = tick()
      try {
        await running
        if (failing) useLogger().warn('leases: renewing again')
        failing = false
      } catch (error) {
        // The store is down: requests answer 503 meanwhile; the next tick tries again.
        if (!failing) {
          const reason = isApiError(error) ? error.code : (error as Error).message
          useLogger().error({ cause: reason }, 'leases: could not renew; retrying')
        }
        failing = true
      }
      if (timer) schedule()
    }, timings.renewMs)
    timer.unref()
  }
  schedule()

  return {
    tick,
    async stop(options = {}) {
      clearTimeout(timer)
      timer = undefined
      await running?.catch(() => {})
      if (options.release) await store.remove(leaseKey(instanceId)).catch(() => {})
    },
  }
}
