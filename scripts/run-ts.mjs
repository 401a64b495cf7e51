// node scripts/run-ts.mjs <entry.ts> [args…]: bundle a TypeScript entry with esbuild (packages stay
// external) into node_modules/.cache/oauth3-run/ and run it with the given arguments. The route index module
// (#oauth3/route-index) is generated from server/routes exactly as the build does.
import { basename, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const [entry, ...args] = process.argv.slice(2)
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <entry.ts> [args…]')
  process.exit(2)
}
// Outside .output: the build tree holds only what ships (its digest is the build's identity).
const out = resolve('node_modules/.cache/oauth3-run')
const bundle = (entryPoints, outfile, plugins = []) =>
  build({
    entryPoints,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'warning',
    plugins,
  })

// The generator of the route index is itself TypeScript: bundle it first, then use it.
await bundle(['server/http/route-files.ts'], `${out}/route-files.mjs`)
const { routeIndexModule } = await import(pathToFileURL(`${out}/route-files.mjs`).href)
const routeIndex = {
  name: 'route-index',
  setup(plugin) {
    plugin.onResolve({ filter: /^#oauth3\/route-index$/ }, () => ({
      path: 'route-index',
      namespace: 'oauth3',
    }))
    plugin.onLoad({ filter: /.*/, namespace: 'oauth3' }, () => ({
      contents: routeIndexModule(resolve('server/routes')),
      resolveDir: resolve('.'),
      loader: 'js',
    }))
  },
}

const outfile = `${out}/${basename(entry, '.ts')}.mjs`
await bundle([entry], outfile, [routeIndex])
process.argv = [process.argv[0], outfile, ...args]
await import(pathToFileURL(outfile).href)
