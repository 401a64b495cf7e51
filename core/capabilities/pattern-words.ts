/**
 * A constraint's regular expression in words, for the people who approve it: the simple shapes
 * owners meet — an exact value, a choice of values, a run of characters from a set, a prefix or a
 * suffix — read aloud; anything else is left to the raw pattern, which is always shown beside.
 * The server matches a pattern against the whole value, so `^` and `$` add nothing here.
 */
const META = /[\\^$.|?*+()[\]{}]/

/** `pattern` in words ("is exactly ada"), or null when it is not one of the simple shapes. */
export function patternInWords(pattern: string): string | null {
  const body = pattern.replace(/^\^/, '').replace(/(?<!\\)\$$/, '')
  const literal = literalOf(body)
  if (literal !== null) return `is exactly ${quote(literal)}`
  const choices = choicesOf(body)
  if (choices) return `is one of ${choices.map(quote).join(', ')}`
  const run = runOf(body)
  if (run) return `is ${run.count} from ${run.set}`
  const prefix = /^(.*?)\.\*$/s.exec(body)
  if (prefix && literalOf(prefix[1]) !== null) return `starts with ${quote(literalOf(prefix[1])!)}`
  const suffix = /^\.\*(.*)$/s.exec(body)
  if (suffix && literalOf(suffix[1]) !== null) return `ends with ${quote(literalOf(suffix[1])!)}`
  return null
}

/** Text with no operator (escaped characters taken as themselves); null otherwise. */
function literalOf(text: string): string | null {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === '\\') {
      const next = text[i + 1]
      if (next === undefined || /[A-Za-z0-9]/.test(next)) return null
      out += next
      i++
    } else if (META.test(char)) {
      return null
    } else out += char
  }
  return out === '' ? null : out
}

function choicesOf(body: string): string[] | null {
  const inner = /^\((?:\?:)?(.*)\)$/s.exec(body)?.[1] ?? body
  if (!inner.includes('|')) return null
  const parts = inner.split('|').map(literalOf)
  return parts.every((part): part is string => part !== null) && parts.length <= 20 ? parts : null
}

const CLASS_WORDS: Record<string, string> = {
  'a-z': 'a–z',
  'A-Z': 'A–Z',
  '0-9': '0–9',
  '\\d': '0–9',
  '\\w': 'letters, digits and _',
}

function runOf(body: string): { count: string; set: string } | null {
  const match = /^(\[[^\]]+\]|\\d|\\w)(\{(\d+)(,(\d*))?\}|\+|\*)?$/.exec(body)
  if (!match) return null
  const set = setWords(match[1])
  if (!set) return null
  const [, , quantifier, min, comma, max] = match
  let count: string
  if (!quantifier) count = '1 character'
  else if (quantifier === '+') count = '1 or more characters'
  else if (quantifier === '*') count = 'any number of characters'
  else if (!comma) count = `${min} character${min === '1' ? '' : 's'}`
  else if (max === '') count = `${min} or more characters`
  else count = `${min} to ${max} characters`
  return { count, set }
}

function setWords(set: string): string | null {
  if (CLASS_WORDS[set]) return CLASS_WORDS[set]
  const inner = /^\[([^\]^]+)\]$/.exec(set)?.[1]
  if (!inner) return null
  const words: string[] = []
  for (let i = 0; i < inner.length;) {
    const range = /^(a-z|A-Z|0-9|\\d|\\w)/.exec(inner.slice(i))?.[1]
    if (range) {
      words.push(CLASS_WORDS[range])
      i += range.length
    } else if (inner[i] === '\\' && i + 1 < inner.length && !/[A-Za-z0-9]/.test(inner[i + 1])) {
      words.push(quote(inner[i + 1]))
      i += 2
    } else if (
      /[^\\\-\]]/.test(inner[i]) ||
      (inner[i] === '-' && (i === 0 || i === inner.length - 1))
    ) {
      words.push(quote(inner[i]))
      i += 1
    } else return null
  }
  return words.join(', ')
}

const quote = (text: string) => `"${text}"`
