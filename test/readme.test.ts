/**
 * The README's Quick Start, run as written: the stand-in it starts (scripts/github-standin.mjs),
 * a server pointed at it, and the README's shell block, pasted into bash. If the README stops
 * telling the truth, this fails.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from './helpers/server'

const root = fileURLToPath(new URL('..', import.meta.url))
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const block = /<!-- quickstart:start -->\n```sh\n([\s\S]*?)```\n<!-- quickstart:end -->/.exec(
  readme,
)
const CURL = '/usr/bin/curl'

let standin: ChildProcess
let standinOrigin: string
let server: RunningServer

beforeAll(async () => {
  standin = spawn(process.execPath, ['scripts/github-standin.mjs', '0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  standinOrigin = await new Promise<string>((resolve) => {
    standin.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening on (http:\/\/\S+)/.exec(String(chunk))
      if (match) resolve(match[1])
    })
  })
  server = await startServer({
    env: { NITRO_UPSTREAM_MAP: JSON.stringify({ 'https://api.github.com': standinOrigin }) },
  })
})
afterAll(async () => {
  await server?.stop()
  standin?.kill()
})

describe.skipIf(!existsSync(CURL))('README', () => {
  it('the Quick Start runs top to bottom and files the issue', async () => {
    expect(block, 'README.md has a quickstart block').not.toBeNull()
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        '/bin/bash',
        ['-euo', 'pipefail', '-c', block![1]],
        { env: { PATH: process.env.PATH ?? '', B: server.url }, timeout: 60_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    )
    const answers = output.trim().split('\n')
    const last = JSON.parse(answers.at(-1)!)
    expect(last).toMatchObject({
      status: 'completed',
      result: {
        success: true,
        calls: [
          {
            capability: 'github.createIssue',
            method: 'POST',
            url: 'api.github.com/repos/amiller/test/issues',
            status: 201,
          },
        ],
      },
    })
    expect(JSON.parse(last.result.stdout)).toMatchObject({
      title: 'Hello',
      body: 'From TEE',
      html_url: expect.stringMatching(/^https:\/\/github\.com\/amiller\/test\/issues\/\d+$/),
    })
    // The permit's own status_url, read with no header, said the human approved it.
    expect(answers.some((line) => /"status":"completed","permit_id":"permit_/.test(line))).toBe(
      true,
    )
    expect(output).not.toContain('ghp_example_token')
  })
})
