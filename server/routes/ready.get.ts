import { setResponseHeader, setResponseStatus } from 'h3'
import { readReadiness } from '../http/readiness'
import { defineApiRoute } from '../http/define-route'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 200: 'ready', 503: 'ready' },
    duringRecovery: true,
    summary:
      'Readiness for a load balancer: 200 when the store answers and still holds its data, the sandbox has processes and startup recovery has run; 503 otherwise.',
    returns:
      '{ status: ready|unready, store: ok|unavailable|lost, sandbox, recovery, stopping, store_data?, store_durability? }',
  },
  async ({ app, event }) => {
    const readiness = await readReadiness(app)
    if (readiness.status !== 'ready') {
      setResponseStatus(event, 503)
      setResponseHeader(event, 'retry-after', 1)
    }
    setResponseHeader(event, 'cache-control', 'no-store')
    return readiness
  },
)
