// What the benchmarks share: starting a server as a child process, a lean keep-alive JSON
// client (node:http, so the figures are the servers' and not the client's), percentiles.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import http from 'node:http'
import net from 'node:net'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Node's flags for the server, as `npm start` gives them (package.json): the benchmarks measure
 * the server as it is run. Read when first asked (bench/store.ts runs bundled, elsewhere).
 */
export function serverNodeFlags() {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  return scripts.start.split(' ').filter((word) => word.startsWith('--'))
}

export const serverArgs = (entry = '.output/server/index.mjs') => [...serverNodeFlags(), entry]

/**
 * Start a server and resolve once it listens: when it prints "Listening on …", or — for a server
 * that logs nothing at info level, given `port` — once GET /health answers there.
 */
export function start(command, args, env = {}, { port } = {}) {
  const child = spawn(command, args, {
    cwd: root,
    env: { PATH: process.env.PATH, ...env, ...(port ? { PORT: String(port) } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    let probe
    const listening = (at) => {
      clearInterval(probe)
      child.stdout.off('data', onData)
      // From now on its output (a log line per request) is read and dropped.
      child.stdout.resume()
      resolve({ child, url: `http://127.0.0.1:${at}` })
    }
    const onData = (chunk) => {
      out += chunk
      const match = /Listening on http:\/\/[^\s"]*:(\d+)/.exec(out)
      if (match) listening(match[1])
    }
    child.stdout.on('data', onData)
    if (port) {
      probe = setInterval(() => {
        http
          .get(`http://127.0.0.1:${port}/health`, (response) => {
            response.resume()
            if (response.statusCode === 200) listening(port)
          })
          .on('error', () => {})
      }, 50)
    }
    child.on('exit', (code) => {
      clearInterval(probe)
      reject(new Error(`${args.join(' ')} exited with ${code}: ${out}`))
    })
  })
}

/** A port no process listens on now (the OS's pick, released at once). */
export function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

// Idle sockets are closed before a server's keep-alive timeout (Node's default 5 s) can race a request.
export const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 })
export function json(url, body, token, extraHeaders = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: payload === undefined ? 'GET' : 'POST',
        agent,
        headers: {
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...extraHeaders,
        },
      },
      (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => (text += chunk))
        response.on('end', () => {
          let data
          try {
            data = JSON.parse(text)
          } catch {
            data = { code: 'NOT_JSON' }
          }
          if (response.statusCode < 400) return resolve(data)
          // The status and the error code, for figures by code.
          reject(
            Object.assign(new Error(`${response.statusCode} ${text}`), {
              status: response.statusCode,
              body: data,
            }),
          )
        })
      },
    )
    request.on('error', reject)
    request.end(payload)
  })
}

export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]
  return { p50: at(0.5), p99: at(0.99), n: sorted.length }
}

/** Resident memory of a process and of its children (the guests), in MB. */
export function residentMb(pid) {
  const rss = (p) => {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))[1]) / 1024
    } catch {
      return 0
    }
  }
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean),
  )
  const guests = children.reduce((sum, child) => sum + rss(child), 0)
  return { server: round(rss(pid)), guests: round(guests) }
}

/** Clock ticks per second of /proc's CPU counters (USER_HZ: 100 on Linux builds). */
const USER_HZ = 100

/**
 * CPU time, ms, that `pid` and every process below it (the server's guests, started through
 * setpriv or not) have used so far: user + system, from the kernel's own counters. A process that
 * ended meanwhile takes its time with it: compare figures over a phase in which none is replaced.
 */
export function cpuMsOfTree(pid) {
  const { server, below } = cpuSplitOfTree(pid)
  return server.user + server.system + below.user + below.system
}

/** cpuMsOfTree, split: the process itself and the processes below it, each user and system. */
export function cpuSplitOfTree(pid) {
  const parents = new Map()
  const ticks = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // Fields after the command name (which may hold spaces): state ppid … utime(14) stime(15).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parents.set(Number(entry), Number(fields[1]))
      ticks.set(Number(entry), { user: Number(fields[11]), system: Number(fields[12]) })
    } catch {
      // Gone between the listing and the read.
    }
  }
  const inTree = (candidate) => {
    for (let at = candidate; at > 1; at = parents.get(at) ?? 0) if (at === pid) return true
    return false
  }
  const ms = (n) => (n * 1000) / USER_HZ
  const server = { user: 0, system: 0 }
  const below = { user: 0, system: 0 }
  for (const [candidate, used] of ticks) {
    if (!inTree(candidate)) continue
    const into = candidate === pid ? server : below
    into.user += ms(used.user)
    into.system += ms(used.system)
  }
  return { server, below }
}

export const round = (n, digits = 1) => Number(n.toFixed(digits))

/**
 * The caller's server settings from this process's environment: its NITRO_* variables, or with a
 * `prefix` those named `${prefix}NITRO_*` (and `${prefix}NODE_OPTIONS`), the prefix removed — so a
 * bench can weigh a setting on one of two servers (B_NITRO_LOG_LEVEL=warn).
 */
export function settingsFromEnv(prefix = '') {
  const settings = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith(prefix)) continue
    const bare = name.slice(prefix.length)
    if (bare.startsWith('NITRO_') || (prefix && bare === 'NODE_OPTIONS')) settings[bare] = value
  }
  return settings
}

/**
 * Environments for servers under test, each with a data folder of its own (`env`), limits a
 * benchmark must not trip, and `cleanup` to remove the folders at the end.
 */
export function benchServers(label) {
  const dirs = []
  return {
    env(extra = {}) {
      const dir = mkdtempSync(join(tmpdir(), `oauth3-${label}-`))
      dirs.push(dir)
      return {
        PORT: '0',
        HOST: '127.0.0.1',
        NITRO_DATA_DIR: dir,
        NITRO_SIGNUPS_PER_MINUTE: '100000',
        NITRO_EXEC_QUEUE_MAX: '10000',
        ...extra,
      }
    },
    /** The first server's data folder (a key file shared by several lives there). */
    get firstDir() {
      return dirs[0]
    },
    cleanup() {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    },
  }
}
