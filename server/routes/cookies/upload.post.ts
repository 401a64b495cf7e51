import { defineApiRoute } from '../../http/define-route'
import { uploadCookies } from '../../vault/cookies'

export default defineApiRoute(
  {
    auth: 'owner',
    answers: { 200: 'cookiesUploadAnswer' },
    summary:
      'Store browser cookies for one site (JSON array or DevTools table rows) as the secret COOKIES_<DOMAIN>.',
    body: 'cookiesUpload',
    returns: '{ success, secret_name, count }',
  },
  ({ app, caller, body }) => uploadCookies(app, caller.tenant_id, body),
)
