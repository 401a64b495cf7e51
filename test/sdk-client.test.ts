/**
 * The SDK's edges (sdk/dist as users get it), against the real server: the saved config holds a
 * token per server keyed by its normalised URL and never replaces one; every failure is an
 * OAuth3Error — a network failure names the URL and the cause; `verify: 'require'` sends nothing
 * before the server proved itself; a dropped event stream resumes with Last-Event-ID, nothing
 * repeated and nothing lost.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { signup } from './helpers/flow'
import { client } from './helpers/http'
import { freePort, useTestServer } from './helpers/server'

const SDK = join(fileURLToPath(new URL('..', import.meta.url)), 'sdk', 'dist', 'index.js')
type Sdk = typeof import('../sdk/src/index')
const loadSdk = () => import(SDK) as Promise<Sdk>

const server = useTestServer()
const api = client(() => server.url)

let home: string
const savedEnv = { ...process.env }
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'oauth3-sdk-client-'))
  process.env.HOME = home
  for (const name of ['OAUTH3_URL', 'OAUTH3_TOKEN', 'OAUTH3_API_KEY']) delete process.env[name]
})
afterEach(() => {
  process.env = { ...savedEnv }
  rmSync(home, { recursive: true, force: true })
})

const configFile = () => join(home, '.oauth3', 'config.json')
const readConfig = () => JSON.parse(readFileSync(configFile(), 'utf8'))

/** The error a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<InstanceType<Sdk['OAuth3Error']>> {
  const { OAuth3Error } = await loadSdk()
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(OAuth3Error)
  return error as InstanceType<Sdk['OAuth3Error']>
}

describe('the saved config', () => {
  it('holds a token per server, keyed by its normalised URL; a trailing slash is the same server', async () => {
    const { OAuth3 } = await loadSdk()
    process.env.OAUTH3_URL = `${server.url}/`
    const first = await OAuth3.create()
    const port = new URL(server.url).port
    // Another spelling of the same server: same token, no second signup.
    process.env.OAUTH3_URL = `HTTP://127.0.0.1:${port}//`
    const again = await OAuth3.create()
    expect(again.token).toBe(first.token)
    expect(again.url).toBe(server.url)
    // Another server name (localhost, not 127.0.0.1) is another entry; the first one is kept.
    process.env.OAUTH3_URL = `http://localhost:${port}`
    const other = await OAuth3.create()
    expect(other.token).not.toBe(first.token)
    const config = readConfig()
    expect(Object.keys(config.servers).sort()).toEqual(
      [server.url, `http://localhost:${port}`].sort(),
    )
    expect(config.servers[server.url].token).toBe(first.token)
    expect(config.default).toBe(server.url)
    // Without OAUTH3_URL, the default server's token.
    delete process.env.OAUTH3_URL
    expect((await OAuth3.create()).token).toBe(first.token)
  })

  it('reads an earlier config of one { url, token }, and never replaces a saved token', async () => {
    const { OAuth3 } = await loadSdk()
    const agent = await signup(api)
    mkdirSync(join(home, '.oauth3'), { recursive: true })
    writeFileSync(configFile(), JSON.stringify({ url: `${server.url}/`, token: agent.token }))
    const client = await OAuth3.create()
    expect(client.token).toBe(agent.token)
    expect((await client.me()).tenant_id).toBe(agent.tenant_id)
    // An explicit second signup answers a new account and leaves the saved one alone.
    const second = await OAuth3.signup({ url: server.url })
    expect(second.token).not.toBe(agent.token)
    expect((await OAuth3.create()).token).toBe(agent.token)
    expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toMatchObject({ token: agent.token })
  })

  it('refuses a URL that is not one, as an OAuth3Error', async () => {
    const { OAuth3 } = await loadSdk()
    const error = await failure(OAuth3.create({ url: 'localhost:3000', token: 't' }))
    expect(error.code).toBe('INVALID_URL')
    expect(error.message).toMatch(/http/)
  })
})

describe('network failures', () => {
  it('name the URL and the cause, with the underlying error as cause', async () => {
    const { OAuth3 } = await loadSdk()
    const port = await freePort()
    const down = new OAuth3({ url: `http://127.0.0.1:${port}`, token: 't', verify: 'skip' })
    const refused = await failure(down.me())
    expect(refused.code).toBe('NETWORK_ERROR')
    expect(refused.status).toBe(0)
    expect(refused.message).toBe(
      `cannot reach http://127.0.0.1:${port}/me: connection refused (is the server running on that port?)`,
    )
    expect(refused.cause).toBeInstanceOf(Error)

    const tls = new OAuth3({
      url: server.url.replace('http:', 'https:'),
      token: 't',
      verify: 'skip',
    })
    const wrongScheme = await failure(tls.me())
    expect(wrongScheme.code).toBe('NETWORK_ERROR')
    expect(wrongScheme.message).toMatch(/does not speak https \(try http:\/\/\)/)

    const nowhere = new OAuth3({ url: 'http://no-such-host.invalid', token: 't', verify: 'skip' })
    const dns = await failure(nowhere.me())
    expect(dns.message).toMatch(/^cannot reach http:\/\/no-such-host\.invalid\/me: .*DNS/)

    // A socket that accepts and hangs up.
    const rude = createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => rude.listen(0, '127.0.0.1', resolve))
    const address = rude.address() as { port: number }
    try {
      const reset = await failure(
        new OAuth3({ url: `http://127.0.0.1:${address.port}`, token: 't', verify: 'skip' }).me(),
      )
      expect(reset.code).toBe('NETWORK_ERROR')
      expect(reset.message).toMatch(
        /^cannot reach .*: (the connection closed unexpectedly|the connection was reset|other side closed)/,
      )
    } finally {
      rude.close()
    }
  })
})

describe("verify: 'require'", () => {
  it('sends nothing but the attestation request to a server that does not prove itself', async () => {
    const { OAuth3 } = await loadSdk()
    const agent = await signup(api)
    const sent: string[] = []
    const recording: typeof fetch = (input, init) => {
      sent.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`)
      return fetch(input, init)
    }
    const strict = new OAuth3({
      url: server.url,
      token: agent.token,
      verify: 'require',
      fetch: recording,
    })
    const refused = await failure(strict.executeAndWait({ code: 'return 1' }))
    expect(refused.code).toBe('ATTESTATION_FAILED')
    expect(sent).toEqual(['GET /attestation'])
    // Nor does a new account get made.
    process.env.OAUTH3_URL = server.url
    const signupRefused = await failure(OAuth3.create({ verify: 'require', fetch: recording }))
    expect(signupRefused.code).toBe('ATTESTATION_FAILED')
    expect(sent.filter((line) => line !== 'GET /attestation')).toEqual([])
  })
})

describe('events()', () => {
  it('resumes a dropped stream with Last-Event-ID: nothing repeated, nothing lost', async () => {
    const { OAuth3 } = await loadSdk()
    const agent = await signup(api)
    const resumedWith: Array<string | null> = []
    let cuts = 0
    // The first stream breaks after its first event, as a dropped connection does.
    const flaky: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (!String(input).endsWith('/events')) return response
      resumedWith.push(new Headers(init?.headers).get('last-event-id'))
      if (cuts++ > 0) return response
      const reader = response.body!.getReader()
      let sentFirst = false
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sentFirst) return controller.error(new TypeError('terminated'))
          const { value } = await reader.read()
          const text = new TextDecoder().decode(value)
          const first = text.slice(0, text.indexOf('\n\n') + 2)
          controller.enqueue(new TextEncoder().encode(first))
          sentFirst = true
          void reader.cancel()
        },
      })
      return new Response(body, { status: response.status, headers: response.headers })
    }
    const sdk = new OAuth3({ url: server.url, token: agent.token, verify: 'skip', fetch: flaky })
    const submitted = await sdk.submit(
      { code: 'console.log("one"); console.error("two"); console.log("three"); return 3' },
      { waitSeconds: 10 },
    )
    const seen: string[] = []
    for await (const event of sdk.events(submitted.request_id)) {
      seen.push(
        event.type === 'end'
          ? `end:${event.data.status}`
          : `${event.type}:${JSON.stringify(event.data)}`,
      )
    }
    expect(resumedWith[0]).toBeNull()
    expect(resumedWith[1]).toMatch(/^\d+\.\d+\.\d+$/)
    const stdout = seen
      .filter((line) => line.startsWith('stdout:'))
      .map((line) => JSON.parse(line.slice(7)))
      .join('')
    const stderr = seen
      .filter((line) => line.startsWith('stderr:'))
      .map((line) => JSON.parse(line.slice(7)))
      .join('')
    expect(stdout).toBe('one\nthree\n')
    expect(stderr).toBe('two\n')
    expect(seen.at(-1)).toBe('end:completed')
  })
})

afterAll(() => {
  process.env = { ...savedEnv }
})
