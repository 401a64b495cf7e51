// The SDK's build (`npm run build` runs it): sdk/src bundled with the pure core it uses into one
// ESM file with no dependencies (sdk/dist/index.js), and its type declarations (sdk/dist/types).
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
rmSync(`${root}sdk/dist`, { recursive: true, force: true })
await build({
  entryPoints: [`${root}sdk/src/index.ts`],
  outfile: `${root}sdk/dist/index.js`,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  // Loaded only where a file system exists (the saved config), never in a browser.
  external: ['node:*'],
  logLevel: 'warning',
})
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
execFileSync(process.execPath, [tsc, '-p', `${root}sdk/tsconfig.json`], { stdio: 'inherit' })
