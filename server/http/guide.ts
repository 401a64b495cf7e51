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
   → \`{ tenant_id, role, token }\`. Keep the token: it is shown once. Send it as \`Authorization: Bearer <token>\`.
2. **Request a permit**: \`POST ${origin}/permit\` with \`{ description, capabilities: [...] }\`
   → \`202 { request_id, permit_id, approval_url, status_url, capabilities: [{name, signature}], manifest_sha256 }\`.
   Give \`approval_url\` to your human. Capability types and their schemas: \`GET ${origin}/plugins\`.
3. **Wait for the decision**: \`GET status_url\` (with your token). It already includes \`?wait=true\`:
   do not append query parameters. It long-polls up to 120 s, then answers the current state.
4. **Execute** under the permit: \`POST ${origin}/execute\` with \`{ permit_id, code, args }\` (code is an async
   function body; \`return x\` sets \`result.value\`), then poll its \`status_url\` the same way.
   Or ask for a permit bound to a registry skill (\`{ "skill_id": "github-create-issue@^1" }\`) and execute it
   with \`{ permit_id, args }\`. Skills: \`GET ${origin}/skills\`.

## Status words

- Permit request: \`pending\` → \`completed\` (approved) | \`denied\` | \`expired\`.
- Execution: \`pending\` → \`approved\` → \`executing\` → \`completed\` | \`failed\`.
- Terminal: \`completed\`, \`failed\`, \`denied\`, \`expired\`.

## Endpoints

| endpoint | auth | what |
| --- | --- | --- |
${endpoints}

## Errors

Every error is JSON \`{ "error": "...", "code": "STABLE_CODE", "details"?: {...} }\` with its HTTP status.
Branch on \`code\`. \`429\` and \`503\` carry \`Retry-After\`.
`
}
