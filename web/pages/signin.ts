/**
 * The sign-in page's script: sign in, create the owner account, or add a passkey to an owner whose
 * token is pasted (kept in memory for that one call), then go on to `?next=` (a path on this site).
 */
import { api, explain } from '../lib/api'
import { $, el, setText } from '../lib/dom'
import { nextPath } from '../lib/next-path'
import { registerPasskey, signInWithPasskey } from '../lib/passkeys'

const status = $('#status')

function next(): string {
  return nextPath(new URL(location.href).searchParams.get('next'), location.origin)
}

function on(id: string, action: () => Promise<void>) {
  const button = document.getElementById(id) as HTMLButtonElement | null
  button?.addEventListener('click', async () => {
    button.disabled = true
    setText(status, 'Waiting for your passkey…')
    try {
      await action()
    } catch (error) {
      setText(status, explain(error))
    } finally {
      button.disabled = false
    }
  })
}

// Signed in already, and sent here from a page: the way back.
if (document.getElementById('add-passkey') && new URL(location.href).searchParams.has('next')) {
  status.before(
    el('p', {}, el('a', { class: 'button primary', href: next() }, 'Continue where you were')),
  )
}

on('signin', async () => {
  await signInWithPasskey()
  location.assign(next())
})

on('register', async () => {
  const name = ($('#owner-name') as HTMLInputElement).value.trim() || undefined
  const created = await registerPasskey(name)
  setText(status, '')
  const panel = $('#created')
  panel.replaceChildren(
    el('h2', {}, `Welcome, ${created.owner.name}`),
    el('p', {}, 'Your passkey is registered and you are signed in.'),
    ...(created.token
      ? [
          el('p', {}, 'Your owner token for the API and the CLI, shown this once:'),
          el('pre', {}, el('code', { id: 'owner-token-value' }, created.token)),
        ]
      : []),
    el('p', {}, el('a', { href: next() }, 'Continue')),
  )
  panel.hidden = false
  panel.focus()
})

on('attach', async () => {
  const input = $('#owner-token') as HTMLInputElement
  const token = input.value.trim()
  if (!token) throw new Error('Paste the owner token first.')
  await registerPasskey(undefined, token)
  input.value = ''
  location.assign(next())
})

on('add-passkey', async () => {
  await registerPasskey('another passkey')
  setText(status, 'Passkey added.')
})

on('signout', async () => {
  await api('POST', '/passkeys/signout', {})
  location.assign('/')
})
