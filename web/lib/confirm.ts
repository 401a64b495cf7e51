/**
 * A confirmation in place of the button that asks for it: the question in words and two buttons,
 * the confirming one focused; Escape or Cancel puts the button back. A destructive action never
 * happens on one click.
 */
import { el } from './dom'

export function confirmInPlace(
  button: HTMLElement,
  question: string,
  confirmLabel: string,
): Promise<boolean> {
  return new Promise((resolve) => {
    const yes = el('button', { type: 'button', class: 'danger' }, confirmLabel)
    const no = el('button', { type: 'button' }, 'Cancel')
    const box = el(
      'span',
      { class: 'confirm', role: 'group', 'aria-label': question },
      el('span', {}, question),
      ' ',
      yes,
      ' ',
      no,
    )
    const answer = (confirmed: boolean) => {
      box.replaceWith(button)
      if (!confirmed) button.focus()
      resolve(confirmed)
    }
    yes.addEventListener('click', () => answer(true))
    no.addEventListener('click', () => answer(false))
    box.addEventListener('keydown', (event) => {
      if ((event as KeyboardEvent).key === 'Escape') answer(false)
    })
    button.replaceWith(box)
    yes.focus()
  })
}
