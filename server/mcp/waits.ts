/**
 * A tool call that waits — for a human's decision or an execution's end — answers by TOOL_WAIT_MS
 * whatever the state is then, well before a client's default request timeout (60 s in the official
 * SDKs): a state still pending is an answer, and the agent calls again. While it waits it tells a
 * client that asked for progress (a progressToken) how long it has waited, every few seconds.
 */
import { LIMITS } from '../../core/limits'
import { readStatus, TERMINAL_STATUSES, waitForStatus } from '../executions/status'
import type { ToolCaller } from './tools'
import { TOOL_WAIT_MS } from './tool-schemas'

/** Told how long a call has waited so far, with a line for a person. */
export type WaitProgress = (waitedMs: number, message: string) => void

const PROGRESS_EVERY_MS = 5_000

/** The request's status once it ends, or as it is after the wait. */
export async function settle(caller: ToolCaller, id: string) {
  const viewer = { tenant: caller.agent }
  const now = await readStatus(caller.app, viewer, id)
  if (TERMINAL_STATUSES.has(now.body.status)) return now.body
  const started = Date.now()
  const waitingFor = id.startsWith('preq_') ? "your human's decision" : 'the execution to end'
  const ticker = caller.progress
    ? setInterval(() => {
        const waited = Date.now() - started
        caller.progress!(waited, `waiting for ${waitingFor} (${Math.round(waited / 1000)} s)`)
      }, PROGRESS_EVERY_MS)
    : undefined
  try {
    return await waitForStatus(caller.app, viewer, id, {
      timeoutMs: Math.min(TOOL_WAIT_MS, LIMITS.LONG_POLL_MAX_MS),
      signal: new AbortController().signal,
    })
  } finally {
    clearInterval(ticker)
  }
}
