/**
 * The bundled registry skills (skills/<id>/<version>/ beside the server entry), loaded and
 * validated once at startup with the same checks as a published skill.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NormalizedCapability } from '../../core/capabilities/plugin'
import { isOAuth3Error } from '../../core/errors'
import { validateSkillBundle } from '../../core/skills/validate'
import type { SkillManifest } from '../../schemas/types'

export interface SkillVersion {
  id: string
  version: string
  description: string
  author: string
  sha256: string
  manifest: SkillManifest
  manifest_text: string
  code: string
  capabilities: NormalizedCapability[]
  /** 'bundled', or the tenant that published it. */
  publisher: string
  published_at: number
}

export type BundledSkills = Map<string, Map<string, SkillVersion>>

/** Load every bundle under `dir`; a broken bundled skill stops the server (it would be a bug). */
export function loadBundledSkills(dir: string, allowHttp: boolean): BundledSkills {
  const skills: BundledSkills = new Map()
  if (!existsSync(dir)) return skills
  for (const id of readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)) {
    const versions = new Map<string, SkillVersion>()
    for (const version of readdirSync(join(dir, id), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)) {
      const manifestText = readFileSync(join(dir, id, version, 'skill.yaml'), 'utf8')
      const code = readFileSync(join(dir, id, version, 'index.js'), 'utf8')
      try {
        const { manifest, capabilities } = validateSkillBundle(manifestText, code, {
          id,
          version,
          allowHttp,
        })
        versions.set(version, toVersion(manifest, manifestText, code, capabilities, 'bundled', 0))
      } catch (error) {
        const reason = isOAuth3Error(error)
          ? `${error.code} ${JSON.stringify(error.details ?? {})}`
          : String(error)
        throw new Error(`bundled skill ${id}@${version} is invalid: ${reason}`)
      }
    }
    if (versions.size) skills.set(id, versions)
  }
  return skills
}

export function toVersion(
  manifest: SkillManifest,
  manifestText: string,
  code: string,
  capabilities: NormalizedCapability[],
  publisher: string,
  publishedAt: number,
): SkillVersion {
  return {
    id: manifest.id,
    version: manifest.version,
    description: manifest.description,
    author: manifest.author,
    sha256: manifest.sha256,
    manifest,
    manifest_text: manifestText,
    code,
    capabilities,
    publisher,
    published_at: publishedAt,
  }
}
