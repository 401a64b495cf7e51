import { getRequestHeader, getRouterParam } from 'h3'
import { streamExecutionEvents } from '../../../executions/events'
import { defineApiRoute } from '../../../http/define-route'
import { eventStreamOf } from '../../../http/event-stream'
import { readQueryString } from '../../../http/query'

export default defineApiRoute(
  {
    auth: 'tenant-or-status-link',
    query: ['token'],
    headers: ['Last-Event-ID'],
    summary:
      "An execution's live output as Server-Sent Events: stdout, stderr, each capability call (redacted), then end with the status body; a late subscriber gets what happened so far, a reconnecting one (Last-Event-ID) only the rest.",
    returns:
      'text/event-stream: events stdout | stderr (JSON string), call (call record), end (status body)',
    produces: 'text/event-stream',
  },
  ({ event, app, caller }) =>
    streamExecutionEvents(
      app,
      { tenant: caller, statusToken: readQueryString(event, 'token') },
      getRouterParam(event, 'id') ?? '',
      eventStreamOf(event),
      getRequestHeader(event, 'last-event-id'),
    ),
)
