import { defineApiRoute } from '../http/define-route'

export default defineApiRoute(
  {
    auth: 'none',
    summary: 'Liveness, store kind, open long-polls.',
    returns: '{ status, tee, store, long_polls }',
  },
  ({ app }) => ({
    status: 'ok',
    tee: app.environment.tee,
    store: app.store.kind,
    long_polls: app.notifier.waiting,
  }),
)
