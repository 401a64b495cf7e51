/**
 * Rule 23: the sign-in page goes on to `?next=` only when it resolves, as the browser resolves
 * it, to a path on this origin; every other target goes to the dashboard.
 */
import { describe, expect, it } from 'vitest'
import { nextPath } from '../web/lib/next-path'

const ORIGIN = 'https://oauth3.example'

describe('nextPath (the sign-in page)', () => {
  it.each([
    '/\\evil.example/phish',
    '/\t/evil.example/phish',
    '/\n/evil.example/phish',
    '\t//evil.example',
    '//evil.example',
    '\\\\evil.example',
    '\\/evil.example',
    'https://evil.example/',
    'https:\\\\evil.example',
    'javascript:alert(1)',
    'data:text/html,x',
    '//oauth3.example@evil.example',
    'http://oauth3.example/dashboard',
  ])('%j goes to the dashboard', (next) => {
    expect(nextPath(next, ORIGIN)).toBe('/dashboard')
  })

  it.each([
    ['/approve/preq_1?x=1#f', '/approve/preq_1?x=1#f'],
    ['/dashboard', '/dashboard'],
    ['approve/preq_1', '/approve/preq_1'],
    ['/a/../approve/preq_2', '/approve/preq_2'],
    [`${ORIGIN}/approve/preq_3`, '/approve/preq_3'],
  ])('%j stays on this site as %j', (next, path) => {
    expect(nextPath(next, ORIGIN)).toBe(path)
  })

  it('no next: the dashboard', () => {
    expect(nextPath(null, ORIGIN)).toBe('/dashboard')
  })
})
