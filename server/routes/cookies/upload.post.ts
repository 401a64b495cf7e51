import { defineApiRoute } from '../../http/define-route'
import { uploadCredentialOf } from '../../http/auth'
import { uploadCookies } from '../../vault/cookies'

export default defineApiRoute(
  {
    auth: 'owner-or-upload-credential',
    answers: { 200: 'cookiesUploadAnswer' },
    summary:
      "Store browser cookies for one site (JSON array or DevTools table rows) as the secret COOKIES_<DOMAIN>; a browser extension's upload credential only for the sites granted to it.",
    body: 'cookiesUpload',
    returns: '{ success, secret_name, count }',
  },
  ({ event, app, caller, body }) =>
    uploadCookies(app, caller.tenant_id, body, uploadCredentialOf(event)),
)
