/**
 * `oauth3 permit request|wait` for agents, and `oauth3 approve <approval_url>` for the owner at a
 * terminal: the same plain-language manifest as the approval page, then y/N.
 */
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { defineCommand } from 'citty'
import { describeCapability } from '../../core/capabilities/describe'

import { clientFor, COMMON_ARGS, print, UsageError, waiting } from '../context'
import type { ApprovalView } from '../../schemas/types'
import { manifestOfApproval, manifestSha256 } from '../../core/manifest'

function readSpec(file: string): Record<string, unknown> {
  let text: string
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`${file} is not JSON`)
  }
}

const request = defineCommand({
  meta: { name: 'request', description: 'Request a permit; prints the approval URL, then waits' },
  args: {
    ...COMMON_ARGS,
    spec: { type: 'string', required: true, description: 'the permit request (JSON file, or -)' },
    wait: {
      type: 'boolean',
      default: true,
      description: 'wait for the decision',
      negativeDescription: 'print the approval URL and return (--no-wait)',
    },
  },
  async run({ args }) {
    const client = await clientFor(args)
    const permit = await client.requestPermit(readSpec(args.spec) as never)
    console.error(`Approve at: ${permit.approval_url}`)
    if (args.wait === false) {
      print(args, permit, () => `${permit.request_id} pending (permit ${permit.permit_id})`)
      return 0
    }
    const spinner = waiting('waiting for the human', { announce: true })
    const decided = await permit.wait().finally(() => spinner.stop())
    print(args, { ...permit, status: decided.status }, () =>
      decided.status === 'completed'
        ? `approved: permit ${permit.permit_id}`
        : `${decided.status}: ${permit.request_id}`,
    )
    return decided.status === 'completed' ? 0 : 1
  },
})

const wait = defineCommand({
  meta: { name: 'wait', description: 'Wait for the decision on a permit request' },
  args: { ...COMMON_ARGS, id: { type: 'positional', required: true, description: 'preq_…' } },
  async run({ args }) {
    const client = await clientFor(args)
    const spinner = waiting('waiting for the human', { announce: true })
    const decided = await client.poll(args.id).finally(() => spinner.stop())
    print(
      args,
      decided,
      () => `${decided.status}${decided.permit_id ? ` (permit ${decided.permit_id})` : ''}`,
    )
    return decided.status === 'completed' ? 0 : 1
  },
})

export const permit = defineCommand({
  meta: { name: 'permit', description: 'Request a permit, or wait for one' },
  subCommands: { request, wait },
})

/** What GET /approve/:id answers (schemas/approval-view.schema.json). */
type Approval = ApprovalView

function describeApproval(approval: Approval): string {
  const request = approval.scope_request
  const lines = [
    `${approval.agent.name || approval.agent.tenant_id} asks: ${request.description}`,
    `  agent ${approval.agent.tenant_id}, ${approval.agent.owner_id ? `bound to ${approval.agent.owner_id}` : 'not yet bound — approving binds it to you'}`,
    `  up to ${request.max_executions} executions over ${Math.round(request.ttl_seconds / 3600)} h`,
  ]
  if (request.skill)
    lines.push(
      `  skill ${request.skill.id}@${request.skill.version} (code sha256 ${request.skill.sha256})`,
    )
  for (const capability of request.capabilities) {
    const described = describeCapability(capability)
    lines.push(
      '',
      `${described.name} — ${described.effect.toUpperCase()}`,
      `  ${described.sentence}`,
    )
    if (described.unicodeHost)
      lines.push(`  host ${described.host} (shown by browsers as ${described.unicodeHost})`)
    for (const param of described.params) {
      lines.push(
        `  ${param.name} ${param.where}${param.required ? '' : ' (optional)'}${param.rule ? ` — ${param.rule}` : ''}`,
      )
    }
    for (const secret of described.secrets) {
      lines.push(
        `  uses your ${secret}: ${!request.missing_secrets ? 'stored or not: only its owner sees' : request.missing_secrets.includes(secret) ? 'MISSING (give it with --secret)' : 'stored'}`,
      )
    }
  }
  lines.push('', `manifest ${approval.manifest_sha256}`)
  return lines.join('\n')
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await prompt.question(question)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    prompt.close()
  }
}

export const approve = defineCommand({
  meta: { name: 'approve', description: 'Read a permit request and approve it (owner), after y/N' },
  args: {
    ...COMMON_ARGS,
    approval_url: { type: 'positional', required: true, description: 'the approval URL' },
    secret: { type: 'string', description: 'NAME=value for a missing secret (repeatable)' },
    yes: { type: 'boolean', description: 'approve without asking' },
    deny: { type: 'boolean', description: 'deny instead' },
    'max-executions': { type: 'string', description: 'lower the execution budget' },
  },
  async run({ args }) {
    let link: URL
    try {
      link = new URL(args.approval_url)
    } catch {
      throw new UsageError('the approval URL is not a URL')
    }
    const id = /\/approve\/(preq_[a-f0-9]{24})$/.exec(link.pathname)?.[1]
    if (!id) throw new UsageError('the approval URL is not /approve/preq_…')
    const token = link.searchParams.get('token') ?? undefined
    // The configured server (the link may name it by another host name, e.g. localhost).
    const client = await clientFor(args)
    const query = token ? `?token=${encodeURIComponent(token)}` : ''
    const approval = await client.request<Approval>('GET', `/approve/${id}${query}`)
    if (approval.status !== 'pending') {
      print(args, approval, () => `nothing to decide: ${approval.status}`)
      return 1
    }
    // What is shown is what is approved: the hash is recomputed here, not taken on trust.
    if ((await manifestSha256(manifestOfApproval(approval))) !== approval.manifest_sha256)
      throw new Error(
        'the server shows a request other than the one its manifest_sha256 covers: nothing decided',
      )
    console.error(describeApproval(approval))
    const action = args.deny ? 'deny' : 'approve'
    const agreed =
      args.yes ||
      (await confirm(`\n${action === 'approve' ? 'Approve' : 'Deny'} this request? [y/N] `))
    if (!agreed) {
      console.error('nothing decided')
      return 1
    }
    const given = ([] as string[]).concat((args.secret as string | string[] | undefined) ?? [])
    const secrets = Object.fromEntries(
      given.map((pair) => {
        const at = pair.indexOf('=')
        if (at <= 0) throw new UsageError('--secret takes NAME=value')
        return [pair.slice(0, at), pair.slice(at + 1)]
      }),
    )
    const decided = await client.request<{ status: string; permit_id: string }>(
      'POST',
      `/approve/${id}`,
      {
        ...(token ? { token } : {}),
        action,
        manifest_sha256: approval.manifest_sha256,
        ...(Object.keys(secrets).length ? { secrets } : {}),
        ...(args['max-executions'] ? { max_executions: Number(args['max-executions']) } : {}),
      },
    )
    print(
      args,
      decided,
      () =>
        `${decided.status === 'completed' ? 'approved' : decided.status}: permit ${decided.permit_id}`,
    )
    return 0
  },
})
