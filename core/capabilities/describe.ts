/**
 * A capability in plain words, for the human who approves it: does it read or change, exactly
 * which host (its ASCII form, so a look-alike Unicode name cannot pass for another) and which path,
 * which of the owner's secrets it uses, and each constraint as a sentence. Text the agent wrote is
 * shown with its invisible and bidirectional-control characters made visible, so that what the
 * human reads is what the agent sent. Pure: the approval page and the SDK both use it.
 */
import { patternInWords } from './pattern-words'
import type { NormalizedCapability, NormalizedParam } from './plugin'

export interface CapabilityDescription {
  name: string
  /** `reads` (GET) or `changes` (anything else). */
  effect: 'reads' | 'changes'
  method: string
  /** The host as the request will use it: ASCII, punycode for internationalized names. */
  host: string
  /** The host's Unicode form, when it differs (an internationalized name). */
  unicodeHost?: string
  /** The path template, with `{param}` placeholders. */
  path: string
  sentence: string
  secrets: string[]
  params: Array<{ name: string; where: string; required: boolean; rule?: string }>
  docUrl?: string
  description?: string
}

/**
 * Invisible, zero-width, variation-selector and bidirectional-control characters: shown as
 * `<U+XXXX>`. They could otherwise make a name or a description read differently from what it is.
 */
const HIDDEN_RANGES: Array<[number, number]> = [
  [0x0000, 0x0008],
  [0x000b, 0x000c],
  [0x000e, 0x001f],
  [0x007f, 0x009f],
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff0, 0xfffb],
  [0xe0000, 0xe0fff],
]

const isHidden = (codePoint: number) =>
  HIDDEN_RANGES.some(([low, high]) => codePoint >= low && codePoint <= high)

export function revealHidden(text: string): string {
  let out = ''
  for (const char of text) {
    const codePoint = char.codePointAt(0)!
    out += isHidden(codePoint)
      ? `<U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}>`
      : char
  }
  return out
}

export function describeCapability(capability: NormalizedCapability): CapabilityDescription {
  const url = new URL(capability.endpoint.replace(/\{(\w+)\}/g, '__$1__'))
  const path = decodeURI(url.pathname).replace(/__(\w+)__/g, '{$1}')
  const unicodeHost = toUnicodeHost(url.hostname)
  const effect = capability.method === 'GET' ? 'reads' : 'changes'
  const host = url.port ? `${url.hostname}:${url.port}` : url.hostname
  const secrets = capability.secrets
  const sentence =
    `${effect === 'reads' ? 'Reads from' : 'Changes data at'} ${host} ` +
    `(${capability.method} ${path})` +
    (secrets.length ? `, using your ${secrets.join(', ')}.` : ', with no secret of yours.')
  return {
    name: revealHidden(capability.name),
    effect,
    method: capability.method,
    host,
    ...(unicodeHost !== url.hostname ? { unicodeHost: revealHidden(unicodeHost) } : {}),
    path: revealHidden(path),
    sentence: revealHidden(sentence),
    secrets,
    params: Object.entries(capability.params).map(([name, param]) => ({
      name: revealHidden(name),
      where: WHERE[param.in] ?? param.in,
      required: param.required,
      ...(param.constraint ? { rule: revealHidden(constraintSentence(name, param)) } : {}),
    })),
    ...(capability.doc_url ? { docUrl: capability.doc_url } : {}),
    ...(capability.description ? { description: revealHidden(capability.description) } : {}),
  }
}

const WHERE: Record<string, string> = {
  path: 'in the path',
  query: 'in the query string',
  body: 'in the body',
  header: 'in a header',
}

/** A constraint as a sentence: what values the agent may pass. */
export function constraintSentence(name: string, param: NormalizedParam): string {
  const constraint = param.constraint
  if (!constraint) return ''
  const show = (value: unknown) => JSON.stringify(value)
  switch (constraint.type) {
    case 'regex': {
      const pattern = String(constraint.pattern)
      const words = patternInWords(pattern)
      return words
        ? `${name} ${words} (pattern ${show(pattern)}).`
        : `${name} must match the pattern ${show(pattern)} (whole value).`
    }
    case 'enum':
      return `${name} must be one of ${(constraint.values as unknown[]).map(show).join(', ')}.`
    case 'predicate':
      return `${name} ${PREDICATES[constraint.op] ?? constraint.op} ${
        Array.isArray(constraint.value)
          ? constraint.value.map(show).join(', ')
          : show(constraint.value)
      }.`
    default:
      return `${name}: ${show((constraint as { rule?: unknown }).rule ?? '')} (a rule for you to judge; the server does not enforce it).`
  }
}

const PREDICATES: Record<string, string> = {
  '==': 'must be',
  '!=': 'must not be',
  '>=': 'must be at least',
  '<=': 'must be at most',
  '>': 'must be more than',
  '<': 'must be less than',
  in: 'must be one of',
  prefix: 'must start with',
  suffix: 'must end with',
}

/** The Unicode form of an ASCII (punycode) host name, per label; unchanged when plain ASCII. */
export function toUnicodeHost(host: string): string {
  return host
    .split('.')
    .map((label) =>
      label.toLowerCase().startsWith('xn--') ? (decodePunycode(label.slice(4)) ?? label) : label,
    )
    .join('.')
}

/** RFC 3492 decoding of one label; null when it is not valid punycode. */
function decodePunycode(input: string): string | null {
  const base = 36
  let n = 128
  let i = 0
  let bias = 72
  const output: number[] = []
  const basic = input.lastIndexOf('-')
  for (let j = 0; j < Math.max(basic, 0); j++) {
    if (input.charCodeAt(j) >= 0x80) return null
    output.push(input.charCodeAt(j))
  }
  for (let index = basic > 0 ? basic + 1 : 0; index < input.length;) {
    const oldi = i
    for (let w = 1, k = base; ; k += base) {
      if (index >= input.length) return null
      const code = input.charCodeAt(index++)
      const digit =
        code >= 48 && code <= 57
          ? code - 22
          : code >= 65 && code <= 90
            ? code - 65
            : code >= 97 && code <= 122
              ? code - 97
              : base
      if (digit >= base) return null
      i += digit * w
      const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias
      if (digit < t) break
      w *= base - t
      if (w > 0x7fffffff) return null
    }
    const length = output.length + 1
    bias = adapt(i - oldi, length, oldi === 0)
    n += Math.floor(i / length)
    i %= length
    if (n > 0x10ffff) return null
    output.splice(i++, 0, n)
  }
  return String.fromCodePoint(...output)
}

function adapt(delta: number, points: number, first: boolean): number {
  let k = 0
  delta = first ? Math.floor(delta / 700) : delta >> 1
  delta += Math.floor(delta / points)
  for (; delta > 455; k += 36) delta = Math.floor(delta / 35)
  return Math.floor(k + (36 * delta) / (delta + 38))
}
