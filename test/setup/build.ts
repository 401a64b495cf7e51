// Build the server once per test run; every HTTP test then runs the real build in child processes.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export default function setup() {
  if (!process.env.REDIS_URL) {
    console.log('REDIS_URL is not set: the Redis tests are skipped (bash .ci/run sets it).')
  }
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const nitro = fileURLToPath(
    new URL('../../node_modules/nitropack/dist/cli/index.mjs', import.meta.url),
  )
  execFileSync(process.execPath, [nitro, 'build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}
