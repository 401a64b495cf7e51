/**
 * The `oauth3` verifying commands as real child processes (the package bin, `npm run build`
 * first): stdout, stderr, exit status, and the --json answer parsed.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('../..', import.meta.url))

export interface Ran {
  status: number | null
  stdout: string
  stderr: string
  json: () => {
    ok: boolean
    checks: Array<{ name: string; ok: boolean; code?: string; reason?: string }>
    chain?: Array<{ link: string; state: string; detail: string }>
    summary?: string
    [fact: string]: unknown
  }
}

/** `oauth3 <args>`, asynchronously (servers the test started answer meanwhile). */
export function oauth3(...args: string[]): Promise<Ran> {
  const child = spawn(process.execPath, [join(root, 'bin', 'oauth3.mjs'), ...args], { cwd: root })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  return new Promise((resolve) =>
    child.once('close', (status) =>
      resolve({ status, stdout, stderr, json: () => JSON.parse(stdout) }),
    ),
  )
}

export const failedCodes = (ran: Ran) =>
  ran
    .json()
    .checks.filter((check) => !check.ok)
    .map((check) => check.code)
