/**
 * The extension connect page's script: Grant or Decline the pairing, with the page session (the
 * CSRF token travels with it). The extension, polling, finishes on its own.
 */
import { api, explain } from '../lib/api'
import { $, el, setText } from '../lib/dom'

const pairingId = $('#page').dataset.pairingId ?? ''

for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-grant]')) {
  button.addEventListener('click', async () => {
    const grant = button.dataset.grant === 'true'
    const status = $('#status')
    const buttons = [...document.querySelectorAll<HTMLButtonElement>('button[data-grant]')]
    buttons.forEach((each) => (each.disabled = true))
    try {
      await api('POST', `/extension/pairings/${pairingId}/decision`, { grant })
      const outcome = $('#outcome')
      outcome.replaceChildren(
        el('h2', {}, grant ? 'Connected' : 'Declined'),
        el(
          'p',
          {},
          grant
            ? 'The extension finishes connecting on its own: you can close this tab. It is listed on your dashboard, where you can disconnect it.'
            : 'The extension gets nothing.',
        ),
        el('p', {}, el('a', { href: '/dashboard' }, 'Open your dashboard')),
      )
      $('#decide').remove()
      outcome.hidden = false
      outcome.focus()
    } catch (error) {
      setText(status, explain(error))
      buttons.forEach((each) => (each.disabled = false))
    }
  })
}
