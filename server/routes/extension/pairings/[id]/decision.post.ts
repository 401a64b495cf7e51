import { getRouterParam } from 'h3'
import { defineApiRoute } from '../../../../http/define-route'
import { decidePairing } from '../../../../extension/pairings'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 200: 'extensionDecided' },
    summary:
      "The owner grants (an upload-only credential for the pairing's sites) or declines a browser extension's pairing.",
    body: 'extensionDecision',
    returns: '{ state, credential_id? }',
  },
  ({ event, app, caller, body }) =>
    decidePairing(app, caller, getRouterParam(event, 'id') ?? '', body.grant),
)
