/**
 * GET /execute/:id/events: an execution as Server-Sent Events — `stdout` and `stderr` chunks as
 * printed, each capability `call` as it completes (redacted), then `end` with the terminal status
 * body (the receipt included). A late subscriber first receives what happened so far. An execution
 * this process does not run (another node, or finished long ago) is answered from its record once
 * terminal. Each event's `id` is the reader's position after it (./event-position.ts): a client
 * that reconnects with Last-Event-ID gets only the rest. Held connections count against the same
 * per-tenant cap as long-polls.
 */
import { fail } from '../../core/errors'
import { LIMITS } from '../../core/limits'
import type { App } from '../app'
import { formatEventPosition, parseEventPosition, START, unread } from './event-position'
import type { LiveEvent, LiveFeeds } from './live'
import { describeExecution, type ExecutionRecord } from './records'
import { readStatus, TERMINAL_STATUSES, waitForStatus, type StatusViewer } from './status'

const HEARTBEAT_MS = 15_000

/** Where the events go: an event stream the HTTP edge opens (server/http/event-stream.ts). */
export interface EventSink {
  push(event: string, data: string, id?: string): Promise<void>
  close(): Promise<void>
  onClosed(listener: () => void): void
  /** Answers the request with the stream. */
  send(): Promise<void>
}

/** `lastEventId`: the Last-Event-ID of a reconnecting client; only what follows it is sent. */
export async function streamExecutionEvents(
  app: App,
  viewer: StatusViewer,
  id: string,
  open: () => EventSink,
  lastEventId?: string,
) {
  // Visibility first: another tenant's id is 404 like an unknown one, before any stream opens.
  const reading = await readStatus(app, viewer, id)
  if (!id.startsWith('exec_')) fail('NOT_FOUND')
  const release = app.longPolls.hold(viewer.tenant?.tenant_id ?? reading.agentId, 'stream')
  const stream = open()
  let closed = false
  // Every payload is JSON: one line, whatever the output holds. Each carries its position.
  const seen = parseEventPosition(lastEventId)
  let at = START
  const send = (live: LiveEvent) => {
    const { event, after } = unread(live, at, seen)
    at = after
    if (closed || !event) return undefined
    return stream.push(event.type, JSON.stringify(event.data), formatEventPosition(at))
  }
  const heartbeat = setInterval(() => {
    if (!closed) void stream.push('ping', '{}')
  }, HEARTBEAT_MS)
  const abort = new AbortController()
  stream.onClosed(() => {
    closed = true
    clearInterval(heartbeat)
    abort.abort()
    release()
  })

  const finish = async (body: unknown) => {
    await send({ type: 'end', data: body })
    await stream.close()
  }
  const following = followLiveFeed(app.live, id, send, () => void stream.close())
  if (following) {
    abort.signal.addEventListener('abort', following.stop)
    return stream.send()
  }
  void (async () => {
    // Not running here: its record, once terminal.
    let body = reading.body
    while (!closed && !app.lifecycle.stopping && !TERMINAL_STATUSES.has(body.status)) {
      body = await waitForStatus(app, viewer, id, {
        timeoutMs: LIMITS.LONG_POLL_MAX_MS,
        signal: abort.signal,
        // This stream already holds the tenant's slot.
        holdSlot: false,
      })
    }
    if (closed) return
    // Stopping before the end: the stream closes; the client reconnects (another instance).
    if (!TERMINAL_STATUSES.has(body.status)) return void stream.close()
    await replayRecord(send, body as unknown as ReturnType<typeof describeExecution>)
    await finish(body)
  })()
  return stream.send()
}

/**
 * This process's live feed of `id` through `send`: what happened so far, then the rest as it
 * comes, `close` after the end; null when this process holds no feed of it. The past is handed to
 * `send` in this same tick, never awaited: a live event (the end above all) can only follow it.
 * Awaiting each write let an end pushed meanwhile in ahead of the past, at a stale position, and
 * close the stream before the events it follows.
 */
export function followLiveFeed(
  live: LiveFeeds,
  id: string,
  send: (event: LiveEvent) => unknown,
  close: () => void,
): { stop(): void } | null {
  const subscription = live.subscribe(id, (event) => {
    send(event)
    if (event.type === 'end') close()
  })
  if (!subscription) return null
  for (const past of subscription.past) send(past)
  if (subscription.past.at(-1)?.type === 'end') close()
  return subscription
}

/** A terminal execution as the events it would have streamed. */
async function replayRecord(
  send: (live: LiveEvent) => unknown,
  body: { result?: ExecutionRecord['result'] },
) {
  const result = body.result
  if (!result) return
  if (result.stdout) await send({ type: 'stdout', data: result.stdout })
  if (result.stderr) await send({ type: 'stderr', data: result.stderr })
  for (const call of result.calls) await send({ type: 'call', data: call })
}
