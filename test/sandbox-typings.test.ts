/**
 * sandbox.d.ts declares exactly a sandbox's global scope: the globals a live Compartment holds
 * (read by code run through the server) against those lib es2022 and sandbox.d.ts declare, through
 * the TypeScript compiler. Every global the sandbox has is declared; everything sandbox.d.ts adds
 * exists; what lib es2022 declares and the sandbox lacks is exactly the documented list.
 */
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { capabilityTypings } from '../core/capabilities/typings'
import { LIB_GLOBALS_ABSENT, SANDBOX_DTS } from '../core/capabilities/sandbox-typings'
import { signup } from './helpers/flow'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'

const server = useTestServer()
const api = client(() => server.url)

/**
 * Intrinsics newer than ES2022 that a newer Node's SES Compartment may hold: lib es2022 cannot
 * declare them, and sandbox.d.ts leaves them to the lib that does.
 */
const NEWER_THAN_ES2022 = new Set(['Iterator', 'Float16Array', 'AsyncIterator'])

/** Value names in the global scope of a program of lib es2022 and `files`. */
function declaredGlobals(files: Record<string, string>): Set<string> {
  const options: ts.CompilerOptions = { lib: ['lib.es2022.d.ts'], noEmit: true, types: [] }
  const host = ts.createCompilerHost(options)
  const readFile = host.readFile.bind(host)
  host.readFile = (name) => files[name] ?? readFile(name)
  host.fileExists = (name) => name in files || ts.sys.fileExists(name)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (name, version) =>
    name in files ? ts.createSourceFile(name, files[name], version) : getSourceFile(name, version)
  const program = ts.createProgram(Object.keys(files), options, host)
  const checker = program.getTypeChecker()
  const probe = program.getSourceFile('probe.ts')!
  return new Set(
    checker.getSymbolsInScope(probe, ts.SymbolFlags.Value).map((symbol) => symbol.name),
  )
}

describe('sandbox.d.ts', () => {
  it('declares exactly the globals of a live sandbox beyond lib es2022', async () => {
    const agent = await signup(api)
    const ran = await api.post(
      '/execute',
      { code: 'return Object.getOwnPropertyNames(globalThis).sort()' },
      { token: agent.token, headers: { prefer: 'wait=30' } },
    )
    expect(ran.status, ran.text).toBe(200)
    const live = new Set(ran.body.result.value as string[])
    // `args` is the one endowment of an execution without a permit.
    live.delete('args')

    const probe = { 'probe.ts': 'export {}' }
    const lib = declaredGlobals(probe)
    const withSandbox = declaredGlobals({ ...probe, 'sandbox.d.ts': SANDBOX_DTS })
    const added = [...withSandbox].filter((name) => !lib.has(name)).sort()

    const undeclared = [...live].filter((name) => !withSandbox.has(name))
    expect(undeclared.filter((name) => !NEWER_THAN_ES2022.has(name))).toEqual([])
    expect(added.filter((name) => !live.has(name))).toEqual([])
    const absent = [...lib].filter((name) => !live.has(name) && /^[A-Z]/.test(name)).sort()
    expect(absent).toEqual([...LIB_GLOBALS_ABSENT].sort())
    expect(added).toEqual(['TextDecoder', 'TextEncoder', 'console', 'harden'])
  })

  it('is served alone, and inside every permit’s .d.ts', async () => {
    const reply = await api.get('/sandbox.d.ts')
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(reply.text).toBe(SANDBOX_DTS)
    expect(capabilityTypings([])).toContain(SANDBOX_DTS)
  })
})
