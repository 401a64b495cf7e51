/**
 * What this server was built from: `build-info.json`, written next to the build by
 * `npm run build` (scripts/build-digest.mjs) — the version, the git commit and the build digest,
 * the sha256 over the build tree that anyone can recompute from the same commit
 * (docs/reproduce.md). A source checkout run without a build (`nitro dev`) has none: null.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { version as SERVER_VERSION } from '../../package.json'

export interface BuildInfo {
  version: string
  commit: string | null
  build_digest: string | null
}

let cached: BuildInfo | undefined

export function readBuildInfo(): BuildInfo {
  cached ??= load()
  return cached
}

function load(): BuildInfo {
  // The entry is <build>/server/index.mjs; build-info.json is at <build>/.
  const file = join(dirname(process.argv[1] ?? ''), '..', 'build-info.json')
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as Partial<BuildInfo>
    return {
      version: SERVER_VERSION,
      commit: typeof info.commit === 'string' ? info.commit : null,
      build_digest: typeof info.build_digest === 'string' ? info.build_digest : null,
    }
  } catch {
    return { version: SERVER_VERSION, commit: null, build_digest: null }
  }
}
