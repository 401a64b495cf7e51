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
      // A write after the stream closed (the client left) has nowhere to go; h3 rejects it, and
      // nothing waits on it to hear that.
      push: (name, data, id) =>
        stream.push({ event: name, data, ...(id ? { id } : {}) }).catch(NOTHING_TO_DO),
      close: () => stream.close(),
      onClosed: (listener) => stream.onClosed(listener),
      send: () => stream.send(),
    }
  }
}

const NOTHING_TO_DO = () => {}
