/**
 * The common steps of the product's flow, over HTTP: accounts, a permit request, a decision.
 */
import { expect } from 'vitest'
import type { Client } from './http'
import type { PermitAnswer } from '../../schemas/types'

export const GITHUB_CAPABILITY = {
  name: 'github.createIssue',
  doc_url: 'https://docs.github.com/en/rest/issues',
  endpoint: 'https://api.github.com/repos/{owner}/{repo}/issues',
  method: 'POST',
  auth: { header: 'Authorization', value: 'token {GH_TOKEN}' },
  params: {
    owner: { in: 'path' },
    repo: { in: 'path' },
    title: { in: 'body' },
    body: { in: 'body' },
  },
}

export async function signup(
  api: Client,
  role: 'agent' | 'owner' = 'agent',
  name = `${role}-${Math.random().toString(36).slice(2, 8)}`,
) {
  const reply = await api.post('/signup', { name, role })
  expect(reply.status, reply.text).toBe(201)
  return reply.body as { tenant_id: string; token: string; role: string }
}

export type { PermitAnswer }

export async function requestPermit(
  api: Client,
  agentToken: string,
  body: Record<string, unknown> = {
    description: 'File issues on GitHub',
    capabilities: [GITHUB_CAPABILITY],
  },
) {
  const reply = await api.post('/permit', body, { token: agentToken })
  expect(reply.status, reply.text).toBe(202)
  return reply.body as PermitAnswer
}

export function approvalTokenOf(permit: PermitAnswer): string {
  return new URL(permit.approval_url).searchParams.get('token')!
}

/** The path part of an absolute URL handed out by the server (its origin may be the public one). */
export function pathOf(url: string): string {
  const parsed = new URL(url)
  return parsed.pathname + parsed.search
}

export async function decide(
  api: Client,
  ownerToken: string,
  permit: PermitAnswer,
  action: 'approve' | 'deny' = 'approve',
  extra: Record<string, unknown> = {},
) {
  return api.post(
    `/approve/${permit.request_id}`,
    { token: approvalTokenOf(permit), action, manifest_sha256: permit.manifest_sha256, ...extra },
    { token: ownerToken },
  )
}
