// The SDK's build (`npm run build` runs it): sdk/src bundled with the pure core it uses into one
// ESM file with no dependencies (sdk/dist/index.js), and its type declarations bundled the same
// way into one file beside it (sdk/dist/index.d.ts): no relative import left to resolve, so the
// package types under moduleResolution node16, nodenext and bundler, and a relative import of
// sdk/dist/index.js finds them too.
import { rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generateDtsBundle } from 'dts-bundle-generator'
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
const [declarations] = generateDtsBundle(
  [{ filePath: `${root}sdk/src/index.ts`, output: { noBanner: true } }],
  { preferredConfigPath: `${root}sdk/tsconfig.json` },
)
writeFileSync(`${root}sdk/dist/index.d.ts`, declarations)
