/**
 * The dashboard's script: every section read from the API with the page session (state changes
 * carry the CSRF token, web/lib/api.ts). Pending requests, permits and secrets are polled every
 * two seconds, so a request, an approval, a revocation or a secret set elsewhere shows without a
 * reload; a
 * section is redrawn only when what it shows changed, and never under an open confirmation.
 * Revoke, Delete and Remove each ask first; the last passkey goes only with its own assertion.
 */
import { api, explain } from '../lib/api'
import { confirmInPlace } from '../lib/confirm'
import { $, el, setText, when } from '../lib/dom'
import { confirmRemoval } from '../lib/passkeys'
import type {
  ActionsPage,
  AgentCreated,
  AgentList,
  CookiesUploadAnswer,
  PasskeyList,
  PendingRequests,
  Permit,
  SecretList,
  SessionsPage,
  UploadCredentialList,
} from '../../schemas/types'

const status = $('#status')
const POLL_MS = 2000

async function act(action: () => Promise<void>) {
  try {
    await action()
  } catch (error) {
    setText(status, explain(error))
  }
}

function table(headers: string[], rows: HTMLElement[]): HTMLElement {
  return el(
    'div',
    { class: 'table-scroll' },
    el(
      'table',
      {},
      el('thead', {}, el('tr', {}, ...headers.map((header) => el('th', { scope: 'col' }, header)))),
      el('tbody', {}, ...rows),
    ),
  )
}

const cell = (...children: Array<Node | string>) => el('td', {}, ...children)

/** What a section last showed: redrawn only when its data changed, never under a confirmation. */
const shown = new Map<string, string>()
function unchanged(box: HTMLElement, data: unknown): boolean {
  const key = JSON.stringify(data)
  if (shown.get(box.id) === key || box.querySelector('.confirm')) return true
  shown.set(box.id, key)
  return false
}

async function loadPending() {
  const { requests } = await api<PendingRequests>('GET', '/requests')
  const box = $('#pending')
  if (unchanged(box, requests)) return
  if (!requests.length) {
    box.replaceChildren(el('p', { class: 'muted' }, 'Nothing is waiting for you.'))
    return
  }
  box.replaceChildren(
    el(
      'ul',
      { class: 'steps' },
      ...requests.map((request) =>
        el(
          'li',
          { 'data-request-id': request.request_id },
          el('strong', {}, request.description),
          ` — ${request.agent.name || request.agent.tenant_id} asks for `,
          request.skill ? `skill ${request.skill}` : request.capabilities.join(', '),
          el('br'),
          el('span', { class: 'muted' }, `asked ${when(request.created_at)} · `),
          el('a', { href: new URL(request.review_url).pathname }, 'Review and decide'),
        ),
      ),
    ),
  )
}

async function loadPermits() {
  const { sessions } = await api<SessionsPage>('GET', '/sessions?limit=100')
  const box = $('#permits')
  if (unchanged(box, sessions)) return
  if (!sessions.length) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No permits yet.'))
    return
  }
  box.replaceChildren(
    table(
      ['Permit', 'Status', 'Terms', 'Used', 'Actions'],
      sessions.map((permit) => {
        const activity = el('button', { type: 'button' }, 'Activity')
        activity.addEventListener('click', () => act(() => loadActivity(permit)))
        const actions = el('td', {}, activity)
        if (permit.status === 'active' || permit.status === 'pending') {
          const revoke = el('button', { type: 'button', class: 'danger' }, 'Revoke')
          revoke.setAttribute('aria-label', `Revoke ${permit.description}`)
          revoke.addEventListener('click', () =>
            act(async () => {
              const question = `Revoke “${permit.description}”? Its agent loses it at once; running code loses its calls.`
              if (!(await confirmInPlace(revoke, question, 'Revoke'))) return
              await api('DELETE', `/sessions/${permit.permit_id}`)
              setText(status, `Revoked “${permit.description}”.`)
              await loadPermits()
            }),
          )
          actions.append(' ', revoke)
        }
        return el(
          'tr',
          { 'data-permit-id': permit.permit_id },
          cell(
            el('strong', {}, permit.description),
            el('br'),
            el(
              'span',
              { class: 'muted' },
              permit.capabilities.map((capability) => capability.name).join(', '),
            ),
          ),
          cell(permit.status),
          cell(
            permit.expires_at ? `until ${when(permit.expires_at)}` : '',
            el('br'),
            `${permit.max_executions} executions`,
            permit.calls_per_minute ? `, ${permit.calls_per_minute} calls/min` : '',
          ),
          cell(`${permit.executions_used} / ${permit.max_executions}`),
          actions,
        )
      }),
    ),
  )
}

async function loadActivity(permit: Permit) {
  const { actions } = await api<ActionsPage>('GET', `/session/${permit.permit_id}/actions?limit=50`)
  const box = $('#activity')
  const heading = el('h3', {}, `Activity of “${permit.description}”`)
  if (!actions.length) {
    box.replaceChildren(heading, el('p', { class: 'muted' }, 'No executions yet.'))
    return
  }
  box.replaceChildren(
    heading,
    table(
      ['When', 'What ran', 'Outcome', 'Calls'],
      actions.map((action) =>
        el(
          'tr',
          {},
          cell(when(action.created_at)),
          cell(action.skill_id ?? `${action.label ?? 'ad-hoc code'}`),
          cell(
            action.status,
            action.exitCode !== undefined ? ` (exit ${action.exitCode})` : '',
            action.error_code ? el('br') : '',
            action.error_code ? el('code', {}, action.error_code) : '',
          ),
          cell(
            action.calls.length
              ? el(
                  'ul',
                  {},
                  ...action.calls.map((call) =>
                    el(
                      'li',
                      {},
                      el('code', {}, `${call.method} ${call.url}`),
                      ` → ${call.status || call.error || '—'} in ${call.duration} ms`,
                      call.error ? el('code', {}, ` ${call.error}`) : '',
                    ),
                  ),
                )
              : 'none',
          ),
        ),
      ),
    ),
  )
}

async function loadSecrets() {
  const { entries } = await api<SecretList>('GET', '/secrets')
  const box = $('#secrets')
  if (unchanged(box, entries)) return
  if (!entries.length) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No secrets stored.'))
    return
  }
  box.replaceChildren(
    table(
      ['Name', 'Bound to', 'Updated', 'Actions'],
      entries.map((entry) => {
        const remove = el('button', { type: 'button', class: 'danger' }, 'Delete')
        remove.setAttribute('aria-label', `Delete ${entry.name}`)
        remove.addEventListener('click', () =>
          act(async () => {
            const question = `Delete ${entry.name}? Permits that use it fail until it is set again.`
            if (!(await confirmInPlace(remove, question, 'Delete'))) return
            await api('DELETE', `/secrets/${entry.name}`)
            setText(status, `Deleted ${entry.name}.`)
            await loadSecrets()
          }),
        )
        return el(
          'tr',
          {},
          cell(el('code', {}, entry.name)),
          cell(
            entry.cookie_domain ? `cookies for ${entry.cookie_domain}` : (entry.origin ?? '—'),
            ...(entry.source
              ? [
                  el('br'),
                  el('span', { class: 'muted' }, `from the extension in ${entry.source.label}`),
                ]
              : []),
          ),
          cell(entry.source ? `synced ${when(entry.updated_at)}` : when(entry.updated_at)),
          cell(remove),
        )
      }),
    ),
  )
}

async function loadExtensions() {
  const { credentials } = await api<UploadCredentialList>('GET', '/extension/credentials')
  const box = $('#extensions')
  if (unchanged(box, credentials)) return
  if (!credentials.length) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No browser is connected.'))
    return
  }
  box.replaceChildren(
    table(
      ['Browser', 'Sites', 'Last used', 'Actions'],
      credentials.map((credential) => {
        const disconnect = el('button', { type: 'button', class: 'danger' }, 'Disconnect')
        disconnect.setAttribute('aria-label', `Disconnect ${credential.label}`)
        disconnect.addEventListener('click', () =>
          act(async () => {
            const question = `Disconnect ${credential.label}? It stops syncing at once; the cookies it stored stay until you delete them.`
            if (!(await confirmInPlace(disconnect, question, 'Disconnect'))) return
            await api('DELETE', `/extension/credentials/${credential.id}`)
            setText(status, `Disconnected ${credential.label}.`)
            await loadExtensions()
          }),
        )
        return el(
          'tr',
          { 'data-credential-id': credential.id },
          cell(
            el('strong', {}, credential.label),
            el('br'),
            el('span', { class: 'muted' }, `connected ${when(credential.created_at)}`),
          ),
          cell(credential.sites.join(', ')),
          cell(credential.last_used_at ? when(credential.last_used_at) : 'never'),
          cell(disconnect),
        )
      }),
    ),
  )
}

async function loadAgents() {
  const { agents } = await api<AgentList>('GET', '/agents')
  $('#agents').replaceChildren(
    agents.length
      ? el(
          'ul',
          {},
          ...agents.map((agent) => el('li', {}, `${agent.name} `, el('code', {}, agent.tenant_id))),
        )
      : el('p', { class: 'muted' }, 'No agents are bound to you yet.'),
  )
}

async function loadPasskeys() {
  const { passkeys } = await api<PasskeyList>('GET', '/passkeys')
  const last = passkeys.length === 1
  $('#passkeys').replaceChildren(
    el(
      'ul',
      {},
      ...passkeys.map((passkey) => {
        const remove = el('button', { type: 'button', class: 'danger' }, 'Remove')
        remove.setAttribute('aria-label', `Remove passkey ${passkey.name}`)
        remove.addEventListener('click', () =>
          act(async () => {
            const question = last
              ? 'This is your only passkey: without it you cannot sign in to these pages on any device (your permits keep working). Add another first — or confirm with this passkey to remove it.'
              : `Remove the passkey “${passkey.name}”? You will no longer sign in with it.`
            const label = last ? 'Confirm with this passkey' : 'Remove'
            if (!(await confirmInPlace(remove, question, label))) return
            const path = `/passkeys/${encodeURIComponent(passkey.id)}`
            if (last) await api('DELETE', path, { passkey: await confirmRemoval(passkey.id) })
            else await api('DELETE', path)
            setText(
              status,
              last
                ? 'Removed your last passkey. Add one before you sign out, or you will need your owner token to add one.'
                : `Removed the passkey “${passkey.name}”.`,
            )
            await loadPasskeys()
          }),
        )
        return el(
          'li',
          {},
          `${passkey.name}, added ${when(passkey.created_at)}`,
          passkey.last_used_at ? `, last used ${when(passkey.last_used_at)}` : '',
          ' ',
          remove,
        )
      }),
    ),
  )
}

function onSubmit(id: string, handler: (form: HTMLFormElement) => Promise<void>) {
  const form = $(id) as HTMLFormElement
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    void act(() => handler(form))
  })
}

const value = (id: string) => ($(id) as HTMLInputElement).value.trim()

onSubmit('#secret-form', async (form) => {
  const origin = value('#secret-origin')
  await api('POST', '/secrets', {
    name: value('#secret-name'),
    value: ($('#secret-value') as HTMLInputElement).value,
    ...(origin ? { origin } : {}),
  })
  setText(status, `Saved ${value('#secret-name')}.`)
  form.reset()
  await loadSecrets()
})

onSubmit('#cookie-form', async (form) => {
  const pasted = ($('#cookie-paste') as HTMLTextAreaElement).value.trim()
  const domain = value('#cookie-domain')
  const body = pasted.startsWith('[')
    ? { domain, cookies: JSON.parse(pasted) as unknown }
    : { domain, cookie_table: pasted }
  const uploaded = await api<CookiesUploadAnswer>('POST', '/cookies/upload', body)
  setText(status, `Stored ${uploaded.count} cookies as ${uploaded.secret_name}.`)
  form.reset()
  await loadSecrets()
})

onSubmit('#agent-form', async (form) => {
  const name = value('#agent-name')
  const agent = await api<AgentCreated>('POST', '/agents', name ? { name } : {})
  const box = $('#agent-token')
  box.replaceChildren(
    el('p', {}, `Agent ${agent.tenant_id} created. Its token, shown this once:`),
    el('pre', {}, el('code', {}, agent.token)),
  )
  box.hidden = false
  form.reset()
  await loadAgents()
})

$('#signout').addEventListener('click', () =>
  act(async () => {
    await api('POST', '/passkeys/signout', {})
    location.assign('/')
  }),
)

async function poll() {
  await act(loadPending)
  await act(loadPermits)
  await act(loadSecrets)
  await act(loadExtensions)
  setTimeout(poll, POLL_MS)
}

void poll()
void act(loadAgents)
void act(loadPasskeys)
