// Build once per test run, as `npm run build` does: the server (every HTTP test then runs it in
// child processes), the oauth3 command's bundle, the SDK and build-info.json (the build digest).
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
  const steps = [
    [nitro, 'build'],
    ['scripts/build-cli.mjs'],
    ['scripts/build-sdk.mjs'],
    ['scripts/build-digest.mjs', '--write-info'],
  ]
  for (const args of steps) {
    execFileSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  }
}
