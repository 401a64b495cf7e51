// The `oauth3` command's bundle, built by `npm run build` after the server (nitro empties
// .output first): cli/oauth3.ts and the pure core it uses, into .output/cli/oauth3.mjs.
import { build } from 'esbuild'

await build({
  entryPoints: ['cli/oauth3.ts'],
  outfile: '.output/cli/oauth3.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
})
