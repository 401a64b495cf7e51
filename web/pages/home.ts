/**
 * The home page's demos: the whole product flow in the page, step by step — an agent signs up and
 * asks for a permit bound to a skill, the visitor (its owner for the demo) reads and approves it
 * here, the skill runs, the result comes back. Every request and answer is shown with tokens and
 * secrets masked; the tokens live in this page's memory only.
 */
import { api, explain } from '../lib/api'
import { el, localizeTimes } from '../lib/dom'
import { confirmDecision } from '../lib/passkeys'
import type { ApprovalView, StatusBody as ExecutionView } from '../../schemas/types'

interface Demo {
  skill: string
  description: string
  /** The skill's args, and the secrets given with the approval (the visitor's own), by name. */
  input(section: HTMLElement): { args: Record<string, unknown>; secrets: Record<string, string> }
  /** Before the permit: e.g. upload the visitor's cookies. */
  prepare?(flow: Flow, section: HTMLElement): Promise<void>
}

const SERVICE_SECRET: Record<string, string> = {
  github: 'GH_TOKEN',
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
}

const DEMOS: Record<string, Demo> = {
  httpbin: {
    skill: 'httpbin-echo',
    description: 'Echo a message through httpbin.org with my token',
    input: () => ({
      args: { message: 'Hello from inside OAuth3', tag: 'demo' },
      secrets: { HTTPBIN_TOKEN: `demo-${randomHex(12)}` },
    }),
  },
  apikey: {
    skill: 'check-api-key',
    description: 'Check what my API key can access',
    input(section) {
      const service = (section.querySelector('#apikey-service') as HTMLSelectElement).value
      const key = (section.querySelector('#apikey-value') as HTMLInputElement).value.trim()
      if (!key) throw new Error('Paste an API key first.')
      return { args: { services: [service] }, secrets: { [SERVICE_SECRET[service]]: key } }
    },
  },
  tiktok: {
    skill: 'tiktok-watch-history',
    description: 'Read my TikTok watch history',
    input: () => ({ args: { count: 10 }, secrets: {} }),
    async prepare(flow, section) {
      const pasted = (section.querySelector('#tiktok-cookies') as HTMLTextAreaElement).value.trim()
      if (!pasted) throw new Error('Paste your TikTok cookies first.')
      const body = pasted.startsWith('[')
        ? { domain: 'www.tiktok.com', cookies: JSON.parse(pasted) as unknown }
        : { domain: 'www.tiktok.com', cookie_table: pasted }
      flow.hide(pasted)
      await flow.call(
        'Your cookies are stored, encrypted, as your secret',
        'POST',
        '/cookies/upload',
        body,
        'owner',
      )
    },
  },
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((byte) => byte.toString(16).padStart(2, '0'))
    .join('')
}

/** One run of a demo: its tokens, the values to mask, and the step log. */
class Flow {
  agentToken = ''
  ownerToken = ''
  private hidden: string[] = []

  constructor(private readonly steps: HTMLElement) {}

  hide(value: string) {
    if (value.length >= 4) this.hidden.push(value)
  }

  mask(value: unknown): string {
    return this.maskText(JSON.stringify(value, null, 2) ?? '')
  }

  /** Every token and secret of this run, and any link token, replaced by dots. */
  maskText(input: string): string {
    let text = input.replace(/oa3_[a-z]+_[A-Za-z0-9_-]{43}/g, 'oa3_••••••')
    for (const secret of this.hidden) text = text.split(secret).join('••••••')
    for (const secret of this.hidden) {
      const quoted = JSON.stringify(secret).slice(1, -1)
      text = text.split(quoted).join('••••••')
    }
    return text
  }

  step(title: string): HTMLElement {
    const item = el('li', {}, el('strong', {}, title))
    this.steps.append(item)
    return item
  }

  async call<T = unknown>(
    title: string,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    as: 'agent' | 'owner' | 'none',
  ): Promise<T> {
    const item = this.step(title)
    const token = as === 'agent' ? this.agentToken : as === 'owner' ? this.ownerToken : undefined
    try {
      const answer = await api<T>(method, path, body, { token })
      item.classList.add('done')
      item.append(
        el(
          'details',
          {},
          el('summary', {}, this.maskText(`${method} ${path}`)),
          body !== undefined ? el('pre', {}, this.mask(body)) : '',
          el('pre', {}, this.mask(answer)),
        ),
      )
      return answer
    } catch (error) {
      item.classList.add('failed')
      item.append(el('p', {}, `${method} ${path}: ${explain(error)}`))
      throw error
    }
  }
}

const pathOf = (url: string) => {
  const parsed = new URL(url)
  return parsed.pathname + parsed.search
}

async function run(section: HTMLElement, demo: Demo) {
  const steps = section.querySelector<HTMLElement>('[data-steps]')!
  steps.replaceChildren()
  const flow = new Flow(steps)
  const { args, secrets } = demo.input(section)
  Object.values(secrets).forEach((value) => flow.hide(value))
  // The visitor's own vault (kept by the extension): the demo runs as them, with the page session.
  const asVisitor = section.dataset.vaultCookies === 'true'

  const agent = await flow.call<{ token: string }>(
    'An agent signs up',
    'POST',
    '/signup',
    { name: 'demo-agent' },
    'none',
  )
  flow.agentToken = agent.token
  flow.hide(agent.token)
  if (!asVisitor) {
    const owner = await flow.call<{ token: string }>(
      'You get an owner account for this demo',
      'POST',
      '/signup',
      { name: 'demo-visitor', role: 'owner' },
      'none',
    )
    flow.ownerToken = owner.token
    flow.hide(owner.token)
    await demo.prepare?.(flow, section)
  }
  const permit = await flow.call<{ approval_url: string; request_id: string; permit_id: string }>(
    `The agent asks for a permit to run the skill ${demo.skill}`,
    'POST',
    '/permit',
    { description: demo.description, skill_id: demo.skill },
    'agent',
  )
  const approvalToken = new URL(permit.approval_url).searchParams.get('token') ?? ''
  flow.hide(approvalToken)
  const request = await flow.call<ApprovalView>(
    'You read what it asks',
    'GET',
    pathOf(permit.approval_url),
    undefined,
    'owner',
  )
  await askApproval(flow, request)
  const decision = {
    token: approvalToken,
    action: 'approve' as const,
    manifest_sha256: request.manifest_sha256,
  }
  // Signed in, the decision is the visitor's own: confirmed with their passkey.
  const passkey = asVisitor
    ? await confirmDecision({ request_id: permit.request_id, ...decision })
    : undefined
  await flow.call(
    asVisitor ? 'You approve it with your passkey' : 'You approve it',
    'POST',
    `/approve/${permit.request_id}`,
    {
      ...decision,
      ...(passkey ? { passkey } : {}),
      ...(Object.keys(secrets).length ? { secrets } : {}),
    },
    'owner',
  )
  const submitted = await flow.call<{ status_url: string }>(
    'The agent runs the skill',
    'POST',
    '/execute',
    { permit_id: permit.permit_id, skill_id: demo.skill, args },
    'agent',
  )
  const done = await flow.call<ExecutionView>(
    'The result comes back (long-poll on status_url)',
    'GET',
    pathOf(submitted.status_url),
    undefined,
    'agent',
  )
  const outcome = flow.step(done.status === 'completed' ? 'Result' : `Result: ${done.status}`)
  outcome.classList.add(done.status === 'completed' ? 'done' : 'failed')
  outcome.append(
    el(
      'pre',
      { 'data-result': true },
      flow.mask({ stdout: done.result?.stdout, value: done.result?.value, error: done.error }),
    ),
  )
}

/** Show the request in plain words and wait for the visitor's click on Approve. */
function askApproval(flow: Flow, request: ApprovalView): Promise<void> {
  const item = flow.step('Your decision')
  const capabilities = request.scope_request.capabilities
  const approve = el('button', { type: 'button', class: 'primary' }, 'Approve')
  item.append(
    el(
      'ul',
      {},
      ...capabilities.map((capability) =>
        el(
          'li',
          {},
          el('code', {}, capability.name),
          ` — ${capability.method} ${capability.endpoint}`,
          capability.secrets.length ? ` with your ${capability.secrets.join(', ')}` : '',
        ),
      ),
    ),
    el('div', { class: 'actions' }, approve),
  )
  approve.focus()
  return new Promise((resolve) =>
    approve.addEventListener('click', () => {
      approve.remove()
      item.classList.add('done')
      resolve()
    }),
  )
}

localizeTimes()

for (const section of document.querySelectorAll<HTMLElement>('[data-demo]')) {
  const demo = DEMOS[section.dataset.demo ?? '']
  const start = section.querySelector<HTMLButtonElement>('[data-start]')
  if (!demo || !start) continue
  start.addEventListener('click', async () => {
    start.disabled = true
    try {
      await run(section, demo)
    } catch (error) {
      const steps = section.querySelector<HTMLElement>('[data-steps]')!
      if (!steps.querySelector('.failed'))
        steps.append(el('li', { class: 'failed' }, explain(error)))
    } finally {
      start.disabled = false
    }
  })
}
