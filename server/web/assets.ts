/**
 * The pages' scripts and stylesheet, as the build wrote them beside the server entry (web/,
 * scripts/build-web.mjs): read once, served from memory with an ETag. Only those files exist.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { resolveBesideEntry } from '../settings/beside-entry'

export interface Asset {
  body: Buffer
  type: string
  etag: string
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}

let assets: Map<string, Asset> | undefined

export function readAsset(name: string): Asset | null {
  assets ??= loadAssets(resolveBesideEntry('web', '.output/server/web'))
  return assets.get(name) ?? null
}

function loadAssets(dir: string): Map<string, Asset> {
  const loaded = new Map<string, Asset>()
  for (const name of readdirSync(dir)) {
    const match = /^[a-z-]+\.(js|css)$/.exec(name)
    if (!match) continue
    const body = readFileSync(join(dir, name))
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
    loaded.set(name, { body, type: TYPES[match[1]], etag })
  }
  return loaded
}
