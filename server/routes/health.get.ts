import { readBuildInfo } from '../attestation/build-info'
import { defineApiRoute } from '../http/define-route'

export default defineApiRoute(
  {
    auth: 'none',
    answers: { 200: 'health' },
    summary:
      'Liveness, store kind, open long-polls, and what runs (version, commit, build digest).',
    returns: '{ status, tee, store, long_polls, version, commit, build_digest }',
  },
  ({ app }) => ({
    status: 'ok',
    ...readBuildInfo(),
    tee: app.environment.tee,
    store: app.store.kind,
    long_polls: app.notifier.waiting,
  }),
)
