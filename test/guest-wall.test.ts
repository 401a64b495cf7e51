/**
 * Rule 25, the second wall: a process started exactly as guests are started (the same folder,
 * flags, launcher, user and empty environment) runs raw Node code — what an escape from SES would
 * get — and must fail to read the server's key file and store, to list its data folder, to write,
 * to spawn, to start a worker or load an addon, and (when the server runs as root) to connect to a
 * root-only socket standing in for /var/run/dstack.sock. Each wall is also tried alone.
 */
import { fork } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { setPriority, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prepareGuestFolder, type GuestFolder } from '../runtime/guest-folder'
import {
  GUEST_NICENESS,
  guestForkOptions,
  guestLaunch,
  type GuestLaunch,
} from '../runtime/guest-process'
import { childPids, procStat, startServer, type RunningServer } from './helpers/server'

const ENTRY = fileURLToPath(new URL('../runtime/guest.mjs', import.meta.url))
const ROOT = process.getuid?.() === 0

/** What an escaped guest tries; each line answers `ok` or the error code it got. */
const PROBE = `
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { Worker } from 'node:worker_threads'
import { connect } from 'node:net'
const [dataDir, socket] = process.argv.slice(2)
const out = {}
const attempt = (name, fn) => { try { fn(); out[name] = 'ok' } catch (e) { out[name] = e.code ?? e.message } }
attempt('read_key', () => readFileSync(dataDir + '/vault.key'))
attempt('list_data', () => readdirSync(dataDir))
attempt('read_store', () => readdirSync(dataDir + '/store').forEach((f) => readFileSync(dataDir + '/store/' + f)))
attempt('write', () => writeFileSync('/tmp/oauth3-escape-' + process.pid, 'x'))
attempt('spawn', () => execFileSync('/bin/true'))
attempt('worker', () => new Worker('1', { eval: true }).terminate())
attempt('addon', () => process.dlopen({ exports: {} }, '/nonexistent.node'))
attempt('read_own', () => readFileSync(new URL(import.meta.url)))
out.socket = await new Promise((resolve) => {
  const s = connect(socket)
  s.once('connect', () => { s.destroy(); resolve('ok') })
  s.once('error', (e) => resolve(e.code))
})
process.send(out, () => process.exit(0))
`

let server: RunningServer
let work: string
let socketServer: Server
let socketPath: string
beforeAll(async () => {
  // A real server's data folder: its key file and store, as the server wrote them.
  server = await startServer({ keepData: true })
  work = mkdtempSync(join(tmpdir(), 'oauth3-wall-'))
  chmodSync(work, 0o755)
  socketPath = join(work, 'dstack.sock')
  socketServer = createServer((socket) => socket.end())
  await new Promise<void>((resolve) => socketServer.listen(socketPath, resolve))
})
afterAll(async () => {
  await server?.stop()
  rmSync(server?.dataDir ?? '', { recursive: true, force: true })
  await new Promise((resolve) => socketServer?.close(resolve))
  rmSync(work, { recursive: true, force: true })
})

function probe(folder: GuestFolder, launch: GuestLaunch): Promise<Record<string, string>> {
  const file = join(folder.dir, 'probe.mjs')
  writeFileSync(file, PROBE, { mode: 0o644 })
  const child = fork(file, [server.dataDir, socketPath], {
    ...guestForkOptions(launch),
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    child.once('message', (answer) => resolve(answer as Record<string, string>))
    child.once('exit', (code) => reject(new Error(`probe exited with ${code}: ${stderr}`)))
  })
}

/** The guest folder, made as the pool makes it, in a folder of this test's. */
const folderFor = (name: string) => {
  const root = mkdtempSync(join(work, `${name}-`))
  chmodSync(root, 0o755)
  return prepareGuestFolder(ENTRY, root)
}

describe('rule 25: the second wall around guests', () => {
  it('with every wall this machine has, raw Node code reads only its own folder', async () => {
    const folder = folderFor('all')
    const launch = guestLaunch(folder, 64)
    expect(launch.walls.permissionModel).toBe(true)
    const seen = await probe(folder, launch)
    expect(seen.read_own).toBe('ok')
    for (const name of ['read_key', 'list_data', 'read_store', 'write', 'spawn', 'worker']) {
      expect(seen[name], name).not.toBe('ok')
    }
    expect(seen.addon).not.toBe('ok')
    if (ROOT) {
      expect(launch.walls.separateUser).toBe(true)
      expect(seen.socket).toBe('EACCES')
    }
  })

  it("a running server's guests run below its priority, and cannot raise it back", async () => {
    const guests = childPids(server.child.pid!)
    expect(guests.length).toBeGreaterThan(0)
    for (const pid of guests) expect(niceOf(pid)).toBe(niceOf(server.child.pid!) + GUEST_NICENESS)
    // What an escaped guest would try: raising its own priority, from whatever it is.
    const folder = folderFor('nice')
    const launch = guestLaunch(folder, 64)
    const file = join(folder.dir, 'renice.mjs')
    writeFileSync(
      file,
      `import { getPriority, setPriority } from 'node:os'
let answer = 'ok'
try { setPriority(0, getPriority(0) - 1) } catch (e) { answer = e.code }
process.send(answer, () => process.exit(0))`,
      { mode: 0o644 },
    )
    const child = fork(file, [], {
      ...guestForkOptions(launch),
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    })
    const answer = await new Promise((resolve) => child.once('message', resolve))
    // Root keeps CAP_SYS_NICE only when guests do not get a user of their own.
    if (!ROOT || launch.walls.separateUser) expect(answer).not.toBe('ok')
  })

  it('a server that runs nicer keeps its new guests as far below it', async () => {
    const pid = server.child.pid!
    // Its main thread, which starts the guests: as an operator's `nice -n 3` would have left it.
    setPriority(pid, niceOf(pid) + 3)
    const old = childPids(pid)
    for (const guest of old) process.kill(guest, 'SIGKILL')
    const fresh = () => childPids(pid).filter((guest) => !old.includes(guest))
    const deadline = Date.now() + 20_000
    while (
      Date.now() < deadline &&
      !(
        fresh().length > 0 &&
        fresh().every((guest) => niceOf(guest) === niceOf(pid) + GUEST_NICENESS)
      )
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const nices = fresh().map(niceOf)
    expect(nices.length).toBeGreaterThan(0)
    expect([...new Set(nices)]).toEqual([niceOf(pid) + GUEST_NICENESS])
  })

  it('the permission model alone denies reads outside the folder, processes and workers', async () => {
    const folder = folderFor('permission')
    const launch = guestLaunch(folder, 64)
    // Node directly, as the server's own user: only the permission model stands.
    const node = launch.execArgv.slice(launch.execArgv.indexOf('--') + 1).slice(1)
    const alone = { ...launch, execPath: process.execPath, execArgv: node, args: ['--watchdog'] }
    const seen = await probe(folder, alone)
    expect(seen).toMatchObject({
      read_key: 'ERR_ACCESS_DENIED',
      list_data: 'ERR_ACCESS_DENIED',
      read_store: 'ERR_ACCESS_DENIED',
      write: 'ERR_ACCESS_DENIED',
      spawn: 'ERR_ACCESS_DENIED',
      worker: 'ERR_ACCESS_DENIED',
      read_own: 'ok',
    })
  })

  it.skipIf(!ROOT)(
    'as root, the separate user alone cannot open the data folder or the socket',
    async () => {
      const folder = folderFor('user')
      const launch = guestLaunch(folder, 64)
      const permission = (flag: string) =>
        flag.includes('permission') || flag.startsWith('--allow-')
      const alone = { ...launch, execArgv: launch.execArgv.filter((flag) => !permission(flag)) }
      const seen = await probe(folder, alone)
      expect(seen).toMatchObject({
        read_key: 'EACCES',
        list_data: 'EACCES',
        read_store: 'EACCES',
        socket: 'EACCES',
        read_own: 'ok',
      })
    },
  )
})

/** A process's nice value, as the kernel reports it. */
function niceOf(pid: number): number {
  return Number(procStat(pid)[16])
}
