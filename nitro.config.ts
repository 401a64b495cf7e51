import { copyFileSync, cpSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineNitroConfig } from 'nitropack/config'
import { buildWebAssets } from './scripts/build-web.mjs'
import { normalizeBuild } from './scripts/deterministic-build.mjs'
import { routeIndexModule } from './server/http/route-files'
import { runtimeConfigKeys } from './server/settings/resolve'

export default defineNitroConfig({
  compatibilityDate: '2025-01-01',
  srcDir: 'server',
  preset: 'node-server',
  errorHandler: '~/http/error-handler',
  // Every request's id, log line and headers (server/http/headers.ts): the HTTP edge stays in
  // server/http, so no middleware folder.
  handlers: [{ route: '', middleware: true, handler: '~/http/headers' }],
  imports: false,
  // Every operator setting, unset; NITRO_<UPPER_SNAKE> sets each at runtime. The table, the
  // defaults and the checks are server/settings/table.ts, applied at startup.
  runtimeConfig: runtimeConfigKeys(),
  hooks: {
    // Our own start in a build (server/http/entry.ts): the API listens once the app is started and
    // recovered, and a failure to start is one line and exit code 1. `nitro dev` keeps its own.
    'build:before'(nitro) {
      if (!nitro.options.dev) {
        nitro.options.entry = fileURLToPath(new URL('./server/http/entry.ts', import.meta.url))
      }
    },
    // The guest entry stays a plain .mjs file next to the server entry (bundling it breaks it);
    // `ses` is traced into .output so the guest can import it.
    async compiled(nitro) {
      const target = nitro.options.dev
        ? nitro.options.buildDir + '/dev'
        : nitro.options.output.serverDir
      mkdirSync(target, { recursive: true })
      for (const file of ['guest.mjs', 'protocol.mjs']) {
        copyFileSync(
          fileURLToPath(new URL(`./runtime/${file}`, import.meta.url)),
          `${target}/${file}`,
        )
      }
      // The bundled registry skills, loaded (and validated) at startup.
      cpSync(fileURLToPath(new URL('./skills', import.meta.url)), `${target}/skills`, {
        recursive: true,
      })
      // The pages' scripts and stylesheet (GET /assets/{file}).
      await buildWebAssets(`${target}/web`)
      // The same commit builds the same bytes, wherever and whenever (docs/reproduce.md).
      if (!nitro.options.dev) normalizeBuild(nitro)
    },
  },
  // The ESM entry of ses (what the guest's `import 'ses'` loads), traced with its dependencies.
  // node:sqlite (Node 22.13+) is a builtin the bundler does not know yet: left to Node.
  rollupConfig: { external: ['node:sqlite'] },
  externals: {
    // runtime/protocol.mjs is plain JS outside srcDir: `nitro dev` would leave it external, under
    // a path relative to the wrong folder. Inlined, as the build does.
    inline: [fileURLToPath(new URL('./runtime/', import.meta.url))],
    traceInclude: [
      join(dirname(createRequire(import.meta.url).resolve('ses/package.json')), 'index.js'),
    ],
  },
  // The route index (server/http/route-index.ts): every route file with its declaration.
  virtual: {
    '#oauth3/route-index': () =>
      routeIndexModule(fileURLToPath(new URL('./server/routes', import.meta.url))),
  },
  experimental: { openAPI: false },
  // No source maps: Node does not read them without --enable-source-maps, and they would record
  // identifiers and positions that differ from one checkout to another (docs/reproduce.md).
  sourceMap: false,
})
