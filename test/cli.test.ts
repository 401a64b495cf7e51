/**
 * `oauth3 skills` as a real child process: it validates a bundle with the server's checks, prints
 * the code hash, and publishes to a running server.
 */
import { spawnSync } from 'node:child_process'
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client } from './helpers/http'
import { signup } from './helpers/flow'
import { useTestServer } from './helpers/server'

const root = fileURLToPath(new URL('..', import.meta.url))
// The package bin, which runs the bundle the test setup built like `npm run build` does.
const cli = join(root, 'bin', 'oauth3.mjs')
let work: string

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'oauth3-cli-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

const server = useTestServer()
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, 'skills', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: work },
  })

function copyBundle(id: string, as: string) {
  const target = join(work, as, '1.0.0')
  cpSync(join(root, 'skills', id, '1.0.0'), target, { recursive: true })
  return target
}

describe('oauth3 skills', () => {
  it('validates a good bundle and names its functions', () => {
    const result = run('validate', 'skills/github-create-issue/1.0.0')
    expect(result.status).toBe(0)
    expect(result.stdout).toBe(
      'ok github-create-issue@1.0.0: async function createIssue(owner, repo, title, body)\n',
    )
  })

  it('fails a bundle with the same error code the server would answer', () => {
    const edited = copyBundle('hello', 'hello')
    appendFileSync(join(edited, 'index.js'), '// edited after hashing\n')
    const result = run('validate', edited)
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/^SKILL_CODE_HASH_MISMATCH: /)
    const misplaced = copyBundle('hello', 'not-hello')
    expect(run('validate', misplaced).stderr).toMatch(/^SKILL_ID_MISMATCH: /)
  })

  it('prints the sha256 to put in skill.yaml', () => {
    const result = run('hash', 'skills/hello/1.0.0')
    expect(result.stdout.trim()).toMatch(/^[a-f0-9]{64}$/)
  })

  it('publishes to a server; publishing the same version again fails with 409', async () => {
    const author = await signup(client(() => server.url))
    const id = `cli-skill-${process.pid}`
    const bundle = join(work, id, '1.0.0')
    cpSync(join(root, 'skills', 'hello', '1.0.0'), bundle, { recursive: true })
    const manifest = join(bundle, 'skill.yaml')
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('id: hello', `id: ${id}`))
    const first = run('publish', bundle, '--url', server.url, '--token', author.token)
    expect(first.status, first.stderr).toBe(0)
    expect(first.stdout).toBe(`published ${id}@1.0.0\n`)
    const again = run('publish', bundle, '--url', server.url, '--token', author.token)
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/^SKILL_VERSION_EXISTS: /)
  })
})
