import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import Redis from 'ioredis'

/** Remove every key a test wrote under its own prefix. */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url)
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500)
      if (keys.length) await redis.unlink(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

export interface RedisServer {
  url: string
  port: number
  /** Stop it (SIGTERM: with `dir`, it saves what it holds first). */
  stop(): Promise<void>
  /** Start it again on the same port (and folder). */
  restart(): Promise<void>
  kill(): void
}

export const REDIS_SERVER_BINARY = '/usr/bin/redis-server'

/**
 * A Redis server of the test's own, on a free port, for tests that stop it. With `dir` it keeps
 * its data across a stop (append-only file, synced on every write).
 */
export async function startRedisServer(options: { dir?: string } = {}): Promise<RedisServer> {
  const port = await freePort()
  const persistence = options.dir
    ? ['--dir', options.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '']
    : ['--save', '', '--appendonly', 'no']
  let child: ChildProcess
  const start = () =>
    new Promise<void>((resolve, reject) => {
      child = spawn(
        REDIS_SERVER_BINARY,
        ['--port', String(port), '--bind', '127.0.0.1', ...persistence],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      )
      let out = ''
      child.stdout!.on('data', (chunk) => {
        out += chunk
        if (out.includes('Ready to accept connections')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)))
    })
  await start()
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    restart: start,
    kill: () => child.kill('SIGKILL'),
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}
