/**
 * The public API in one table: the guide at GET / and GET /openapi.json are both built from it,
 * and a test checks that every route file is listed here.
 */
import { SCHEMAS } from './schemas'

export type RouteAuth = 'none' | 'agent' | 'owner' | 'tenant' | 'approval-token'

export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  auth: RouteAuth
  summary: string
  body?: keyof typeof SCHEMAS
  status?: number
}

export const API_ROUTES: ApiRoute[] = [
  { method: 'GET', path: '/', auth: 'none', summary: 'This guide (Markdown).' },
  {
    method: 'GET',
    path: '/health',
    auth: 'none',
    summary: 'Liveness, store kind, open long-polls.',
  },
  {
    method: 'GET',
    path: '/openapi.json',
    auth: 'none',
    summary: 'OpenAPI 3.1 description built from the JSON Schemas.',
  },
  {
    method: 'GET',
    path: '/plugins',
    auth: 'none',
    summary: 'Capability types with their JSON Schemas.',
  },
  {
    method: 'POST',
    path: '/signup',
    auth: 'none',
    summary: 'Create an account; the token is shown once.',
    body: 'signup',
    status: 201,
  },
  {
    method: 'GET',
    path: '/me',
    auth: 'tenant',
    summary: 'The caller: tenant_id, role, name, created_at.',
  },
  {
    method: 'POST',
    path: '/agents',
    auth: 'owner',
    summary: 'Mint an agent bound to this owner.',
    body: 'agentCreate',
    status: 201,
  },
  {
    method: 'POST',
    path: '/permit',
    auth: 'agent',
    summary: 'Request a permit for capabilities; answers approval_url and status_url.',
    body: 'permitRequest',
    status: 202,
  },
  {
    method: 'GET',
    path: '/approve/{id}',
    auth: 'approval-token',
    summary: 'The permit request as the approver sees it (?token= from approval_url).',
  },
  {
    method: 'POST',
    path: '/approve/{id}',
    auth: 'owner',
    summary: 'Approve or deny, once, bound to manifest_sha256.',
    body: 'approve',
  },
  {
    method: 'POST',
    path: '/execute',
    auth: 'agent',
    summary:
      'Run code (an async function body) under a permit, or with no capabilities; answers status_url.',
    body: 'executeRequest',
    status: 202,
  },
  {
    method: 'GET',
    path: '/execute/{id}/stdout',
    auth: 'tenant',
    summary: 'The stdout of an execution, as text/plain.',
  },
  {
    method: 'GET',
    path: '/session/{id}/actions',
    auth: 'tenant',
    summary:
      "A permit's activity: executions with their capability calls, newest first (?cursor=, ?limit=; or ?token= from approval_url).",
  },
  {
    method: 'GET',
    path: '/execute/{id}/status',
    auth: 'tenant',
    summary:
      'Status of a permit request or execution; ?wait=true long-polls up to 120 s (&timeout=ms).',
  },
  {
    method: 'GET',
    path: '/sessions',
    auth: 'tenant',
    summary: 'Permits visible to the caller, newest first (?cursor=, ?limit=).',
  },
  { method: 'GET', path: '/sessions/{id}', auth: 'tenant', summary: 'One permit.' },
  {
    method: 'DELETE',
    path: '/sessions/{id}',
    auth: 'tenant',
    summary: 'Revoke a permit (its owner or its agent).',
  },
  {
    method: 'POST',
    path: '/secrets',
    auth: 'owner',
    summary: 'Store a secret (encrypted at rest, never returned).',
    body: 'secretPut',
  },
  { method: 'GET', path: '/secrets', auth: 'owner', summary: 'Names of stored secrets.' },
  {
    method: 'GET',
    path: '/skills',
    auth: 'none',
    summary: 'Registry skills: id, latest version, description.',
  },
  {
    method: 'POST',
    path: '/skills',
    auth: 'tenant',
    summary:
      'Publish a skill version { manifest: skill.yaml text, code: index.js text }; the first publisher owns the id; versions are immutable.',
    body: 'skillPublish',
    status: 201,
  },
  { method: 'GET', path: '/skills/{id}', auth: 'none', summary: 'The versions of one skill.' },
  {
    method: 'GET',
    path: '/skills/{id}/{version}',
    auth: 'none',
    summary: 'One version: manifest, code, sha256, capabilities.',
  },
  {
    method: 'POST',
    path: '/cookies/upload',
    auth: 'owner',
    summary:
      'Store browser cookies for one site (JSON array or DevTools table rows) as the secret COOKIES_<DOMAIN>.',
    body: 'cookiesUpload',
  },
  { method: 'DELETE', path: '/secrets/{name}', auth: 'owner', summary: 'Delete a secret.' },
]
