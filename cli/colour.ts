/**
 * Colour for people at a terminal, never for programs: only when the stream is a TTY, NO_COLOR is
 * unset (no-color.org) and the terminal is not `dumb`. FORCE_COLOR turns it on regardless.
 */
type Stream = { isTTY?: boolean }

export function colourOn(stream: Stream): boolean {
  if (process.env.NO_COLOR) return false
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true
  return Boolean(stream.isTTY) && process.env.TERM !== 'dumb'
}

const STYLES = {
  bold: [1, 22],
  dim: [2, 22],
  underline: [4, 24],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const

export type Style = keyof typeof STYLES

/** `text` in `style` when `stream` shows colour; as it is otherwise. */
export function paint(stream: Stream, style: Style, text: string): string {
  if (!colourOn(stream)) return text
  const [open, close] = STYLES[style]
  return `\x1b[${open}m${text}\x1b[${close}m`
}

/** The colour of a status word: done, refused or failed, still going. */
export function statusStyle(status: string): Style {
  if (status === 'completed') return 'green'
  if (['failed', 'denied', 'expired', 'timeout'].includes(status)) return 'red'
  return 'yellow'
}
