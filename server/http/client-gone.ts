/**
 * A signal that aborts when the client goes away, for requests that wait (long-polls, inline
 * results). The client may have left already while auth was being checked: 'close' then fired.
 */
import type { H3Event } from 'h3'

export function clientGone(event: H3Event): AbortSignal {
  const gone = new AbortController()
  // 'close' also follows every answered request: only one closed before its answer is a leaver.
  event.node.res.once('close', () => {
    if (!event.node.res.writableFinished) gone.abort()
  })
  if (event.node.res.closed || event.node.req.socket?.destroyed) gone.abort()
  return gone.signal
}
