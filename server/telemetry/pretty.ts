/**
 * A JSON log line as text for a person: `12:04:05.123 INFO  Listening on http://… key=value`.
 * Only the terminal sees this form; programs read NITRO_LOG_FORMAT=json.
 */

const LEVEL_COLOURS: Record<string, string> = {
  fatal: '\x1b[41m\x1b[97m',
  error: '\x1b[31m',
  warn: '\x1b[33m',
  info: '\x1b[36m',
  debug: '\x1b[90m',
  trace: '\x1b[90m',
}
const RESET = '\x1b[0m'
const DIM = '\x1b[2m'
/** Fields every line has, or shown in their own place. */
const SHOWN_APART = new Set(['level', 'time', 'msg', 'instance'])

export function prettyLine(json: string, colours: boolean): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(json)
  } catch {
    return json
  }
  const level = String(entry.level ?? 'info')
  const time =
    typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : ''
  const label = level.toUpperCase().padEnd(5)
  const fields = Object.entries(entry)
    .filter(([key]) => !SHOWN_APART.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ')
  const message = String(entry.msg ?? '')
  if (!colours) return `${time} ${label} ${message}${fields ? ` ${fields}` : ''}\n`
  const colour = LEVEL_COLOURS[level] ?? ''
  return `${DIM}${time}${RESET} ${colour}${label}${RESET} ${message}${fields ? ` ${DIM}${fields}${RESET}` : ''}\n`
}
