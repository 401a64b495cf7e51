/**
 * Rule 9 as a property of the redactor: for random secrets (with `+ / = ~ " \` spaces and
 * non-ASCII), random standard encoders (one, or one applied to another's output), at random
 * offsets in random text, nothing left after redaction decodes to the secret — as text and as raw
 * bytes — and text that holds no secret comes back unchanged. The oracle (helpers/encodings.ts)
 * decodes with its own regular expressions, not the server's views.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRedactor } from '../server/gateway/redact'
import { ENCODERS, revealsSecret } from './helpers/encodings'

const NAMES = Object.keys(ENCODERS)
const SECRET_CHARS = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...'+/=~ "\\-_.%&#;:',
  ...'éüÿß€中😀',
]
const secret = fc
  .array(fc.constantFrom(...SECRET_CHARS), { minLength: 8, maxLength: 40 })
  .map((chars) => chars.join(''))
  .filter((text) => /[A-Za-z0-9]/.test(text))
const filler = fc.string({ maxLength: 40 })
const encoding = fc.record({
  outer: fc.constantFrom(...NAMES),
  inner: fc.option(fc.constantFrom(...NAMES), { nil: undefined }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
})

interface Encoding {
  outer: string
  inner?: string
  seed: number
}

function encode(value: string, { outer, inner, seed }: Encoding) {
  const once = inner ? ENCODERS[inner](value, seed) : value
  return ENCODERS[outer](once, seed + 1)
}

describe('redaction as one rule over decoded views (rule 9)', () => {
  it('nothing left decodes to the secret: any encoder or two composed, any offset, text or bytes', () => {
    fc.assert(
      fc.property(secret, encoding, filler, filler, (value, how, before, after) => {
        const redact = createRedactor([value])
        // A composition is set apart from what precedes it: an unfinished escape right before it
        // (a lone `\`, `%4`) can take the first character of the outer encoding, as
        // docs/security.md says. One encoding alone is found whatever precedes it.
        const echoed = before + (how.inner ? ' ' : '') + encode(value, how) + after
        // Some compositions cannot be decoded back (an optional `;` read early): nothing to hide.
        fc.pre(revealsSecret(echoed, value))
        const text = redact.text(echoed)
        expect(revealsSecret(text, value), text).toBe(false)
        const bytes = redact.bytes(Buffer.from(echoed)).toString('utf8')
        expect(revealsSecret(bytes, value), bytes).toBe(false)
      }),
      { numRuns: 1500 },
    )
  })

  it('several secrets echoed side by side, each in its own encoding', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(secret, encoding), { minLength: 2, maxLength: 4 }), (pairs) => {
        const redact = createRedactor(pairs.map(([value]) => value))
        const text = redact.text(pairs.map(([value, how]) => encode(value, how)).join(' | '))
        for (const [value] of pairs) expect(revealsSecret(text, value), text).toBe(false)
      }),
      { numRuns: 300 },
    )
  })

  it('text that holds no secret comes back unchanged', () => {
    fc.assert(
      fc.property(secret, secret, encoding, filler, (value, other, how, before) => {
        const echoed = before + encode(other, how)
        fc.pre(!revealsSecret(echoed, value))
        expect(createRedactor([value]).text(echoed)).toBe(echoed)
      }),
      { numRuns: 300 },
    )
  })

  it('JSON keeps its key order; keys and strings are redacted', () => {
    const redact = createRedactor(['sk_live_0123456789'])
    const value = { z: 1, b: { y: 'sk_live_0123456789', a: [2, 'x'] }, a: 3, sk_live_0123456789: 4 }
    const out = redact.json(value) as Record<string, unknown>
    expect(Object.keys(out)).toEqual(['z', 'b', 'a', '[REDACTED]'])
    expect(Object.keys(out.b as object)).toEqual(['y', 'a'])
    expect(out).toEqual({ z: 1, b: { y: '[REDACTED]', a: [2, 'x'] }, a: 3, '[REDACTED]': 4 })
  })

  it('a secret in a long text is found across the windows the search uses', () => {
    const value = 'sk_live_window_0123456789'
    const redact = createRedactor([value])
    for (const at of [0, (1 << 20) - 7, (1 << 20) + 5, 3 * (1 << 20) - 30]) {
      const text = 'x'.repeat(at) + Buffer.from(value).toString('base64') + 'y'.repeat(1000)
      const out = redact.text(text)
      expect(revealsSecret(out.slice(Math.max(0, at - 100)), value)).toBe(false)
      expect(out.length).toBeLessThan(text.length)
    }
  })
})
