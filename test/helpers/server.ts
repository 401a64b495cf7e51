/**
 * Start the built server (.output) as a real child process on an ephemeral port, with its own
 * data folder and environment; stop it gracefully or with SIGKILL.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'

const ENTRY = fileURLToPath(new URL('../../.output/server/index.mjs', import.meta.url))

export interface RunningServer {
  url: string
  port: number
  dataDir: string
  child: ChildProcess
  /** Everything the process printed, stdout and stderr. */
  logs(): string
  stop(): Promise<void>
  kill9(): Promise<void>
}

export interface StartOptions {
  env?: Record<string, string>
  dataDir?: string
  /** Keep the data folder after stop (for restarts). */
  keepData?: boolean
  /** Cap the size of any file the server writes (`ulimit -f`): writes past it fail. */
  fileSizeLimitBytes?: number
  /**
   * Listen on this port and know it started when GET /health answers, for a server that does
   * not log its startup line (NITRO_LOG_LEVEL above info).
   */
  port?: number
}

/** The embedded store's engines this Node can run: SQLite needs node:sqlite (22.13+, 24). */
export const EMBEDDED_ENGINES: Array<'sqlite' | 'journal'> = (await hasNodeSqlite())
  ? ['sqlite', 'journal']
  : ['journal']

async function hasNodeSqlite(): Promise<boolean> {
  try {
    await import('node:sqlite')
    return true
  } catch {
    return false
  }
}

export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'oauth3-test-'))
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? makeDataDir()
  const [command, args] = commandLine(options)
  const child = spawn(command, args, {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(options.port ?? 0),
      HOST: '127.0.0.1',
      NITRO_DATA_DIR: dataDir,
      NITRO_SIGNUPS_PER_MINUTE: '100000',
      // The tests' Redis servers keep nothing on disk; the durability tests say otherwise.
      ...(options.env?.NITRO_REDIS_URL ? { NITRO_REDIS_ACCEPT_DATA_LOSS: 'true' } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000)
    const started = (port: number) => {
      clearTimeout(timer)
      clearInterval(probe)
      resolve(port)
    }
    child.stdout!.on('data', () => {
      const port = listeningPort(output)
      if (port !== null) started(port)
    })
    const probe =
      options.port &&
      setInterval(() => {
        fetch(`http://127.0.0.1:${options.port}/health`).then(
          (reply) => reply.ok && started(options.port!),
          () => {},
        )
      }, 50)
    child.once('exit', (code) => {
      clearTimeout(timer)
      clearInterval(probe)
      reject(new Error(`server exited with ${code}:\n${output}`))
    })
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const cleanup = () => {
    if (!options.keepData && !options.dataDir) rmSync(dataDir, { recursive: true, force: true })
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    child,
    logs: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
      cleanup()
    },
    async kill9() {
      if (child.exitCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}

/** One JSON log line per line of output (what is not JSON is left out). */
export function logLines(output: string): Array<Record<string, any>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line)]
      } catch {
        return []
      }
    })
}

/**
 * The port of the server's last startup line ("Listening on …"), once it has printed it: a JSON
 * line's `port`, or the port in the text of a pretty line.
 */
export function listeningPort(output: string): number | null {
  const line = logLines(output).find((entry) => String(entry.msg).startsWith('Listening on '))
  if (line) return Number(line.port)
  const pretty = /^\S+ INFO {2}Listening on http:\/\/\S*:(\d+)/m.exec(output)
  return pretty ? Number(pretty[1]) : null
}

/** A port no process listens on now (the OS's pick, released at once). */
export async function freePort(): Promise<number> {
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** `node <entry>`, under `ulimit -f` (in 512-byte blocks) when a file size limit is asked for. */
function commandLine(options: StartOptions): [string, string[]] {
  if (!options.fileSizeLimitBytes) return [process.execPath, [ENTRY]]
  const blocks = Math.ceil(options.fileSizeLimitBytes / 512)
  return ['/bin/sh', ['-c', `ulimit -f ${blocks} && exec "$0" "$1"`, process.execPath, ENTRY]]
}

/** Run the server entry expecting it to exit (bad settings); resolves with its code and output. */
export function runUntilExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const dataDir = makeDataDir()
  const child = spawn(process.execPath, [ENTRY], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', NITRO_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer)
      rmSync(dataDir, { recursive: true, force: true })
      resolve({ code, output })
    }),
  )
}

/** One server for the whole test file: started before its tests, stopped after them. */
export function useTestServer(options: StartOptions | (() => StartOptions) = {}): RunningServer {
  let server: RunningServer | undefined
  beforeAll(async () => {
    server = await startServer(typeof options === 'function' ? options() : options)
  })
  afterAll(() => server?.stop())
  return new Proxy({} as RunningServer, {
    get(_, property) {
      if (!server) throw new Error('the test server has not started yet')
      return server[property as keyof RunningServer]
    },
  })
}

/**
 * The live child processes of `pid` (a server's guests), none when it has none. A child killed
 * and not yet reaped by its parent is a zombie, which pgrep lists too; counted, it read as a guest
 * still there, so it is left out.
 */
export function childPids(pid: number | undefined): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter(isAlive)
  } catch {
    return []
  }
}

/** Neither a zombie nor gone: its state in /proc/<pid>/stat. */
function isAlive(pid: number): boolean {
  try {
    const state = procStat(pid)[0]
    return state !== undefined && state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

/**
 * The fields of /proc/<pid>/stat after the command name (which may hold spaces): [0] is field 3,
 * the state; [16] is field 19, the nice value.
 */
export function procStat(pid: number): string[] {
  return (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ')
}
