/**
 * One guest process: spawned with an empty environment and its own heap cap, spoken to on the
 * IPC channel, heard on its message stream (fd 4). A guest that says anything malformed is
 * retired — killed, never reused.
 *
 * Beyond SES, a second wall where the platform has one (`guestLaunch`): the Node permission
 * model (reads only of the guest's own folder; no child processes, workers, addons or writes),
 * and through `setpriv`: no new privileges, killed with the server (parent-death signal), and
 * when the server runs as root, a separate unprivileged user (nobody).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'
import type { GuestFolder } from './guest-folder'
import type { GuestMessage, HostMessage } from './protocol.mjs'

/** The user and group guests run as when the server runs as root (nobody, nogroup). */
export const GUEST_UID = 65534
export const GUEST_GID = 65534
const SETPRIV = '/usr/bin/setpriv'
/**
 * Guests run below the server's priority (nice 10 more than its own). A guest sleeps until its
 * next job, so the scheduler let it preempt the server that woke it, on the server's own core, in
 * the middle of its write: the server, which every execution passes through twice, then waited on
 * its guests.
 * At nice 10, 50 executions in flight on 2 cores complete ≈ 13 % more per second (5: ≈ 8 %; 19
 * starves the guests: no gain). Lowered once a guest is ready, so that starting (SES's lockdown)
 * is not slowed; a guest cannot raise it back (that takes CAP_SYS_NICE). Relative to the server's
 * own: a server started under `nice` keeps its guests below it, and as root never lifts them over.
 */
export const GUEST_NICENESS = 10
/** The lowest priority Linux has. */
const NICEST = 19

/** Which walls a guest launched this way has (the startup line and docs/security.md say). */
export interface GuestWalls {
  /** The Node permission model: reads only of the guest folder; no processes, workers, addons. */
  permissionModel: boolean
  /** Another user than the server's (the server runs as root). */
  separateUser: boolean
  /** setpriv: no new privileges, and the kernel kills the guest when the server dies. */
  setpriv: boolean
}

export interface GuestLaunch {
  folder: GuestFolder
  /** What is executed: node itself, or setpriv in front of it. */
  execPath: string
  execArgv: string[]
  args: string[]
  walls: GuestWalls
}

/** How guests are started on this machine, from their folder (guest-folder.ts). */
export function guestLaunch(folder: GuestFolder, memoryMb: number): GuestLaunch {
  const flags = process.allowedNodeEnvironmentFlags
  const permission = flags.has('--permission')
    ? '--permission'
    : flags.has('--experimental-permission')
      ? '--experimental-permission'
      : null
  const setpriv = process.platform === 'linux' && existsSync(SETPRIV)
  const root = process.getuid?.() === 0
  const node = [
    `--max-old-space-size=${memoryMb}`,
    '--max-semi-space-size=16',
    // --single-threaded: no V8 background threads (concurrent GC, background compiles). A guest
    // runs one short job at a time; its helper threads only took cores from the server and the
    // upstreams it waits on (bench: 1 538 vs ≈ 1 200 executions/s inline on 2 cores).
    '--single-threaded',
    ...(permission ? [permission, `--allow-fs-read=${folder.dir}`] : []),
    // Without a parent-death signal the guest runs its own watchdog thread (guest.mjs).
    ...(permission && !setpriv ? ['--allow-worker'] : []),
  ]
  const walls = { permissionModel: permission !== null, separateUser: setpriv && root, setpriv }
  const args = setpriv ? [] : ['--watchdog']
  if (!setpriv) return { folder, execPath: process.execPath, execArgv: node, args, walls }
  const user = root ? [`--reuid=${GUEST_UID}`, `--regid=${GUEST_GID}`, '--clear-groups'] : []
  return {
    folder,
    execPath: SETPRIV,
    execArgv: ['--pdeathsig', 'KILL', '--no-new-privs', ...user, '--', process.execPath, ...node],
    args,
    walls,
  }
}

export interface GuestProcess {
  readonly child: ChildProcess
  /** Said `ready`: SES is locked down and the self-test passed. */
  ready: boolean
  /** Being killed: it takes no more work. */
  retired: boolean
  send(message: HostMessage): void
  /** Kill it (SIGKILL) and never use it again. */
  retire(): void
  /** Below the server's priority from now on (once it is ready: its start is not slowed). */
  yieldToServer(): void
}

export interface GuestEvents {
  onMessage(guest: GuestProcess, message: GuestMessage): void
  onExit(guest: GuestProcess, code: number | null, signal: NodeJS.Signals | null): void
}

/** The options every guest is forked with (the confinement test forks its probe with them). */
export function guestForkOptions(launch: GuestLaunch) {
  return {
    execPath: launch.execPath,
    execArgv: launch.execArgv,
    cwd: launch.folder.dir,
    // An empty environment: no secret, no LOCKDOWN_* option reaches the guest (SB-24).
    env: {},
    serialization: 'json' as const,
  }
}

export function spawnGuest(launch: GuestLaunch, events: GuestEvents): GuestProcess {
  const child = fork(launch.folder.entry, launch.args, {
    ...guestForkOptions(launch),
    // fd 3: IPC, parent → guest; fd 4: the guest's ordered message stream, guest → parent.
    stdio: ['ignore', 'ignore', 'ignore', 'ipc', 'pipe'],
  })
  const guest: GuestProcess = {
    child,
    ready: false,
    retired: false,
    send: (message) => void child.send(message),
    retire() {
      guest.retired = true
      child.kill('SIGKILL')
    },
    yieldToServer: () => lowerPriority(child.pid),
  }
  readLines(child.stdio[4] as NodeJS.ReadableStream, (line) => {
    let message: GuestMessage
    try {
      message = JSON.parse(line)
    } catch {
      guest.retire()
      return
    }
    events.onMessage(guest, message)
  })
  child.on('exit', (code, signal) => events.onExit(guest, code, signal))
  child.on('error', () => guest.retire())
  return guest
}

/** Scheduling only, not a wall: where the platform refuses, the guest keeps the server's. */
function lowerPriority(pid: number | undefined) {
  if (pid === undefined) return
  try {
    setPriority(pid, Math.min(NICEST, getPriority() + GUEST_NICENESS))
  } catch {
    // Not permitted here (a container without the right): nothing else depends on it.
  }
}

/** Newline-delimited messages from a stream. */
function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void) {
  let buffered = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffered += chunk
    let newline
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      if (line) onLine(line)
    }
  })
  stream.on('error', () => {})
}
