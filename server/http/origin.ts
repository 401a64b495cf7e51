/**
 * The public origin of every URL handed out. It comes from NITRO_PUBLIC_URL, or when unset from
 * the port this server actually listens on — never from Host, X-Forwarded-* or any other header
 * a client controls (AP-10).
 */
import type { H3Event } from 'h3'
import type { App } from '../app'

export function getPublicOrigin(event: H3Event, app: App): string {
  return app.settings.publicUrl ?? `http://localhost:${event.node.req.socket?.localPort ?? 3000}`
}
