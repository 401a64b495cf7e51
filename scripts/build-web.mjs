// The pages' scripts and stylesheet, built into the server output by the build (nitro.config.ts,
// `compiled` hook): each web/pages/<name>.ts bundled with what it imports from npm into
// <name>.js (no CDN, no third-party request from any page), and web/styles.css copied.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const web = fileURLToPath(new URL('../web/', import.meta.url))

export async function buildWebAssets(outDir) {
  mkdirSync(outDir, { recursive: true })
  const pages = readdirSync(join(web, 'pages')).filter((file) => file.endsWith('.ts'))
  await build({
    entryPoints: pages.map((file) => join(web, 'pages', file)),
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  })
  copyFileSync(join(web, 'styles.css'), join(outDir, 'styles.css'))
}
