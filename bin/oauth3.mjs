#!/usr/bin/env node
// The `oauth3` command: runs the bundle `npm run build` writes (.output/cli/oauth3.mjs).
import { existsSync } from 'node:fs'

const bundle = new URL('../.output/cli/oauth3.mjs', import.meta.url)
if (!existsSync(bundle)) {
  console.error('oauth3: the command is not built yet: run `npm run build` first')
  process.exit(1)
}
await import(bundle.href)
