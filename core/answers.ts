/**
 * The JSON Schemas of every API answer (schemas/*.schema.json beside the request schemas): each
 * route names the ones it answers, by status (server/http/define-route.ts), GET /openapi.json
 * serves them as components, and the test suite checks every answer it receives against them.
 * The server itself never validates an answer: the schemas describe it, the suite proves it.
 */
import actionsPage from '../schemas/actions-page.schema.json'
import agentCreated from '../schemas/agent-created.schema.json'
import agentList from '../schemas/agent-list.schema.json'
import approvalView from '../schemas/approval-view.schema.json'
import approveAnswer from '../schemas/approve-answer.schema.json'
import attestation from '../schemas/attestation.schema.json'
import callRecord from '../schemas/call-record.schema.json'
import cookiesUploadAnswer from '../schemas/cookies-upload-answer.schema.json'
import deleted from '../schemas/deleted.schema.json'
import error from '../schemas/error.schema.json'
import executeAccepted from '../schemas/execute-accepted.schema.json'
import executionResult from '../schemas/execution-result.schema.json'
import extensionPairingAnswer from '../schemas/extension-pairing-answer.schema.json'
import extensionCollected from '../schemas/extension-collected.schema.json'
import extensionDecided from '../schemas/extension-decided.schema.json'
import uploadCredentialList from '../schemas/upload-credential-list.schema.json'
import health from '../schemas/health.schema.json'
import historyPage from '../schemas/history-page.schema.json'
import jsonDocument from '../schemas/json-document.schema.json'
import jsonRpcAnswer from '../schemas/json-rpc-answer.schema.json'
import normalizedCapability from '../schemas/normalized-capability.schema.json'
import passkeyList from '../schemas/passkey-list.schema.json'
import passkeyOptionsAnswer from '../schemas/passkey-options-answer.schema.json'
import passkeyOwner from '../schemas/passkey-owner.schema.json'
import pendingRequests from '../schemas/pending-requests.schema.json'
import permit from '../schemas/permit.schema.json'
import permitAnswer from '../schemas/permit-answer.schema.json'
import plugins from '../schemas/plugins.schema.json'
import ready from '../schemas/ready.schema.json'
import receipt from '../schemas/receipt.schema.json'
import secretChange from '../schemas/secret-change.schema.json'
import secretList from '../schemas/secret-list.schema.json'
import sessionsPage from '../schemas/sessions-page.schema.json'
import signedOut from '../schemas/signed-out.schema.json'
import signupAnswer from '../schemas/signup-answer.schema.json'
import skillList from '../schemas/skill-list.schema.json'
import skillPublished from '../schemas/skill-published.schema.json'
import skillVersion from '../schemas/skill-version.schema.json'
import skillVersions from '../schemas/skill-versions.schema.json'
import statusBody from '../schemas/status-body.schema.json'
import statusWord from '../schemas/status-word.schema.json'
import tenant from '../schemas/tenant.schema.json'

export const ANSWER_SCHEMAS = {
  actionsPage,
  agentCreated,
  agentList,
  approvalView,
  approveAnswer,
  attestation,
  callRecord,
  cookiesUploadAnswer,
  deleted,
  error,
  executeAccepted,
  executionResult,
  extensionPairingAnswer,
  extensionCollected,
  extensionDecided,
  uploadCredentialList,
  health,
  historyPage,
  jsonDocument,
  jsonRpcAnswer,
  normalizedCapability,
  passkeyList,
  passkeyOptionsAnswer,
  passkeyOwner,
  pendingRequests,
  permit,
  permitAnswer,
  plugins,
  ready,
  receipt,
  secretChange,
  secretList,
  sessionsPage,
  signedOut,
  signupAnswer,
  skillList,
  skillPublished,
  skillVersion,
  skillVersions,
  statusBody,
  statusWord,
  tenant,
} as const

export type AnswerName = keyof typeof ANSWER_SCHEMAS
