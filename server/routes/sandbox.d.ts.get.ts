import { setResponseHeader } from 'h3'
import { SANDBOX_DTS } from '../../core/capabilities/sandbox-typings'
import { defineApiRoute } from '../http/define-route'

export default defineApiRoute(
  {
    auth: 'none',
    summary:
      "The sandbox's globals beyond lib es2022 as TypeScript declarations (every permit's .d.ts holds them too).",
    returns: 'A .d.ts file.',
    produces: 'text/plain',
  },
  ({ event }) => {
    setResponseHeader(event, 'content-type', 'text/plain; charset=utf-8')
    setResponseHeader(event, 'cache-control', 'public, max-age=3600')
    return SANDBOX_DTS
  },
)
