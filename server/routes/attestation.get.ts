import { readAttestation } from '../attestation/attestation'
import { defineApiRoute } from '../http/define-route'
import { readQueryString } from '../http/query'

export default defineApiRoute(
  {
    auth: 'none',
    query: ['nonce'],
    answers: { 200: 'attestation' },
    summary:
      'The signing key and, inside a TEE, a quote whose report_data binds it and ?nonce= (hex, ≤ 32 bytes); tee says where this server runs.',
    returns:
      '{ tee, report_data, nonce, signing_key, key_id, version, quote?, event_log?, vm_config?, app_id?, instance_id?, compose_hash?, message? }',
  },
  ({ event, app }) => readAttestation(app.environment, readQueryString(event, 'nonce', 64)),
)
