/**
 * One contract suite run over every registered capability type (as unstorage runs one suite
 * over every driver), against the real server and a local stand-in upstream per type: the type
 * is listed with its schema, its specs are checked at permit time, a call carries the owner's
 * credential only where the type says and only to its origin, the agent reads the shaped answer
 * with every secret redacted, and a missing credential or a refused argument sends nothing.
 */
import { readdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalizeCapabilities } from '../core/capabilities/registry'
import { CAPABILITY_PLUGINS } from '../core/capabilities/registry'
import type { CapabilityFixture } from './helpers/capability-fixture'
import { execute } from './helpers/exec'
import { decide, requestPermit, signup } from './helpers/flow'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'
import { startUpstream, type Upstream } from './helpers/upstream'

const FIXTURES_DIR = new URL('./fixtures/capabilities/', import.meta.url)
const fixtureFiles = readdirSync(FIXTURES_DIR).filter((file) => file.endsWith('.ts'))
const fixtures: CapabilityFixture[] = await Promise.all(
  fixtureFiles.map(async (file) => (await import(new URL(file, FIXTURES_DIR).href)).default),
)

const upstreams = new Map<string, Upstream>()
beforeAll(async () => {
  for (const fixture of fixtures) upstreams.set(fixture.type, await startUpstream(fixture.upstream))
})
afterAll(async () => {
  await Promise.all([...upstreams.values()].map((upstream) => upstream.close()))
})
const server = useTestServer(() => ({
  env: {
    NITRO_UPSTREAM_MAP: JSON.stringify(
      Object.fromEntries(fixtures.map((f) => [f.origin, upstreams.get(f.type)!.origin])),
    ),
  },
}))
const api = client(() => server.url)

it('every registered capability type has a fixture, and every fixture a type', () => {
  expect(fixtures.map((fixture) => fixture.type).sort()).toEqual(
    CAPABILITY_PLUGINS.map((plugin) => plugin.type).sort(),
  )
  for (const fixture of fixtures) expect(fixtureFiles).toContain(`${fixture.type}.ts`)
})

/** An owner holding the fixture's credential approves a permit for its spec. */
async function approvedPermit(fixture: CapabilityFixture, options: { withCredential: boolean }) {
  const agent = await signup(api)
  const owner = await signup(api, 'owner')
  const { credential } = fixture
  if (options.withCredential && 'cookies' in credential) {
    const upload = await api.post('/cookies/upload', credential.cookies, { token: owner.token })
    expect(upload.status, upload.text).toBe(200)
  }
  const permit = await requestPermit(api, agent.token, {
    description: `contract: ${fixture.type}`,
    capabilities: [fixture.spec],
  })
  const secrets = options.withCredential && 'secrets' in credential ? credential.secrets : undefined
  const decision = await decide(api, owner.token, permit, 'approve', secrets ? { secrets } : {})
  expect(decision.status, decision.text).toBe(200)
  return { agent, permit }
}

const caught = (code: string) =>
  `try { ${code} } catch (e) { return { code: e.code, message: e.message } }`

describe.each(fixtures.map((fixture) => [fixture.type, fixture] as const))(
  '%s',
  (type, fixture) => {
    const upstream = () => upstreams.get(type)!

    it('is listed by GET /plugins with its JSON Schema, and every schema it references is served', async () => {
      const { plugins } = (await api.get('/plugins')).body
      const plugin = CAPABILITY_PLUGINS.find((candidate) => candidate.type === type)!
      const listed = plugins.find((candidate: { type: string }) => candidate.type === type)
      expect(listed.description).toBe(plugin.description)
      const $id = `http://localhost:${server.port}/schemas/${plugin.schema.$id}`
      expect(listed.schema).toEqual({ ...plugin.schema, $id })
      const refs = [...JSON.stringify(listed.schema).matchAll(/"\$ref":"([^"]+)"/g)]
      expect(refs.length).toBeGreaterThan(0)
      for (const [, ref] of refs) {
        const target = new URL(ref, $id)
        const served = await api.get(target.pathname)
        expect(served.status, ref).toBe(200)
        const node = target.hash
          .slice(2)
          .split('/')
          .reduce((at: any, part) => at?.[part], served.body)
        expect(node, ref).toBeTypeOf('object')
      }
    })

    it('normalises its spec: the function, its signature and the one origin it reaches', () => {
      const [capability] = normalizeCapabilities([fixture.spec], { allowHttp: false })
      expect(capability.type).toBe(type)
      expect(capability.signature).toBe(fixture.signature)
      expect(capability.origin).toBe(fixture.origin)
    })

    it('refuses invalid specs at permit time, each with its code', async () => {
      const agent = await signup(api)
      for (const refused of fixture.refused) {
        const reply = await api.post(
          '/permit',
          { description: 'contract', capabilities: [refused.spec] },
          { token: agent.token },
        )
        expect(reply.status, refused.why).toBe(400)
        expect(reply.body.code, refused.why).toBe(refused.code)
      }
    })

    it("attaches the owner's credential where the type says; the agent reads the shaped answer, redacted", async () => {
      const { agent, permit } = await approvedPermit(fixture, { withCredential: true })
      const before = upstream().seen.length
      const done = await execute(api, agent.token, {
        permit_id: permit.permit_id,
        code: fixture.call,
      })
      expect(done.status, JSON.stringify(done)).toBe('completed')
      expect(upstream().seen.length).toBe(before + 1)
      fixture.expectRequest(upstream().seen.at(-1)!)
      fixture.expectAnswer(done.result.value)
      const everything = JSON.stringify(done)
      for (const secret of fixture.secretValues) expect(everything).not.toContain(secret)
    })

    it('without the credential the call fails with missing_secret, and nothing is sent', async () => {
      const { agent, permit } = await approvedPermit(fixture, { withCredential: false })
      const before = upstream().seen.length
      const done = await execute(api, agent.token, {
        permit_id: permit.permit_id,
        code: caught(fixture.call),
      })
      expect(done.result.value.code).toBe('missing_secret')
      expect(done.result.value.message).toMatch(/^missing_secret: /)
      expect(upstream().seen.length).toBe(before)
    })

    it('a refused argument fails with invalid_argument before any request leaves', async () => {
      const { agent, permit } = await approvedPermit(fixture, { withCredential: true })
      const before = upstream().seen.length
      const done = await execute(api, agent.token, {
        permit_id: permit.permit_id,
        code: caught(fixture.refusedCall),
      })
      expect(done.result.value.code).toBe('invalid_argument')
      expect(done.result.value.message).toMatch(/^argument \w+ /)
      expect(upstream().seen.length).toBe(before)
    })
  },
)
