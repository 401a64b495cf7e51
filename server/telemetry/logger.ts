/**
 * The server's one logger (pino). Lines are JSON objects (`NITRO_LOG_FORMAT=json`) or text for a
 * person (`pretty`); `auto` picks text on a terminal, JSON otherwise. A line carries ids, codes,
 * counts and durations — never a token, a secret, code or arguments (docs/security.md, RL-10): callers
 * pass only such fields, and no request object is ever logged whole.
 *
 * The logger exists before the settings are read (so a bad setting is reported through it) and
 * is configured once they are.
 */
import { writeSync } from 'node:fs'
import { isatty } from 'node:tty'
import pino, { type Logger } from 'pino'
import type { LogLevel } from '../settings/log-levels'
import { prettyLine } from './pretty'

export type { LogLevel }
export type LogFormat = 'auto' | 'pretty' | 'json'

export interface LogOptions {
  format: LogFormat
  level: LogLevel
  /** Names this server in every line (NITRO_NODE_ID and its start's suffix). */
  instance?: string
}

/** How long a log line may wait in the output buffer. */
const BATCH_MS = 200

let flushOutput: () => void = () => {}
let flushSoon: () => void = () => {}
let logger: Logger = createLogger({ format: 'auto', level: 'info' })

export function useLogger(): Logger {
  return logger
}

export function configureLogger(options: LogOptions): Logger {
  logger = createLogger(options)
  return logger
}

/** Write what is buffered now (after the startup lines, which tools wait for). */
export function flushLogs(): void {
  flushSoon()
}

/** The last line before an exit: written synchronously, so it is not lost with the process. */
export function logFatalAndExit(message: string, fields: Record<string, unknown> = {}): never {
  logger.fatal(fields, message)
  flushOutput()
  process.exit(1)
}

function createLogger(options: LogOptions): Logger {
  // The descriptor itself: `nitro dev` runs the server in a worker, whose process.stdout is no TTY.
  const terminal = isatty(1)
  const pretty = options.format === 'pretty' || (options.format === 'auto' && terminal)
  const base = options.instance ? { instance: options.instance } : {}
  const config = {
    level: options.level,
    base,
    // Epoch milliseconds: a number costs less per line than an ISO string.
    timestamp: pino.stdTimeFunctions.epochTime,
    formatters: { level: (label: string) => ({ level: label }) },
  }
  if (pretty) {
    const colours = terminal && !process.env.NO_COLOR
    flushOutput = () => {}
    flushSoon = () => {}
    // A terminal is for a person reading along: each line written at once.
    return pino(config, { write: (line: string) => writeSync(1, prettyLine(line, colours)) })
  }
  // Lines are written in batches of 4 KiB, and at least every BATCH_MS: one write for a few dozen
  // requests under load, instead of one per line (each an fs.write through libuv's thread pool).
  const destination = pino.destination({
    dest: 1,
    sync: false,
    minLength: 4096,
    periodicFlush: BATCH_MS,
  })
  flushOutput = () => destination.flushSync()
  flushSoon = () => destination.flush()
  return pino(config, destination)
}
