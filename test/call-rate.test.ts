/**
 * GW-24's mechanism: the human's per-minute limit counts calls in any 60 seconds, not per clock
 * minute, on the real embedded store (the clock set by the test; nothing else faked).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { takeCallSlot } from '../server/gateway/call-rate'
import { createEmbeddedStore, type Store } from '../server/store'

let dir: string
let store: Store
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oauth3-call-rate-'))
  store = await createEmbeddedStore({ dir, engine: 'journal' })
  vi.useFakeTimers({ toFake: ['Date'] })
})
afterAll(async () => {
  vi.useRealTimers()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const take = (permit: string) =>
  takeCallSlot(store, permit, 5).then(
    () => 'ok',
    (error: { code?: string }) => error.code,
  )

describe('the per-minute call limit', () => {
  it('holds across a clock minute: 5 calls at 12:00:59 leave none at 12:01:00', async () => {
    vi.setSystemTime(new Date('2026-12-05T12:00:59.500Z'))
    for (let i = 0; i < 5; i++) expect(await take('permit_a')).toBe('ok')
    expect(await take('permit_a')).toBe('rate_limited')
    vi.setSystemTime(new Date('2026-12-05T12:01:00.200Z'))
    expect(await take('permit_a')).toBe('rate_limited')
    vi.setSystemTime(new Date('2026-12-05T12:01:58.900Z'))
    expect(await take('permit_a')).toBe('rate_limited')
    // A minute after the calls, they no longer count.
    vi.setSystemTime(new Date('2026-12-05T12:01:59.600Z'))
    expect(await take('permit_a')).toBe('ok')
  })

  it('counts each permit on its own, and spreads over seconds', async () => {
    vi.setSystemTime(new Date('2026-12-05T13:00:00.000Z'))
    for (let second = 0; second < 5; second++) {
      vi.setSystemTime(new Date(Date.parse('2026-12-05T13:00:00Z') + second * 10_000))
      expect(await take('permit_b')).toBe('ok')
    }
    expect(await take('permit_b')).toBe('rate_limited')
    expect(await take('permit_c')).toBe('ok')
    // The first call (13:00:00) leaves the window at 13:01:00; the next one stays in until 13:01:10.
    vi.setSystemTime(new Date('2026-12-05T13:01:00.000Z'))
    expect(await take('permit_b')).toBe('ok')
    expect(await take('permit_b')).toBe('rate_limited')
  })
})
