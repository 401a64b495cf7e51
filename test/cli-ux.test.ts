/**
 * The `oauth3` command as a developer meets it, as real child processes against the real server:
 * usage errors in one line with the command's usage (exit 2), flag values checked, unknown options
 * refused; help with examples for every command, colour only on a terminal and never with
 * NO_COLOR; network failures that name the URL and the cause; error details under the message
 * (schema paths, a syntax error's line with a caret, failed calls by capability); stderr always
 * shown; --json always one JSON document; `status --wait`; `logs --follow`; a spinner only on a TTY.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvedAgent } from './helpers/exec'
import { signup } from './helpers/flow'
import { client } from './helpers/http'
import { freePort, useTestServer } from './helpers/server'
import { createGate, sendJson, startUpstream, type Upstream } from './helpers/upstream'

const BIN = join(fileURLToPath(new URL('..', import.meta.url)), 'bin', 'oauth3.mjs')
const ANSI = /\x1b\[/

let upstream: Upstream
const gate = createGate()
let work: string
beforeAll(async () => {
  upstream = await startUpstream(async (request, response) => {
    if (request.url?.startsWith('/held')) await gate.pass()
    sendJson(response, 200, { ok: true })
  })
  work = mkdtempSync(join(tmpdir(), 'oauth3-cli-ux-'))
})
afterAll(async () => {
  await upstream?.close()
  rmSync(work, { recursive: true, force: true })
})
const server = useTestServer(() => ({
  env: { NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://up.example.com': upstream.origin }) },
}))
const api = client(() => server.url)

const UP = {
  name: 'up.get',
  endpoint: 'https://up.example.com/{path}',
  method: 'GET',
  params: {
    path: {
      in: 'path',
      constraint: { type: 'regex', pattern: '^(held|free)$', rationale: 'two paths' },
    },
  },
}

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

function oauth3(args: string[], env: Record<string, string> = {}, input = ''): Promise<Ran> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: work, OAUTH3_URL: server.url, ...env },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  child.stdin.end(input)
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

/** Wait until `check` holds, polling. */
async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 200; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('usage', () => {
  it('a usage error is one line and the command’s usage, exit 2; --json makes it a JSON document', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['history', '--limit', 'abc'],
        /^oauth3: --limit must be a whole number from 1 to 200, not "abc"$/,
      ],
      [['history', '--limit', '0'], /^oauth3: --limit must be a whole number/],
      [['history', '--limt', '5'], /^oauth3: unknown option --limt$/],
      [['skills'], /^oauth3: oauth3 skills needs a command: list, show/],
      [['skills', 'lst'], /^oauth3: unknown command oauth3 skills lst$/],
      [['status'], /^oauth3: .*id/i],
      [['status', 'exec_x', '--timeout', '5'], /^oauth3: --timeout goes with --wait$/],
      [['exec'], /^oauth3: give --code <file\|-> or --skill <id>/],
    ]
    for (const [args, message] of cases) {
      const ran = await oauth3(args)
      expect(ran.code, args.join(' ')).toBe(2)
      const lines = ran.stderr.trimEnd().split('\n')
      expect(lines[0], args.join(' ')).toMatch(message)
      expect(lines[1], args.join(' ')).toMatch(new RegExp(`^usage: oauth3 ${args[0]}`))
      expect(lines.length, ran.stderr).toBe(3)
      expect(ran.stderr).not.toContain('EXAMPLES')
      expect(ran.stdout).toBe('')
      const json = await oauth3([...args, '--json'])
      expect(json.code).toBe(2)
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'USAGE' } })
    }
  })

  it('every command’s --help has examples; colour only on a terminal, never with NO_COLOR', async () => {
    const commands = [
      [],
      ['signup'],
      ['login'],
      ['permit'],
      ['permit', 'request'],
      ['permit', 'wait'],
      ['approve'],
      ['exec'],
      ['run'],
      ['status'],
      ['logs'],
      ['history'],
      ['skills'],
      ['skills', 'list'],
      ['skills', 'show'],
      ['skills', 'validate'],
      ['skills', 'hash'],
      ['skills', 'publish'],
      ['secrets'],
      ['secrets', 'set'],
      ['secrets', 'list'],
      ['secrets', 'rm'],
      ['cookies'],
      ['cookies', 'upload'],
      ['types'],
      ['quote', 'verify'],
      ['attest', 'verify'],
      ['receipt', 'verify'],
      ['build', 'digest'],
    ]
    for (const words of commands) {
      const help = await oauth3([...words, '--help'])
      expect(help.code, words.join(' ')).toBe(0)
      expect(help.stdout, words.join(' ')).toMatch(/\nEXAMPLES\n {2}.*oauth3 /)
      expect(help.stdout, words.join(' ')).not.toMatch(ANSI)
    }
    expect((await oauth3(['exec', '--help'], { FORCE_COLOR: '1' })).stdout).toMatch(ANSI)
    const noColor = await oauth3(['exec', '--help'], { FORCE_COLOR: '1', NO_COLOR: '1' })
    expect(noColor.stdout).not.toMatch(ANSI)
  })
})

describe('failures', () => {
  it('a network failure names the URL and the cause; --json prints it as a document', async () => {
    const port = await freePort()
    const down = await oauth3(['history', '--url', `http://127.0.0.1:${port}`, '--token', 't'])
    expect(down.code).toBe(1)
    expect(down.stderr.trim()).toBe(
      `NETWORK_ERROR: cannot reach http://127.0.0.1:${port}/history?limit=20: connection refused (is the server running on that port?)`,
    )
    const tls = await oauth3([
      'history',
      '--url',
      server.url.replace('http:', 'https:'),
      '--token',
      't',
    ])
    expect(tls.stderr).toMatch(
      /^NETWORK_ERROR: cannot reach https:.*does not speak https \(try http:\/\/\)/,
    )
    const json = await oauth3([
      'history',
      '--json',
      '--url',
      `http://127.0.0.1:${port}`,
      '--token',
      't',
    ])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'NETWORK_ERROR' } })
    expect(json.stderr).toBe('')
  })

  it('a refusal with --json is a JSON document with its status and code', async () => {
    const agent = await signup(api)
    const ran = await oauth3([
      'status',
      'exec_000000000000000000000000',
      '--json',
      '--token',
      agent.token,
    ])
    expect(ran.code).toBe(1)
    expect(JSON.parse(ran.stdout)).toMatchObject({ error: { code: 'NOT_FOUND', status: 404 } })
  })

  it('prints the details under the message: schema paths, the line and column with the offending line', async () => {
    const agent = await signup(api)
    const file = join(work, 'broken.js')
    writeFileSync(file, 'const a = 1\nconst b = (a +\nreturn b\n')
    const broken = await oauth3(['exec', '--code', file, '--token', agent.token])
    expect(broken.code).toBe(1)
    const lines = broken.stderr.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^SYNTAX_ERROR: /)
    expect(lines[1]).toMatch(
      new RegExp(`^  at ${file.replace(/[.]/g, '\\.')} line 3, column \\d+: `),
    )
    expect(lines[2]).toBe('  3 | return b')
    expect(lines[3]).toMatch(/^ {6,}\^$/)

    const spec = join(work, 'bad-permit.json')
    writeFileSync(spec, JSON.stringify({ description: 'x', capabilities: [{ name: 'a.b' }] }))
    const refused = await oauth3(['permit', 'request', '--spec', spec, '--token', agent.token])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^INVALID_CAPABILITY: /m)
    expect(refused.stderr).toMatch(/^ {2}at \/\S*: /m)
  })

  it('shows stderr (on stderr) without --follow, and each failed call with its capability', async () => {
    const { agent, permit } = await approvedAgent(api, [UP])
    const file = join(work, 'warns.js')
    writeFileSync(file, 'console.log("out-line"); console.error("warn-line"); return 1')
    const ran = await oauth3(['exec', '--code', file, '--token', agent.token])
    expect(ran.code).toBe(0)
    expect(ran.stderr).toContain('warn-line')
    expect(ran.stdout).not.toContain('warn-line')
    expect(ran.stdout).toContain('out-line')

    const refusedCall = join(work, 'refused-call.js')
    writeFileSync(
      refusedCall,
      'try { await get("elsewhere") } catch {}\nthrow new Error("gave up")',
    )
    const failed = await oauth3([
      'exec',
      '--code',
      refusedCall,
      '--permit',
      permit.permit_id,
      '--token',
      agent.token,
    ])
    expect(failed.code).toBe(1)
    expect(failed.stdout).toMatch(/^ {2}call up\.get \(GET .*\): \w+/m)
  })
})

describe('waiting', () => {
  it('status --wait waits for the end; logs --follow tails a running execution', async () => {
    const { agent, permit } = await approvedAgent(api, [UP])
    const submitted = await api.post(
      '/execute',
      {
        permit_id: permit.permit_id,
        code: 'console.log("started"); await get("held"); console.log("done"); return 7',
      },
      { token: agent.token },
    )
    const id = submitted.body.request_id as string
    const token = ['--token', agent.token]
    const before = await oauth3(['status', id, ...token])
    expect(before.code).toBe(1)
    expect(before.stdout).toMatch(/^(pending|approved|executing) \(exec_/m)

    const child = spawn(process.execPath, [BIN, 'logs', id, '--follow', ...token], {
      env: { PATH: process.env.PATH, HOME: work, OAUTH3_URL: server.url },
    })
    let followed = ''
    let followedErr = ''
    child.stdout.on('data', (chunk) => (followed += chunk))
    child.stderr.on('data', (chunk) => (followedErr += chunk))
    const followEnd = new Promise<number | null>((resolve) => child.on('close', resolve))
    const waited = oauth3(['status', id, '--wait', ...token])
    await until(() => followed.includes('started'), 'the first line')
    expect(followed).not.toContain('done')
    gate.release()
    const status = await waited
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/→ 7\ncompleted \(exec_/)
    expect(await followEnd).toBe(0)
    expect(followed).toBe('started\ndone\n')
    expect(followedErr).toMatch(/→ up\.get: GET up\.example\.com\/held 200/)
    expect(followedErr).toMatch(/completed \(exec_/)

    const logs = await oauth3(['logs', id, ...token])
    expect(logs.stdout).toBe('started\ndone\n')
  })

  it('a spinner shows on a terminal once a wait passes a second, never in a pipe', async (context) => {
    if (spawnSync('script', ['--version']).status !== 0) {
      context.skip('`script` (util-linux) is not installed: no terminal to test the spinner in')
    }
    const { agent, permit } = await approvedAgent(api, [UP])
    const file = join(work, 'held.js')
    writeFileSync(file, 'await get("held"); return 1')
    const command = [
      process.execPath,
      BIN,
      'exec',
      '--code',
      file,
      '--permit',
      permit.permit_id,
      '--token',
      agent.token,
    ]
    // `script` gives the command a terminal; its output is what the terminal showed.
    setTimeout(() => gate.release(), 2_500)
    const terminal = spawn(
      'script',
      ['-qec', command.map((word) => `'${word}'`).join(' '), '/dev/null'],
      {
        env: { PATH: process.env.PATH, HOME: work, OAUTH3_URL: server.url, TERM: 'xterm' },
      },
    )
    let shown = ''
    terminal.stdout.on('data', (chunk) => (shown += chunk))
    await new Promise((resolve) => terminal.on('close', resolve))
    expect(shown).toMatch(/running \(\ds\)/)
    setTimeout(() => gate.release(), 1_500)
    const piped = await oauth3(command.slice(2))
    expect(piped.code).toBe(0)
    expect(piped.stderr).not.toMatch(/running/)
  })
})
