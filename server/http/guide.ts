/**
 * GET /: the guide for agents, in Markdown, with absolute URLs from the public origin.
 */
import type { ApiRoute } from './route-index'

export const AUTH_LABEL: Record<ApiRoute['auth'], string> = {
  none: 'no auth',
  agent: 'agent token',
  owner: 'owner token',
  tenant: 'any token',
  'approval-link': '?token= from approval_url',
  'tenant-or-approval-link': 'any token, or ?token= from approval_url',
  'tenant-or-status-link': 'any token, or the link itself (status_url)',
  'owner-or-passkey': "owner token, or the owner's passkey confirming it",
  'optional-tenant': 'no auth (an owner token or page session acts for that owner)',
  'owner-or-upload-credential': "owner token, or a browser extension's upload credential",
}

export function renderGuide(origin: string, routes: ApiRoute[]): string {
  const endpoints = routes
    .map(
      (route) =>
        `| \`${route.method} ${route.path}\` | ${AUTH_LABEL[route.auth]} | ${route.summary} |`,
    )
    .join('\n')
  return `# OAuth3

Attested execution for AI agents — TEE-sandboxed, human-approved, capability-scoped.
Your code runs with only the capability functions a human approved; their secrets stay on the server.

## The flow

1. **Sign up**: \`curl -X POST ${origin}/signup -H 'Content-Type: application/json' -d '{"name":"my-agent"}'\`
   → \`{ tenant_id, role, token, jwt, api_key, tee_url }\` (\`jwt\` and \`api_key\` repeat \`token\`). Keep the
   token: it is shown once. Send it as \`Authorization: Bearer <token>\`.
2. **Request a permit**: \`POST ${origin}/permit\` with \`{ description, capabilities: [...] }\`
   → \`202 { request_id, permit_id, approval_url, status_url, capabilities: [{name, signature}], manifest_sha256 }\`.
   Give \`approval_url\` to your human. Capability types and their schemas: \`GET ${origin}/plugins\`.
3. **Wait for the decision**: \`GET status_url\` exactly as given: it already includes \`?wait=true\` and a
   read-only token for that one request, so it needs no header (your bearer token works too); do not append
   query parameters. It long-polls up to 120 s, then answers the current state.
4. **Execute** under the permit: \`POST ${origin}/execute\` with \`{ permit_id, code, args }\` (code is an async
   function body; \`return x\` sets \`result.value\`), then poll its \`status_url\` the same way.
   Or ask for a permit bound to a registry skill (\`{ "skill_id": "github-create-issue@^1" }\`) and execute it
   with \`{ permit_id, args }\`. Skills: \`GET ${origin}/skills\`. Your recent executions: \`GET ${origin}/history\`.

## Your code

Code is the body of an async function, run in a fresh SES Compartment. Its only globals are the
capability functions of the permit (named by the last segment of the capability's name, arguments
in \`params\` order), a frozen \`args\`, and \`console\` (\`log\`/\`info\` → stdout, \`warn\`/\`error\` → stderr).
There is no \`fetch\`, \`process\`, \`require\`, \`import()\`, \`setTimeout\`/\`setInterval\` or typed array, and no
clock: \`Date.now()\` and \`Math.random()\` throw. The text \`import(\` and a direct \`eval(\` are refused anywhere
in the source (\`400\`), even inside a string. A failed capability call rejects with an \`Error\` whose \`code\`
names the failure (\`missing_secret\`, \`upstream_status\` with \`status\`, …). Code that returns while leaving a
promise loop running fails as \`left_running\`.

Retrying a \`POST /execute\`? Send an \`Idempotency-Key\` header (or \`idempotency_key\`): the same key with the
same request answers the first execution; the same key with another request is \`422 IDEMPOTENCY_KEY_REUSED\`.

## Status words

- Permit request: \`pending\` → \`completed\` (approved) | \`denied\` | \`expired\`.
- Execution: \`pending\` → \`approved\` → \`executing\` → \`completed\` | \`failed\`.
- Terminal: \`completed\`, \`failed\`, \`denied\`, \`expired\`.

## Trust

\`GET /attestation?nonce=<hex>\` says where this server runs (\`tee\`: \`tdx\`, \`simulated\` or \`none\`) and,
inside TDX, gives a quote binding its \`signing_key\` and your nonce. Every terminal \`result\` carries a
\`receipt\` signed by that key. Verify both offline: \`npx oauth3 attest verify --url <this server>\`, then
\`npx oauth3 receipt verify <saved status body> --url <this server>\`.

## Other ways in

- Live output: \`GET /execute/:id/events\` (Server-Sent Events; the status_url's \`?token=\` works).
- Typed capabilities: \`GET /sessions/:id/types\` is a .d.ts of the permit's functions and \`args\`.
- MCP: \`POST ${origin}/mcp\` (Streamable HTTP, your bearer token): tools for skills, permits, code, results.
- The SDK and the \`oauth3\` command ship with the server's source; see its README.

## Endpoints

| endpoint | auth | what |
| --- | --- | --- |
${endpoints}

## Errors

Every error is JSON \`{ "error": "...", "code": "STABLE_CODE", "details"?: {...} }\` with its HTTP status.
Branch on \`code\`. \`429\` and \`503\` carry \`Retry-After\`.
`
}
