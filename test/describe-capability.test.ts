/**
 * A capability in plain words (core/capabilities/describe.ts), as the approval page and the SDK
 * show it: reads or changes, the ASCII host with its Unicode form, hidden characters made visible
 * (the server also refuses them in agent text; this is the page's second line), constraints as
 * sentences, punycode decoded exactly as Node's own decoder does.
 */
import { domainToUnicode } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  constraintSentence,
  describeCapability,
  revealHidden,
  toUnicodeHost,
} from '../core/capabilities/describe'
import type { NormalizedCapability } from '../core/capabilities/plugin'

const capability = (overrides: Partial<NormalizedCapability>): NormalizedCapability => ({
  type: 'api-gateway',
  name: 'github.createIssue',
  function: 'createIssue',
  signature: 'async function createIssue(owner, repo)',
  endpoint: 'https://api.github.com/repos/{owner}/{repo}/issues',
  method: 'POST',
  origin: 'https://api.github.com',
  host: 'api.github.com',
  params: {
    owner: { in: 'path', type: 'string', required: true },
    repo: {
      in: 'path',
      type: 'string',
      required: true,
      constraint: { type: 'enum', values: ['one', 'two'] } as never,
    },
  },
  response: 'json',
  secrets: ['GH_TOKEN'],
  ...overrides,
})

describe('describeCapability', () => {
  it('says what a capability does, where, with which secret', () => {
    const described = describeCapability(capability({}))
    expect(described).toMatchObject({
      effect: 'changes',
      host: 'api.github.com',
      path: '/repos/{owner}/{repo}/issues',
      sentence:
        'Changes data at api.github.com (POST /repos/{owner}/{repo}/issues), using your GH_TOKEN.',
    })
    expect(described.unicodeHost).toBeUndefined()
    expect(described.params[1]).toEqual({
      name: 'repo',
      where: 'in the path',
      required: true,
      rule: 'repo must be one of "one", "two".',
    })
    const read = describeCapability(capability({ method: 'GET', secrets: [] }))
    expect(read.sentence).toBe(
      'Reads from api.github.com (GET /repos/{owner}/{repo}/issues), with no secret of yours.',
    )
  })

  it('shows an internationalized host in ASCII, and its Unicode form beside it', () => {
    const described = describeCapability(
      capability({ endpoint: 'https://аррӏе.com/x', host: 'xn--80ak6aa92e.com' }),
    )
    expect(described.host).toBe('xn--80ak6aa92e.com')
    expect(described.unicodeHost).toBe('аррӏе.com')
  })

  it('makes invisible and bidirectional characters visible', () => {
    expect(revealHidden('a\u202Eb\u200Bc\uFEFFd\u2066e\u{E0041}f')).toBe(
      'a<U+202E>b<U+200B>c<U+FEFF>d<U+2066>e<U+E0041>f',
    )
    expect(revealHidden('plain text, ünïcode, 中文')).toBe('plain text, ünïcode, 中文')
    const described = describeCapability(capability({ description: 'one\u200Btwo' }))
    expect(described.description).toBe('one<U+200B>two')
  })

  it('puts every constraint type in a sentence', () => {
    const sentence = (constraint: unknown) =>
      constraintSentence('x', { in: 'query', type: 'string', required: true, constraint } as never)
    // Simple patterns in words, the raw pattern beside; others as the pattern.
    const regex = (pattern: string) => sentence({ type: 'regex', pattern })
    expect(regex('[a-z]+')).toBe('x is 1 or more characters from a–z (pattern "[a-z]+").')
    expect(regex('^ada$')).toBe('x is exactly "ada" (pattern "^ada$").')
    expect(regex('^(ada|bob)$')).toBe('x is one of "ada", "bob" (pattern "^(ada|bob)$").')
    expect(regex('^[a-z0-9-]{1,32}$')).toBe(
      'x is 1 to 32 characters from a–z, 0–9, "-" (pattern "^[a-z0-9-]{1,32}$").',
    )
    expect(regex('^ada/.*$')).toBe('x starts with "ada/" (pattern "^ada/.*$").')
    expect(regex('.*\\.png')).toBe('x ends with ".png" (pattern ".*\\\\.png").')
    expect(regex('ab\\.c')).toBe('x is exactly "ab.c" (pattern "ab\\\\.c").')
    expect(regex('^[^x]+$')).toBe('x must match the pattern "^[^x]+$" (whole value).')
    expect(regex('a.b')).toBe('x must match the pattern "a.b" (whole value).')
    expect(regex('(a|b)+')).toBe('x must match the pattern "(a|b)+" (whole value).')
    expect(sentence({ type: 'predicate', op: '<=', value: 10 })).toBe('x must be at most 10.')
    expect(sentence({ type: 'predicate', op: 'prefix', value: 'ada/' })).toBe(
      'x must start with "ada/".',
    )
    expect(sentence({ type: 'natural_language', rule: 'only my repos' })).toMatch(
      /"only my repos" \(a rule for you to judge; the server does not enforce it\)/,
    )
  })

  it('decodes punycode exactly as Node does, and leaves invalid labels alone', () => {
    for (const host of [
      'xn--mnchen-3ya.de',
      'xn--80ak6aa92e.com',
      'xn--ls8h.la',
      'xn--fiqs8s.xn--fiqz9s',
      'xn--bcher-kva.example',
      'plain.example',
    ]) {
      expect(toUnicodeHost(host), host).toBe(domainToUnicode(host))
    }
    expect(toUnicodeHost('xn--zz-zzzz.example')).toBe('xn--zz-zzzz.example')
  })
})
