/**
 * Server-Sent Events from GET /execute/:id/events as an async iterator: `stdout` and `stderr`
 * text as printed, each capability `call`, then `end` with the execution's status body.
 */
export type ExecutionEvent = (
  | { type: 'stdout'; data: string }
  | { type: 'stderr'; data: string }
  | { type: 'call'; data: CallRecord }
  | { type: 'end'; data: ExecutionStatus }
) & {
  /** Where the stream stands after this event: sent back as Last-Event-ID to resume. */
  id?: string
}

import type { CallRecord, ExecutionStatus } from './types'

export async function* parseEventStream(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ExecutionEvent> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n')
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let name = 'message'
        let id: string | undefined
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) name = line.slice(6).trim()
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
          else if (line.startsWith('id:')) id = line.slice(3).trim()
        }
        if (!data.length || !['stdout', 'stderr', 'call', 'end'].includes(name)) continue
        const event = { type: name, data: JSON.parse(data.join('\n')) }
        yield (id ? { ...event, id } : event) as ExecutionEvent
        if (name === 'end') return
      }
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
}
