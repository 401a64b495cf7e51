/**
 * The skill registry over HTTP: publishing with its two validation phases (each semantic check
 * with its own error), ownership and immutability, safe YAML (IN-10, IN-12, IN-13, IN-14), range
 * resolution, skill-bound permits that pin the code the human saw, and args checked before
 * anything runs. The bundled skills are run by test/bundled-skills.test.ts.
 */
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client } from './helpers/http'
import { execute } from './helpers/exec'
import { decide, pathOf, signup } from './helpers/flow'
import { useTestServer } from './helpers/server'
import { sendJson, startUpstream, type Upstream } from './helpers/upstream'

const ORIGIN = 'https://api.skills.example.com'
let upstream: Upstream
beforeAll(async () => {
  upstream = await startUpstream((request, response) =>
    sendJson(response, 200, { path: request.url, key: request.headers['x-api-key'] }),
  )
})
afterAll(() => upstream?.close())
const server = useTestServer(() => ({
  env: { NITRO_UPSTREAM_MAP: JSON.stringify({ [ORIGIN]: upstream.origin }) },
}))
const api = client(() => server.url)

const sha = (code: string) => createHash('sha256').update(code).digest('hex')

function bundle(
  id: string,
  version: string,
  code: string,
  extra: { capabilities?: string; args?: string; sha?: string; head?: string } = {},
) {
  const manifest = `${extra.head ?? ''}id: ${id}
version: ${version}
description: A test skill, version ${version}.
author: tests
capabilities: ${extra.capabilities ?? '[]'}
args: ${extra.args ?? '{ type: object }'}
timeout_ms: 5000
sha256: ${extra.sha ?? sha(code)}
`
  return { manifest, code }
}

const ECHO_CAPABILITY = `
  - name: echo.get
    endpoint: ${ORIGIN}/echo/{word}
    method: GET
    auth: { header: X-Api-Key, value: "{ECHO_KEY}" }
    params: { word: { in: path } }`

let unique = 0
const newId = (base: string) => `${base}-${process.pid}-${++unique}`

describe('publishing', () => {
  it('accepts a valid bundle, lists it, serves its manifest and code', async () => {
    const author = await signup(api)
    const id = newId('greeter')
    const { manifest, code } = bundle(id, '1.0.0', 'return "hi " + args.name', {
      args: '{ type: object, required: [name], properties: { name: { type: string } } }',
    })
    const reply = await api.post('/skills', { manifest, code }, { token: author.token })
    expect(reply.status, reply.text).toBe(201)
    expect(reply.body).toMatchObject({ id, version: '1.0.0', sha256: sha(code) })
    expect((await api.get('/skills')).body.skills).toContainEqual(
      expect.objectContaining({ id, latest: '1.0.0' }),
    )
    expect(
      (await api.get(`/skills/${id}`)).body.versions.map((v: { version: string }) => v.version),
    ).toEqual(['1.0.0'])
    const version = await api.get(`/skills/${id}/1.0.0`)
    expect(version.body).toMatchObject({ id, version: '1.0.0', sha256: sha(code), manifest, code })
    expect((await api.get(`/skills/${id}/9.9.9`)).status).toBe(404)
    expect((await api.get('/skills/nope-nope')).status).toBe(404)
  })

  it('each semantic check fails with its own error', async () => {
    const author = await signup(api)
    const id = newId('broken')
    const cases: Array<[ReturnType<typeof bundle>, string]> = [
      [bundle(id, '1.0.0', 'return 1', { sha: 'a'.repeat(64) }), 'SKILL_CODE_HASH_MISMATCH'],
      [bundle(id, '1.0.0', '})(); (function(){'), 'SKILL_CODE_INVALID'],
      [
        bundle(id, '1.0.0', 'return 1', {
          capabilities: '[{ name: x.y, endpoint: "https://127.0.0.1/x", method: GET }]',
        }),
        'SKILL_CAPABILITY_INVALID',
      ],
      [
        bundle(id, '1.0.0', 'return 1', {
          args: '{ type: object, properties: { a: { type: string, pattern: "^(a|a)*(?=b)" } } }',
        }),
        'SKILL_ARGS_SCHEMA_INVALID',
      ],
      [
        bundle(id, '1.0.0', 'return 1', { args: '{ type: object, nonsense: true }' }),
        'SKILL_ARGS_SCHEMA_INVALID',
      ],
      [{ manifest: `id: ${id}\nversion: one\n`, code: 'return 1' }, 'SKILL_MANIFEST_INVALID'],
      [
        { manifest: bundle(id, '1.0.0', 'return 1').manifest + 'extra: field\n', code: 'return 1' },
        'SKILL_MANIFEST_INVALID',
      ],
    ]
    for (const [body, code] of cases) {
      const reply = await api.post('/skills', body, { token: author.token })
      expect(reply.status, code).toBe(400)
      expect(reply.body.code).toBe(code)
    }
  })

  it('IN-10/IN-12/IN-13: alias bombs, deep nesting, duplicate keys and custom tags are refused, each for its reason', async () => {
    const author = await signup(api)
    const laughs =
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n'
    const deep = 'a: ' + '['.repeat(30_000) + ']'.repeat(30_000)
    for (const [manifest, reason] of [
      [laughs, /aliases/],
      [deep, /nested/],
      [bundle('dup', '1.0.0', 'return 1', { head: 'id: other\n' }).manifest, /twice/],
      ['id: !!js/function "function () {}"\n', /custom tags/],
      ['data: !!binary aGVsbG8=\n', /custom tags/],
    ] as const) {
      const reply = await api.post(
        '/skills',
        { manifest, code: 'return 1' },
        { token: author.token },
      )
      expect(reply.status).toBe(400)
      expect(reply.body.code).toBe('SKILL_YAML_INVALID')
      expect(reply.body.details.reason).toMatch(reason)
    }
  })

  it('versions are immutable (409) and an id belongs to its first publisher (403)', async () => {
    const first = await signup(api)
    const second = await signup(api, 'owner')
    const id = newId('owned')
    const v1 = bundle(id, '1.0.0', 'return 1')
    expect((await api.post('/skills', v1, { token: first.token })).status).toBe(201)
    const again = await api.post('/skills', bundle(id, '1.0.0', 'return 2'), { token: first.token })
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('SKILL_VERSION_EXISTS')
    const stolen = await api.post('/skills', bundle(id, '2.0.0', 'return 3'), {
      token: second.token,
    })
    expect(stolen.status).toBe(403)
    expect(stolen.body.code).toBe('SKILL_OWNED_BY_ANOTHER')
    expect(
      (await api.post('/skills', bundle('hello', '9.0.0', 'return 1'), { token: second.token }))
        .body.code,
    ).toBe('SKILL_OWNED_BY_ANOTHER')
    expect((await api.get(`/skills/${id}/1.0.0`)).body.code).toBe('return 1')
  })

  it('needs a token to publish', async () => {
    expect((await api.post('/skills', bundle(newId('anon'), '1.0.0', 'return 1'))).status).toBe(401)
  })
})

describe('running skills', () => {
  it('runs a registry skill by id with checked args; bad args are 400 and nothing runs', async () => {
    const agent = await signup(api)
    const done = await execute(api, agent.token, { skill_id: 'hello', args: { name: 'agent' } })
    expect(done).toMatchObject({
      status: 'completed',
      skill_id: 'hello@1.0.0',
      result: { stdout: 'Hello, agent!\n', value: { greeting: 'Hello, agent!' } },
    })
    const bad = await api.post(
      '/execute',
      { skill_id: 'hello', args: { name: 42, extra: true } },
      { token: agent.token },
    )
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('INVALID_ARGS')
    expect(bad.body.details.errors.length).toBeGreaterThan(0)
    expect(
      (await api.post('/execute', { skill_id: 'no-such-skill' }, { token: agent.token })).status,
    ).toBe(404)
  })

  it('resolves ranges to the highest matching version: ^1, ~1.2, exact', async () => {
    const author = await signup(api)
    const id = newId('ranged')
    for (const version of ['1.0.0', '1.2.0', '1.2.5', '2.0.0']) {
      expect(
        (
          await api.post('/skills', bundle(id, version, `return "${version}"`), {
            token: author.token,
          })
        ).status,
      ).toBe(201)
    }
    const agent = await signup(api)
    for (const [reference, expected] of [
      [`${id}@^1`, '1.2.5'],
      [`${id}@~1.2.0`, '1.2.5'],
      [`${id}@1.0.0`, '1.0.0'],
      [id, '2.0.0'],
      [`${id}@^2`, '2.0.0'],
    ]) {
      const done = await execute(api, agent.token, { skill_id: reference })
      expect(done.result.value, reference).toBe(expected)
    }
    expect(
      (await api.post('/execute', { skill_id: `${id}@^3` }, { token: agent.token })).status,
    ).toBe(404)
  })

  it('a skill that calls capabilities needs a permit bound to it', async () => {
    const author = await signup(api)
    const id = newId('caller')
    await api.post(
      '/skills',
      bundle(id, '1.0.0', 'return await get(args.word)', { capabilities: ECHO_CAPABILITY }),
      { token: author.token },
    )
    const agent = await signup(api)
    const reply = await api.post(
      '/execute',
      { skill_id: id, args: { word: 'x' } },
      { token: agent.token },
    )
    expect(reply.status).toBe(403)
    expect(reply.body.code).toBe('SKILL_NEEDS_PERMIT')
  })
})

describe('skill-bound permits', () => {
  it('pin the version and code the human saw; run only that code; a new version changes nothing', async () => {
    const author = await signup(api)
    const id = newId('pinned')
    const v1 = bundle(id, '1.0.0', 'return { v: 1, echoed: await get(args.word) }', {
      capabilities: ECHO_CAPABILITY,
      args: '{ type: object, required: [word], properties: { word: { type: string, pattern: "^[a-z]+$" } } }',
    })
    expect((await api.post('/skills', v1, { token: author.token })).status).toBe(201)

    const agent = await signup(api)
    const owner = await signup(api, 'owner')
    const requested = await api.post('/permit', { skill_id: `${id}@^1` }, { token: agent.token })
    expect(requested.status, requested.text).toBe(202)
    expect(requested.body.capabilities).toEqual([
      { name: 'echo.get', signature: 'async function get(word)' },
    ])
    const view = await api.get(pathOf(requested.body.approval_url))
    expect(view.body.scope_request).toMatchObject({
      description: 'A test skill, version 1.0.0.',
      secrets: ['ECHO_KEY'],
      networks: [ORIGIN],
      skill: { id, version: '1.0.0', sha256: sha(v1.code), code: v1.code },
    })
    expect(
      (
        await decide(api, owner.token, requested.body, 'approve', {
          secrets: { ECHO_KEY: 'sk_pinned_secret_1' },
        })
      ).status,
    ).toBe(200)

    // A newer version (in range) does not change what the approved permit runs.
    expect(
      (
        await api.post(
          '/skills',
          bundle(id, '1.1.0', 'return { v: 2 }', { capabilities: ECHO_CAPABILITY }),
          { token: author.token },
        )
      ).status,
    ).toBe(201)
    const done = await execute(api, agent.token, {
      permit_id: requested.body.permit_id,
      skill_id: id,
      args: { word: 'hello' },
    })
    expect(done).toMatchObject({
      status: 'completed',
      skill_id: `${id}@1.0.0`,
      result: { value: { v: 1, echoed: { path: '/echo/hello', key: '[REDACTED]' } } },
    })

    const other = await api.post(
      '/execute',
      { permit_id: requested.body.permit_id, code: 'return await get("x")' },
      { token: agent.token },
    )
    expect(other.status).toBe(400)
    expect(other.body.code).toBe('SKILL_PERMIT_RUNS_ITS_SKILL')
    const wrongSkill = await api.post(
      '/execute',
      { permit_id: requested.body.permit_id, skill_id: 'hello' },
      { token: agent.token },
    )
    expect(wrongSkill.body.code).toBe('SKILL_PERMIT_RUNS_ITS_SKILL')
    const badArgs = await api.post(
      '/execute',
      { permit_id: requested.body.permit_id, args: { word: 'NOT-LOWER' } },
      { token: agent.token },
    )
    expect(badArgs.status, badArgs.text).toBe(400)
    expect(badArgs.body.code).toBe('INVALID_ARGS')
  })

  it('refuses capabilities and skill_id together, and an unknown skill', async () => {
    const agent = await signup(api)
    expect(
      (await api.post('/permit', { skill_id: 'hello', capabilities: [] }, { token: agent.token }))
        .status,
    ).toBe(400)
    expect(
      (await api.post('/permit', { skill_id: 'no-such-skill@^1' }, { token: agent.token })).status,
    ).toBe(404)
    expect((await api.post('/permit', { description: 'x' }, { token: agent.token })).status).toBe(
      400,
    )
  })
})
