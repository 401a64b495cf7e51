/**
 * Confinement (docs/security.md A): the known escapes, each sent to the real server as an execution,
 * each asserted to fail. The guest runs in a separate SES-locked process with a fresh Compartment
 * per execution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client } from './helpers/http'
import { approvedAgent, execute, run } from './helpers/exec'
import { signup } from './helpers/flow'
import { useTestServer } from './helpers/server'
import { sendJson, startUpstream, type Upstream } from './helpers/upstream'

const SECRET = 'sk_confinement_secret_value_42'
const ECHO = {
  name: 'echo.get',
  endpoint: 'https://api.echo.example.com/echo/{word}',
  method: 'GET',
  auth: { header: 'X-Api-Key', value: '{ECHO_KEY}' },
  params: {
    word: {
      in: 'path',
      constraint: { type: 'regex', pattern: '[a-z]+', rationale: 'lowercase words' },
    },
  },
}

let upstream: Upstream
beforeAll(async () => {
  upstream = await startUpstream((request, response) =>
    sendJson(response, request.url.startsWith('/echo/fail') ? 500 : 200, {
      path: request.url,
      key: request.headers['x-api-key'],
    }),
  )
})
afterAll(() => upstream?.close())
const server = useTestServer(() => ({
  env: {
    NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.echo.example.com': upstream.origin }),
    NITRO_EXEC_TIMEOUT_MS: '3000',
  },
}))
const api = client(() => server.url)

let agentToken: string
beforeAll(async () => {
  agentToken = (await signup(api)).token
})
const stdoutOf = async (code: string) => (await run(api, agentToken, code)).result.stdout

describe('no ambient authority', () => {
  it('SB-01: process, require, fetch and globalThis.process are undefined', async () => {
    expect(
      await stdoutOf(
        'console.log(typeof process, typeof require, typeof fetch, typeof globalThis.process)',
      ),
    ).toBe('undefined undefined undefined undefined\n')
  })

  it('SB-01: no timers, no Buffer, no module system, no host console', async () => {
    expect(
      await stdoutOf(
        'console.log([typeof setTimeout, typeof setInterval, typeof setImmediate, typeof queueMicrotask, typeof Buffer, typeof module, typeof exports, typeof __dirname, typeof WebAssembly].join(" "))',
      ),
    ).toBe(
      'undefined undefined undefined undefined undefined undefined undefined undefined undefined\n',
    )
  })

  it("SB-02: require('child_process') fails; the execution fails, the host is fine", async () => {
    // SES's scope terminator reads unknown free names as undefined, so the call is a TypeError
    // rather than a ReferenceError: either way nothing named require exists.
    const done = await run(api, agentToken, "require('child_process')")
    expect(done.status).toBe('failed')
    expect(done.error).toMatch(/^(ReferenceError|TypeError): .*require/)
    expect((await api.get('/health')).status).toBe(200)
  })

  it('SB-03: import() is refused at submit with SES_IMPORT_REJECTED, even inside a string', async () => {
    for (const code of [
      "await import('fs')",
      "const s = \"import('fs')\"; console.log('ran')",
      'import /* x */ ("fs")',
    ]) {
      const reply = await api.post('/execute', { code }, { token: agentToken })
      expect(reply.status, code).toBe(400)
      expect(reply.body.code).toBe('SES_IMPORT_REJECTED')
      expect(reply.body.error).toMatch(/even in a string/)
      expect(reply.body.details.line).toBe(1)
    }
    // Text that only looks alike runs.
    expect(await stdoutOf('const o = { import: 1 }; console.log(o.import, "imported")')).toBe(
      '1 imported\n',
    )
  })

  it("SB-04: Function('return this')() never yields the host global", async () => {
    // Functions made inside the compartment are strict: `this` is undefined, not any global.
    expect(
      await stdoutOf(
        "const g = Function('return this')(); console.log(g === undefined || g === globalThis, typeof g?.process)",
      ),
    ).toBe('true undefined\n')
    expect(
      await stdoutOf(
        "const g = Function('return globalThis')(); console.log(g === globalThis, typeof g.process, typeof g.args)",
      ),
    ).toBe('true undefined object\n')
  })

  it('SB-05/SB-06: constructor chains to the Function constructor throw TypeError', async () => {
    const code = `
      const results = []
      for (const attempt of [
        () => [].constructor.constructor('return process')(),
        () => Object.getPrototypeOf(async () => {}).constructor('return 1'),
        () => Object.getPrototypeOf(function* () {}).constructor('return 1'),
        () => get.constructor('return process')(),
        () => console.log.constructor('return process')(),
      ]) {
        try { attempt(); results.push('no error') } catch (e) { results.push(e.name) }
      }
      console.log(results.join(' '))`
    const done = await execute(api, await capabilityAgentToken(), {
      permit_id: capabilityPermit,
      code,
    })
    expect(done.result.stdout).toBe('TypeError TypeError TypeError TypeError TypeError\n')
  })

  it('SB-07: indirect eval sees the compartment global; direct eval is rejected with SES_EVAL_REJECTED', async () => {
    expect(
      await stdoutOf("console.log((0, eval)('this') === globalThis, typeof (0, eval)('process'))"),
    ).toBe('true undefined\n')
    const direct = await api.post(
      '/execute',
      { code: "const x = 1; eval('x')" },
      { token: agentToken },
    )
    expect(direct.status).toBe(400)
    expect(direct.body.code).toBe('SES_EVAL_REJECTED')
  })

  it('SB-14: SharedArrayBuffer, Atomics, WeakRef, FinalizationRegistry and typed arrays are absent', async () => {
    const names = [
      'SharedArrayBuffer',
      'Atomics',
      'WeakRef',
      'FinalizationRegistry',
      'Float64Array',
      'ArrayBuffer',
      'DataView',
      'Uint8Array',
      'Int32Array',
      'BigInt64Array',
      'Compartment',
      'lockdown',
    ]
    expect(
      await stdoutOf(
        `console.log([${names.map((name) => `typeof ${name}`).join(', ')}].join(' '))`,
      ),
    ).toBe(names.map(() => 'undefined').join(' ') + '\n')
  })

  it('SB-15: Date.now() and Math.random() throw in secure mode; no host clock', async () => {
    const out = await stdoutOf(`
      const seen = []
      try { Date.now(); seen.push('now') } catch (e) { seen.push(e.message.includes('secure mode')) }
      try { Math.random(); seen.push('random') } catch (e) { seen.push(e.message.includes('secure mode')) }
      seen.push(typeof performance, typeof process)
      console.log(seen.join(' '))`)
    expect(out).toBe('true true undefined undefined\n')
  })
})

describe('frozen intrinsics, fresh compartments', () => {
  it('SB-08: Object.prototype cannot be polluted; another tenant sees nothing', async () => {
    const a = await run(api, agentToken, 'Object.prototype.isAdmin = true')
    expect(a.status).toBe('failed')
    expect(a.error).toMatch(/^TypeError/)
    const b = await signup(api)
    expect((await run(api, b.token, 'console.log({}.isAdmin)')).result.stdout).toBe('undefined\n')
  })

  it('SB-09: Array.prototype.map, JSON.stringify and Promise.prototype.then cannot be replaced', async () => {
    for (const code of [
      "Array.prototype.map = () => 'pwned'",
      "JSON.stringify = () => 'pwned'",
      'Promise.prototype.then = () => 1',
    ]) {
      const done = await run(api, agentToken, code)
      expect(done.status, code).toBe('failed')
      expect(done.error).toMatch(/^TypeError/)
    }
    const after = await run(
      api,
      agentToken,
      'return { mapped: [1, 2].map((x) => x * 2), json: JSON.stringify({ a: 1 }), awaited: await Promise.resolve(3) }',
    )
    expect(after.result.value).toEqual({ mapped: [2, 4], json: '{"a":1}', awaited: 3 })
  })

  it('SB-10: globals set by one execution are gone in the next, for any tenant', async () => {
    await run(api, agentToken, "globalThis.leak = 'secretish'")
    const b = await signup(api)
    for (let i = 0; i < 6; i++) {
      expect(
        (
          await run(
            api,
            i % 2 ? agentToken : b.token,
            'console.log(typeof globalThis.leak, typeof leak)',
          )
        ).result.stdout,
      ).toBe('undefined undefined\n')
    }
  })

  it('SB-14: what TextEncoder gives (a Uint8Array) reaches no shared memory and no GC observation', async () => {
    // Every object reachable from its result and its buffer through prototypes and properties
    // (getters and setters included, never called), by what each calls itself.
    const done = await run(
      api,
      agentToken,
      `const seen = new Set()
      const bytes = new TextEncoder().encode('x')
      const pending = [bytes, bytes.buffer]
      while (pending.length > 0) {
        const value = pending.pop()
        if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue
        seen.add(value)
        pending.push(Object.getPrototypeOf(value))
        for (const key of Reflect.ownKeys(value)) {
          const descriptor = Object.getOwnPropertyDescriptor(value, key)
          pending.push(descriptor.value, descriptor.get, descriptor.set)
        }
      }
      const named = new Set()
      for (const value of seen) {
        const own = (key) => Object.getOwnPropertyDescriptor(value, key)?.value
        if (typeof value === 'function' && typeof own('name') === 'string') named.add(own('name'))
        if (typeof own(Symbol.toStringTag) === 'string') named.add(own(Symbol.toStringTag))
      }
      const watched = ['SharedArrayBuffer', 'Atomics', 'WeakRef', 'FinalizationRegistry', 'ArrayBuffer', 'Uint8Array']
      return { objects: seen.size, reached: watched.filter((name) => named.has(name)) }`,
    )
    expect(done.status, JSON.stringify(done)).toBe('completed')
    expect(done.result.value.objects).toBeGreaterThan(100)
    // Off-heap memory is reachable: the resident-memory limit holds it (limits.test.ts, RS-03).
    expect(done.result.value.reached).toEqual(['ArrayBuffer', 'Uint8Array'])
  })

  it('SB-16: capability stubs, args and console are hardened', async () => {
    const token = await capabilityAgentToken()
    const code = `
      const results = []
      for (const attempt of [() => { get.x = 1 }, () => { args.y = 2 }, () => { console.log = null }, () => { args.nested.z = 3 }]) {
        try { attempt(); results.push('changed') } catch (e) { results.push(e.name) }
      }
      console.log(results.join(' '))`
    const done = await execute(api, token, {
      permit_id: capabilityPermit,
      code,
      args: { nested: { a: 1 } },
    })
    expect(done.result.stdout).toBe('TypeError TypeError TypeError TypeError\n')
  })

  it('SB-16: args are frozen at every depth, objects and arrays alike', async () => {
    let deep: unknown = { leaf: [{ x: 1 }] }
    for (let i = 0; i < 25; i++) deep = { next: deep }
    const args = { list: [{ a: 1 }, [2, { b: 3 }]], empty: {} }
    const done = await execute(api, agentToken, {
      code: `
        const objects = []
        const walk = (value) => {
          if (value === null || typeof value !== 'object') return
          objects.push(value)
          for (const key of Object.keys(value)) walk(value[key])
        }
        walk(args)
        const changed = []
        for (const attempt of [() => { args.list[0].a = 2 }, () => { args.list[1].push(4) }, () => { args.list[1][1].b = 4 }, () => { args.empty.p = 2 }, () => { args.deep.next.next.y = 1 }]) {
          try { attempt(); changed.push('changed') } catch (e) { changed.push(e.name) }
        }
        return { objects: objects.length, frozen: objects.every(Object.isFrozen), changed, own: Object.keys(args) }`,
      args: { ...args, deep },
    })
    expect(done.result.value).toEqual({
      objects: 34,
      frozen: true,
      changed: Array(5).fill('TypeError'),
      own: ['list', 'empty', 'deep'],
    })
  })

  it('SB-16: each console method is frozen too, and has nothing else to reach', async () => {
    const out = await stdoutOf(`
      const methods = ['log', 'info', 'debug', 'warn', 'error'].map((name) => console[name])
      const changed = []
      for (const method of methods) {
        try { method.x = 1; changed.push('changed') } catch (e) { changed.push(e.name) }
        try { Object.defineProperty(method, 'name', { value: 'y' }); changed.push('changed') } catch (e) { changed.push(e.name) }
      }
      console.log(
        new Set(changed).size === 1 ? changed[0] : changed.join(),
        methods.every((method) => Object.isFrozen(method) && method.prototype === undefined),
        methods.every((method) => Object.getPrototypeOf(method) === Function.prototype),
        Object.isFrozen(Function.prototype),
        Object.isFrozen(console),
      )`)
    expect(out).toBe('TypeError true true true true\n')
  })

  it('SB-12: Error.prepareStackTrace reaches no CallSite objects', async () => {
    const out = await stdoutOf(`
      try { Error.prepareStackTrace = (e, s) => s.map((f) => f.getThis()) } catch {}
      let stack
      try { null.x } catch (e) { stack = e.stack }
      console.log(JSON.stringify(stack), typeof stack)`)
    expect(out).toBe('"" string\n')
  })

  it('SB-13: RegExp legacy statics hold nothing', async () => {
    const out = await stdoutOf(
      "/(.+)/.test('x'); console.log(typeof RegExp.$1, RegExp.lastMatch === undefined || RegExp.lastMatch === null, typeof RegExp.input)",
    )
    expect(out).toBe('undefined true undefined\n')
  })
})

describe('what errors show', () => {
  it('SB-11: a gateway error has an empty stack and names no host path or secret', async () => {
    const token = await capabilityAgentToken()
    const done = await execute(api, token, {
      permit_id: capabilityPermit,
      code: "for (const word of ['../etc', 'fail']) { try { await get(word) } catch (e) { console.log(JSON.stringify({ message: e.message, stack: e.stack })) } }",
    })
    const text = done.result.stdout
    expect(text).toContain('"stack":""')
    expect(text).toContain('HTTP 500')
    expect(text).not.toMatch(/\/work\/|\.output|node_modules|\.mjs|\.ts:|at /)
    expect(text).not.toContain(SECRET)
  })

  it('SB-22: an unhandled rejection is reported on stderr; the host stays up', async () => {
    const done = await run(api, agentToken, "Promise.reject(new Error('x')); console.log('after')")
    expect(done.status).toBe('completed')
    expect(done.result.stdout).toBe('after\n')
    expect((await api.get('/health')).status).toBe(200)
  })

  it('rule 4: a guest error never carries a host stack frame', async () => {
    const done = await run(api, agentToken, 'null.boom')
    expect(done.error).toMatch(/^TypeError: /)
    expect(done.error).not.toMatch(/\n\s+at |\/work\/|\.mjs/)
  })
})

describe('SB-24: explicit lockdown options', () => {
  it('LOCKDOWN_ERROR_TAMING=unsafe in the server environment changes nothing', async () => {
    const { startServer } = await import('./helpers/server')
    const unsafe = await startServer({
      env: {
        LOCKDOWN_ERROR_TAMING: 'unsafe',
        LOCKDOWN_STACK_FILTERING: 'verbose',
        NITRO_SANDBOX_POOL_SIZE: '1',
      },
    })
    try {
      const unsafeApi = client(unsafe.url)
      const agent = await signup(unsafeApi)
      const done = await run(unsafeApi, agent.token, 'try { null.x } catch (e) { return e.stack }')
      expect(done.result.value).toBe('')
    } finally {
      await unsafe.stop()
    }
  })
})

let capabilityPermit: string
let capabilityToken: string | undefined
async function capabilityAgentToken() {
  if (capabilityToken) return capabilityToken
  const { agent, permit } = await approvedAgent(api, [ECHO], { ECHO_KEY: SECRET })
  capabilityPermit = permit.permit_id
  capabilityToken = agent.token
  return capabilityToken
}
