/**
 * The `oauth3` command as real child processes (the package bin), each user in their own HOME:
 * the Quick Start from a terminal — an agent signs up and requests a permit (waiting, the
 * approval URL on stderr), the owner approves with `oauth3 approve` after reading the manifest,
 * the agent runs code — then live output with `exec --follow` (a line printed before the
 * execution ends), typed capabilities, secrets, exit codes.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GITHUB_CAPABILITY } from './helpers/flow'
import { useTestServer } from './helpers/server'
import { fakeGithub, sendJson, startUpstream, type Upstream, createGate } from './helpers/upstream'

const root = fileURLToPath(new URL('..', import.meta.url))
const BIN = join(root, 'bin', 'oauth3.mjs')

interface Running {
  /** Resolves with the exit code once the process ends. */
  done: Promise<number | null>
  stdout(): string
  stderr(): string
  /** Resolves when stdout or stderr has matched `pattern`. */
  until(pattern: RegExp): Promise<void>
}

let github: Upstream
let slow: Upstream
const gate = createGate()
let work: string
beforeAll(async () => {
  github = await startUpstream(fakeGithub())
  slow = await startUpstream(async (_, response) => {
    await gate.pass()
    sendJson(response, 200, { ok: true })
  })
  work = mkdtempSync(join(tmpdir(), 'oauth3-cli-flow-'))
})
afterAll(async () => {
  await github?.close()
  await slow?.close()
  rmSync(work, { recursive: true, force: true })
})
const server = useTestServer(() => ({
  env: {
    NITRO_UPSTREAM_MAP: JSON.stringify({
      'https://api.github.com': github.origin,
      'https://slow.example.com': slow.origin,
    }),
  },
}))

/** `oauth3 …` as `user` (their own HOME), with `input` on stdin. */
function oauth3(user: string, args: string[], input = ''): Running {
  const home = join(work, user)
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: home, OAUTH3_URL: server.url },
  })
  let stdout = ''
  let stderr = ''
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = []
  const check = () => {
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(stdout) || waiter.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    }
  }
  child.stdout.on('data', (chunk) => ((stdout += chunk), check()))
  child.stderr.on('data', (chunk) => ((stderr += chunk), check()))
  child.stdin.end(input)
  return {
    done: new Promise((resolve) => child.once('close', resolve)),
    stdout: () => stdout,
    stderr: () => stderr,
    until: (pattern) =>
      new Promise((resolve) => {
        waiters.push({ pattern, resolve })
        check()
      }),
  }
}

async function finished(running: Running) {
  const code = await running.done
  return { code, stdout: running.stdout(), stderr: running.stderr() }
}

describe('oauth3 from a terminal', () => {
  it('runs the Quick Start: signup, permit request, approve (owner, y/N), exec', async () => {
    expect((await finished(oauth3('agent', ['signup', '--name', 'cli-agent']))).code).toBe(0)
    const owner = await finished(
      oauth3('owner', ['signup', '--role', 'owner', '--name', 'cli-owner']),
    )
    expect(owner.code, owner.stderr).toBe(0)
    expect(owner.stdout).toMatch(/^owner tenant_/)

    const spec = join(work, 'spec.json')
    writeFileSync(
      spec,
      JSON.stringify({ description: 'File issues on GitHub', capabilities: [GITHUB_CAPABILITY] }),
    )
    const requesting = oauth3('agent', ['permit', 'request', '--spec', spec, '--json'])
    await requesting.until(/Approve at: (\S+)/)
    const approvalUrl = /Approve at: (\S+)/.exec(requesting.stderr())![1]

    const approving = await finished(
      oauth3('owner', ['approve', approvalUrl, '--secret', 'GH_TOKEN=ghp_from_cli'], 'y\n'),
    )
    expect(approving.code, approving.stderr).toBe(0)
    // The owner read the same plain-language manifest as the page.
    expect(approving.stderr).toContain(
      'Changes data at api.github.com (POST /repos/{owner}/{repo}/issues), using your GH_TOKEN.',
    )
    expect(approving.stderr).toContain('uses your GH_TOKEN: MISSING')
    expect(approving.stdout).toMatch(/^approved: permit permit_/)

    const requested = await finished(requesting)
    expect(requested.code, requested.stderr).toBe(0)
    const permit = JSON.parse(requested.stdout)
    expect(permit.status).toBe('completed')

    const code = join(work, 'issue.js')
    writeFileSync(
      code,
      'const r = await createIssue("amiller", "test", "Hello", "From TEE"); console.log(r.number); return r.number',
    )
    const ran = await finished(
      oauth3('agent', ['exec', '--permit', permit.permit_id, '--code', code]),
    )
    expect(ran.code, ran.stderr).toBe(0)
    expect(ran.stdout).toMatch(/^\d+\n→ \d+\ncompleted \(exec_[a-f0-9]{24}\)\n$/)
    expect(github.seen.at(-1)?.headers.authorization).toBe('token ghp_from_cli')

    const types = await finished(oauth3('agent', ['types', permit.permit_id]))
    expect(types.stdout).toContain('declare function createIssue(owner: string, repo: string')

    const history = await finished(oauth3('agent', ['history', '--json']))
    expect(JSON.parse(history.stdout)[0].status).toBe('completed')
  })

  it('answering no decides nothing, and exits 1', async () => {
    await finished(oauth3('agent2', ['signup']))
    await finished(oauth3('owner2', ['signup', '--role', 'owner']))
    const spec = join(work, 'spec2.json')
    writeFileSync(spec, JSON.stringify({ description: 'Maybe', capabilities: [GITHUB_CAPABILITY] }))
    const requested = await finished(
      oauth3('agent2', ['permit', 'request', '--spec', spec, '--no-wait', '--json']),
    )
    const permit = JSON.parse(requested.stdout)
    const declined = await finished(oauth3('owner2', ['approve', permit.approval_url], 'n\n'))
    expect(declined.code).toBe(1)
    expect(declined.stderr).toContain('nothing decided')
    const status = await finished(oauth3('agent2', ['status', permit.request_id, '--json']))
    expect(JSON.parse(status.stdout).status).toBe('pending')
  })

  it('exec --follow prints output while the execution runs', async () => {
    await finished(oauth3('follower', ['signup']))
    await finished(oauth3('follower-owner', ['signup', '--role', 'owner']))
    const spec = join(work, 'slow.json')
    writeFileSync(
      spec,
      JSON.stringify({
        description: 'Slow',
        capabilities: [
          {
            name: 'slow.get',
            endpoint: 'https://slow.example.com/x',
            method: 'GET',
            auth: { header: 'Authorization', value: 'Bearer {SLOW}' },
          },
        ],
      }),
    )
    const requested = await finished(
      oauth3('follower', ['permit', 'request', '--spec', spec, '--no-wait', '--json']),
    )
    const permit = JSON.parse(requested.stdout)
    await finished(
      oauth3('follower-owner', ['approve', permit.approval_url, '--yes', '--secret', 'SLOW=s']),
    )
    const code = join(work, 'slow.js')
    writeFileSync(code, 'console.log("first"); await get(); console.log("second")')
    const following = oauth3('follower', [
      'exec',
      '--permit',
      permit.permit_id,
      '--code',
      code,
      '--follow',
    ])
    await following.until(/first\n/)
    // The call is still held by the upstream: "first" came while the code was running.
    expect(following.stdout()).toBe('first\n')
    gate.release()
    const done = await finished(following)
    expect(done.code, done.stderr).toBe(0)
    expect(done.stdout).toMatch(/^first\nsecond\ncompleted \(exec_/)
    expect(done.stderr).toMatch(/→ [\w.]+: GET slow\.example\.com\/x 200/)
  })

  it('exits 1 when the execution fails, and keeps secrets write-only', async () => {
    await finished(oauth3('failing', ['signup']))
    const code = join(work, 'throws.js')
    writeFileSync(code, 'throw new Error("nope")')
    const failed = await finished(oauth3('failing', ['exec', '--code', code]))
    expect(failed.code).toBe(1)
    expect(failed.stdout).toMatch(/error: Error: nope\nfailed/)

    await finished(oauth3('vault-owner', ['signup', '--role', 'owner']))
    expect(
      (await finished(oauth3('vault-owner', ['secrets', 'set', 'MY_KEY'], 'v4lue\n'))).code,
    ).toBe(0)
    const listed = await finished(oauth3('vault-owner', ['secrets', 'list']))
    expect(listed.stdout).toBe('MY_KEY\n')
    expect((await finished(oauth3('vault-owner', ['secrets', 'rm', 'MY_KEY']))).code).toBe(0)
  })

  it('without a token it says how to get one (exit 2)', async () => {
    const result = await finished(oauth3('nobody', ['history']))
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/no token: run `oauth3 signup`/)
  })
})
