// node scripts/run-ts.mjs <entry.ts> [args…]: bundle a TypeScript entry with esbuild (packages stay
// external) into .output/run/ and run it with the given arguments.
import { basename, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const [entry, ...args] = process.argv.slice(2)
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <entry.ts> [args…]')
  process.exit(2)
}
const outfile = resolve('.output/run', `${basename(entry, '.ts')}.mjs`)
await build({
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  outfile,
  logLevel: 'warning',
})
process.argv = [process.argv[0], outfile, ...args]
await import(pathToFileURL(outfile).href)
