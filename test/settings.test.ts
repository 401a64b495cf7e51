/**
 * Operator settings are checked at startup: a bad value stops the server with a message naming
 * the variable; good ones are honoured; one data folder serves one process.
 */
import { describe, expect, it } from 'vitest'
import { resolveSettings } from '../server/settings/resolve'
import { client } from './helpers/http'
import { runUntilExit, startServer } from './helpers/server'

describe('resolveSettings', () => {
  it('has safe defaults', () => {
    const settings = resolveSettings({}, '/srv')
    expect(settings).toMatchObject({
      publicUrl: null,
      dataDir: '/srv/.data',
      redisUrl: null,
      keyFile: '/srv/.data/vault.key',
      upstreamMap: {},
      allowHttpEndpoints: false,
      dataFsync: false,
    })
  })

  it('names every bad variable at once', () => {
    expect(() =>
      resolveSettings({
        publicUrl: 'ftp://x',
        redisUrl: 'http://r',
        upstreamMap: '{"nope":1}',
        approvalTtlSeconds: 0,
        allowHttpEndpoints: 'yes',
        redisPrefix: 'a b',
      }),
    ).toThrow(
      /NITRO_PUBLIC_URL[\s\S]*NITRO_REDIS_URL[\s\S]*NITRO_REDIS_PREFIX[\s\S]*NITRO_UPSTREAM_MAP[\s\S]*NITRO_ALLOW_HTTP_ENDPOINTS[\s\S]*NITRO_APPROVAL_TTL_SECONDS/,
    )
  })

  it('history and lease settings: decimals where they make sense, key-safe node ids', () => {
    const settings = resolveSettings({ retentionDays: '0.25' })
    expect(settings).toMatchObject({
      retentionDays: 0.25,
      leaseSeconds: 10,
      shutdownGraceSeconds: 10,
    })
    expect(resolveSettings({}).retentionDays).toBe(30)
    expect(resolveSettings({}).nodeId).toMatch(/^[A-Za-z0-9_.-]{1,64}$/)
    for (const raw of [
      { retentionDays: '0' },
      { retentionDays: 'a week' },
      { retentionDays: '1e9' },
      { leaseSeconds: '1.5' },
      { leaseSeconds: '1' },
      { nodeId: 'a:b' },
      { nodeId: 'x'.repeat(65) },
    ]) {
      expect(() => resolveSettings(raw), JSON.stringify(raw)).toThrow(
        /NITRO_(RETENTION_DAYS|LEASE_SECONDS|NODE_ID) must/,
      )
    }
  })

  it('normalises the public URL and the upstream map (string or already-parsed object)', () => {
    expect(resolveSettings({ publicUrl: 'https://oauth3.example.com/' }).publicUrl).toBe(
      'https://oauth3.example.com',
    )
    expect(
      resolveSettings({ upstreamMap: '{"https://api.github.com/":"http://127.0.0.1:8081"}' })
        .upstreamMap,
    ).toEqual({ 'https://api.github.com': 'http://127.0.0.1:8081' })
    expect(
      resolveSettings({ upstreamMap: { 'https://httpbin.org': 'http://127.0.0.1:9' } }).upstreamMap,
    ).toEqual({ 'https://httpbin.org': 'http://127.0.0.1:9' })
  })
})

describe('startup', () => {
  it('exits with a clear message on a bad setting', async () => {
    for (const [variable, value] of [
      ['NITRO_PUBLIC_URL', 'not a url'],
      ['NITRO_REDIS_URL', 'mysql://x'],
      ['NITRO_UPSTREAM_MAP', '[1,2]'],
      ['NITRO_APPROVAL_TTL_SECONDS', '-5'],
    ]) {
      const { code, output } = await runUntilExit({ [variable]: value })
      expect(code, variable).toBe(1)
      expect(output).toContain(variable)
      expect(output).not.toMatch(/\n\s+at /)
    }
  })

  it('prints the real public URL, with the port it listens on', async () => {
    const server = await startServer()
    try {
      expect(server.logs()).toContain(`public URL: http://localhost:${server.port};`)
      expect(server.logs()).not.toContain('<port>')
    } finally {
      await server.stop()
    }
  })

  it('logs the upstream map at startup', async () => {
    const server = await startServer({
      env: { NITRO_UPSTREAM_MAP: '{"https://api.github.com":"http://127.0.0.1:8081"}' },
    })
    try {
      expect(server.logs()).toContain(
        'NITRO_UPSTREAM_MAP: https://api.github.com -> http://127.0.0.1:8081',
      )
    } finally {
      await server.stop()
    }
  })

  it('refuses a second process on the same data folder, and takes over after a kill -9', async () => {
    const first = await startServer({ keepData: true })
    const second = await runUntilExit({ NITRO_DATA_DIR: first.dataDir })
    expect(second.code).toBe(1)
    expect(second.output).toMatch(/in use by process/)
    await first.kill9()
    const third = await startServer({ dataDir: first.dataDir })
    expect((await client(third.url).get('/health')).body.status).toBe('ok')
    await third.stop()
  })

  it('GET /health and GET / answer without auth; / is the Markdown guide with absolute URLs', async () => {
    const server = await startServer({ env: { NITRO_PUBLIC_URL: 'https://oauth3.example.com' } })
    try {
      const api = client(server.url)
      expect((await api.get('/health')).body).toEqual({
        status: 'ok',
        tee: 'none',
        store: 'embedded',
        long_polls: 0,
        version: expect.any(String),
        commit: expect.stringMatching(/^[0-9a-f]{40}$/),
        build_digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      })
      const guide = await api.get('/')
      expect(guide.headers.get('content-type')).toMatch(/text\/markdown/)
      expect(guide.text).toContain('https://oauth3.example.com/signup')
      const openapi = await api.get('/openapi.json')
      expect(openapi.body.openapi).toBe('3.1.0')
      expect(openapi.body.servers).toEqual([{ url: 'https://oauth3.example.com' }])
      expect(
        openapi.body.paths['/permit'].post.requestBody.content['application/json'].schema,
      ).toEqual({ $ref: '#/components/schemas/permitRequest' })
      for (const word of [
        'pending',
        'completed',
        'denied',
        'expired',
        'approved',
        'executing',
        'failed',
      ])
        expect(guide.text).toContain(`\`${word}\``)
    } finally {
      await server.stop()
    }
  })
})
