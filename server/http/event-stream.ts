/**
 * A Server-Sent Events answer (h3's event stream) behind the plain sink the execution events
 * write to (server/executions/events.ts), so that service never sees the request.
 */
import { createEventStream, type H3Event } from 'h3'
import type { EventSink } from '../executions/events'

export function eventStreamOf(event: H3Event): () => EventSink {
  return () => {
    const stream = createEventStream(event)
    return {
      push: (name, data, id) => stream.push({ event: name, data, ...(id ? { id } : {}) }),
      close: () => stream.close(),
      onClosed: (listener) => stream.onClosed(listener),
      send: () => stream.send(),
    }
  }
}
