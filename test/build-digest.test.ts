/**
 * The build digest (scripts/build-digest.mjs, docs/reproduce.md): one sha256 over the build tree
 * in a documented format — the same as sha256sum's, so it can be recomputed without this
 * repository's code. Any change to any file changes it; build-info.json (which holds it) does not.
 * The server reports the digest of the build it runs from, and its commit, on /health and
 * /attestation; `oauth3 build digest` computes it for a local build.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { buildDigest } from '../scripts/build-digest.mjs'
import { client } from './helpers/http'
import { useTestServer } from './helpers/server'

const root = fileURLToPath(new URL('..', import.meta.url))
const output = join(root, '.output')
const info = () => JSON.parse(readFileSync(join(output, 'build-info.json'), 'utf8'))

describe('the build digest', () => {
  const copy = mkdtempSync(join(tmpdir(), 'oauth3-build-'))
  afterAll(() => rmSync(copy, { recursive: true, force: true }))

  it('is what npm run build recorded, what the CLI computes, and what sha256sum gives', () => {
    const digest = buildDigest(output)
    expect(digest).toMatch(/^[0-9a-f]{64}$/)
    expect(info().build_digest).toBe(digest)
    const cli = execFileSync(process.execPath, [
      join(root, 'bin', 'oauth3.mjs'),
      'build',
      'digest',
      output,
    ])
    expect(cli.toString().trim()).toBe(digest)
    const shell = spawnSync(
      'sh',
      [
        '-c',
        "find . -type f ! -path ./build-info.json -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum",
      ],
      { cwd: output },
    )
    expect(shell.stdout.toString().split(' ')[0]).toBe(digest)
  })

  it('carries no clock and no checkout: the stamp is SOURCE_DATE_EPOCH (unset: the epoch), no source maps', () => {
    const stamp = JSON.parse(readFileSync(join(output, 'nitro.json'), 'utf8'))
    expect(stamp.date).toBe(
      new Date(Number(process.env.SOURCE_DATE_EPOCH ?? 0) * 1000).toISOString(),
    )
    const files = execFileSync('find', [output, '-name', '*.map']).toString().trim()
    expect(files).toBe('')
    expect(
      readFileSync(join(output, 'server', 'chunks', 'nitro', 'nitro.mjs'), 'utf8'),
    ).not.toContain(root)
  })

  it('changes with any byte of any file, and not with build-info.json', () => {
    const tree = join(copy, 'tree')
    cpSync(output, tree, { recursive: true })
    const digest = buildDigest(tree)
    expect(digest).toBe(buildDigest(output))
    writeFileSync(join(tree, 'build-info.json'), '{"build_digest":"anything"}')
    expect(buildDigest(tree)).toBe(digest)
    const guest = join(tree, 'server', 'guest.mjs')
    const original = readFileSync(guest)
    const altered = Buffer.from(original)
    altered[altered.length - 2] ^= 1
    writeFileSync(guest, altered)
    expect(buildDigest(tree)).not.toBe(digest)
    writeFileSync(guest, original)
    expect(buildDigest(tree)).toBe(digest)
    appendFileSync(join(tree, 'server', 'extra.txt'), 'x')
    expect(buildDigest(tree)).not.toBe(digest)
  })
})

describe('a server reports what it runs', () => {
  const server = useTestServer()

  it('/health and /attestation carry the version, the commit and the build digest', async () => {
    const api = client(() => server.url)
    const expected = {
      version: info().version,
      commit: info().commit,
      build_digest: buildDigest(output),
    }
    expect((await api.get('/health')).body).toMatchObject(expected)
    expect((await api.get('/attestation')).body).toMatchObject(expected)
  })
})
