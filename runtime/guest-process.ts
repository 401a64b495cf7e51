/**
 * One guest process: spawned with an empty environment and its own heap cap, spoken to on the
 * IPC channel, heard on its message stream (fd 4). A guest that says anything malformed is
 * retired — killed, never reused.
 */
import { fork, type ChildProcess } from 'node:child_process'
import type { GuestMessage, HostMessage } from './protocol.mjs'

export interface GuestProcess {
  readonly child: ChildProcess
  /** Said `ready`: SES is locked down and the self-test passed. */
  ready: boolean
  /** Being killed: it takes no more work. */
  retired: boolean
  send(message: HostMessage): void
  /** Kill it (SIGKILL) and never use it again. */
  retire(): void
}

export interface GuestEvents {
  onMessage(guest: GuestProcess, message: GuestMessage): void
  onExit(guest: GuestProcess, code: number | null, signal: NodeJS.Signals | null): void
}

export function spawnGuest(entry: string, memoryMb: number, events: GuestEvents): GuestProcess {
  const child = fork(entry, [], {
    // --single-threaded: no V8 background threads (concurrent GC, background compiles). A guest
    // runs one short job at a time; its helper threads only took cores from the server and the
    // upstreams it waits on (bench: 1 538 vs ≈ 1 200 executions/s inline on 2 cores).
    execArgv: [`--max-old-space-size=${memoryMb}`, '--max-semi-space-size=16', '--single-threaded'],
    // An empty environment: no secret, no LOCKDOWN_* option reaches the guest (SB-24).
    env: {},
    // fd 3: IPC, parent → guest; fd 4: the guest's ordered message stream, guest → parent.
    stdio: ['ignore', 'ignore', 'ignore', 'ipc', 'pipe'],
    serialization: 'json',
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
