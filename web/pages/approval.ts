/**
 * The approval page's script. The approval token leaves the address bar as soon as the page has
 * loaded (kept only in this tab's sessionStorage, so a reload still works); Approve and Deny each
 * ask for a passkey assertion bound to this request, its manifest and the action, then send the
 * decision with the owner's terms and any missing secret.
 */
import { api, explain } from '../lib/api'
import { $, el, localizeTimes, setText } from '../lib/dom'
import { confirmDecision } from '../lib/passkeys'
import type { ApproveAnswer } from '../../schemas/types'

const page = $('#page')
const requestId = page.dataset.requestId ?? ''
const storageKey = `oauth3-approval:${requestId}`

const url = new URL(location.href)
const fromUrl = url.searchParams.get('token')
if (fromUrl) {
  sessionStorage.setItem(storageKey, fromUrl)
  url.searchParams.delete('token')
  history.replaceState(null, '', url.pathname + url.search + url.hash)
}
const token = fromUrl ?? sessionStorage.getItem(storageKey) ?? undefined

localizeTimes()

if (page.dataset.incomplete === 'true') {
  // Reloaded after the token was removed: bring it back once, from this tab only.
  if (token) location.replace(`/approve/${requestId}?token=${encodeURIComponent(token)}`)
} else {
  wireDecision()
}

function wireDecision() {
  const form = $('#decision') as HTMLFormElement
  const status = $('#status')
  const manifest = page.dataset.manifest ?? ''
  for (const button of form.querySelectorAll<HTMLButtonElement>('button[data-action]')) {
    button.addEventListener('click', () => decide(button.dataset.action as 'approve' | 'deny'))
  }

  async function decide(action: 'approve' | 'deny') {
    if (action === 'approve' && !missingSecretsSettled(form, status)) return
    const buttons = [...form.querySelectorAll<HTMLButtonElement>('button')]
    buttons.forEach((button) => (button.disabled = true))
    setText(status, 'Confirm with your passkey…')
    try {
      const passkey = await confirmDecision({
        request_id: requestId,
        ...(token ? { token } : {}),
        action,
        manifest_sha256: manifest,
      })
      setText(status, action === 'approve' ? 'Approving…' : 'Denying…')
      const decided = await api<ApproveAnswer>('POST', `/approve/${requestId}`, {
        ...(token ? { token } : {}),
        action,
        manifest_sha256: manifest,
        passkey,
        ...(action === 'approve' ? terms(form) : {}),
      })
      sessionStorage.removeItem(storageKey)
      showOutcome(action, decided.permit_id)
      form.remove()
    } catch (error) {
      setText(status, explain(error))
      buttons.forEach((button) => (button.disabled = false))
    }
  }
}

/**
 * A secret the owner lacks, left empty, would make the permit's first call fail: Approve waits
 * for its value, or for the owner's word that the permit may wait for it.
 */
function missingSecretsSettled(form: HTMLFormElement, status: HTMLElement): boolean {
  // The secret fields sit with their capabilities, above the form.
  const empty = [
    ...document.querySelectorAll<HTMLInputElement>('input[data-missing="true"]'),
  ].filter((input) => !input.value)
  const consent = form.querySelector<HTMLInputElement>('#approve-without')
  if (empty.length === 0 || consent?.checked) return true
  const names = empty.map((input) => input.dataset.secret).join(', ')
  setText(
    status,
    `${names} ${empty.length === 1 ? 'is' : 'are'} missing: enter ${empty.length === 1 ? 'its value' : 'their values'}, or tick “Approve without” — calls that use ${empty.length === 1 ? 'it' : 'them'} fail until ${empty.length === 1 ? 'it is' : 'they are'} set.`,
  )
  empty[0].focus()
  return false
}

function terms(form: HTMLFormElement): Record<string, unknown> {
  const number = (name: string) => {
    const input = form.elements.namedItem(name) as HTMLInputElement | null
    const value = input?.value.trim()
    return value ? Number(value) : undefined
  }
  const days = number('ttl_days')
  const maxExecutions = number('max_executions')
  const perMinute = number('calls_per_minute')
  const secrets: Record<string, string> = {}
  for (const input of document.querySelectorAll<HTMLInputElement>('input[data-secret]')) {
    if (input.value) secrets[input.dataset.secret!] = input.value
  }
  return {
    ...(days ? { ttl_seconds: days * 86400 } : {}),
    ...(maxExecutions ? { max_executions: maxExecutions } : {}),
    ...(perMinute ? { calls_per_minute: perMinute } : {}),
    ...(Object.keys(secrets).length ? { secrets } : {}),
  }
}

function showOutcome(action: 'approve' | 'deny', permitId: string) {
  const outcome = $('#outcome')
  outcome.replaceChildren(
    el('h2', {}, action === 'approve' ? 'Approved' : 'Denied'),
    el(
      'p',
      {},
      action === 'approve'
        ? 'The agent learns it at once and can now run code under this permit, within your terms. You can watch every execution and revoke the permit from your dashboard at any time.'
        : 'The agent learns it at once; it cannot use anything it asked for.',
    ),
    el('p', {}, el('a', { href: '/dashboard' }, 'Open your dashboard'), ` · permit ${permitId}`),
  )
  outcome.hidden = false
  outcome.focus()
}
