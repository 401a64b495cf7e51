/**
 * The skill registry: bundled skills (skills/<id>/<version>/, loaded and validated at startup)
 * and published ones (in the store). The first publisher of an id owns it; versions are immutable
 * and content-addressed by their code's SHA-256; a reference `id@range` resolves to the highest
 * matching version.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import semver from 'semver'
import type { Tenant } from '../accounts'
import type { App } from '../app'
import type { NormalizedCapability } from '../capabilities'
import { fail } from '../errors'
import type { SkillManifest } from '../../../schemas/types'
import { validateSkillBundle } from './validate'

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

const skillKey = (id: string) => `skill:${id}`
const versionKey = (id: string, version: string) => `skill-version:${id}:${version}`
const REFERENCE = /^([a-z0-9][a-z0-9-]{0,63})(?:@(.{1,64}))?$/

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
        const body = (error as { data?: { body?: unknown } }).data?.body
        throw new Error(
          `bundled skill ${id}@${version} is invalid: ${JSON.stringify(body ?? String(error))}`,
        )
      }
    }
    if (versions.size) skills.set(id, versions)
  }
  return skills
}

export async function publishSkill(
  app: App,
  publisher: Tenant,
  manifestText: string,
  code: string,
) {
  const { manifest, capabilities } = validateSkillBundle(manifestText, code, {
    allowHttp: app.settings.allowHttpEndpoints,
  })
  if (app.bundledSkills.has(manifest.id)) fail('SKILL_OWNED_BY_ANOTHER')
  await app.store.createIfAbsent(skillKey(manifest.id), {
    id: manifest.id,
    owner: publisher.tenant_id,
    created_at: Date.now(),
  })
  const owner = await app.store.get<{ owner: string }>(skillKey(manifest.id))
  if (owner?.owner !== publisher.tenant_id) fail('SKILL_OWNED_BY_ANOTHER')
  const record = toVersion(
    manifest,
    manifestText,
    code,
    capabilities,
    publisher.tenant_id,
    Date.now(),
  )
  if (!(await app.store.createIfAbsent(versionKey(manifest.id, manifest.version), record)))
    fail('SKILL_VERSION_EXISTS')
  return {
    id: record.id,
    version: record.version,
    sha256: record.sha256,
    published_at: record.published_at,
  }
}

export async function listSkills(app: App) {
  const ids = new Set([
    ...app.bundledSkills.keys(),
    ...(await app.store.keys('skill')).map((key) => key.slice('skill:'.length)),
  ])
  const skills = []
  for (const id of [...ids].sort()) {
    const versions = await listVersions(app, id)
    const latest = versions.at(-1)
    if (latest)
      skills.push({
        id,
        latest: latest.version,
        description: latest.description,
        author: latest.author,
        versions: versions.length,
        bundled: latest.publisher === 'bundled',
      })
  }
  return { skills }
}

export async function describeSkill(app: App, id: string) {
  const versions = await listVersions(app, id)
  if (versions.length === 0) fail('SKILL_NOT_FOUND')
  return {
    id,
    bundled: versions[0].publisher === 'bundled',
    versions: versions.map((version) => ({
      version: version.version,
      sha256: version.sha256,
      description: version.description,
      published_at: version.published_at,
    })),
  }
}

export async function readSkillVersion(
  app: App,
  id: string,
  version: string,
): Promise<SkillVersion> {
  const bundled = app.bundledSkills.get(id)?.get(version)
  if (bundled) return bundled
  const stored =
    REFERENCE.test(id) && semver.valid(version)
      ? await app.store.get<SkillVersion>(versionKey(id, version))
      : null
  if (!stored) fail('SKILL_NOT_FOUND')
  return stored
}

/** `id`, `id@1.2.3`, `id@^1`, `id@~1.2`, `id@1.x`: the highest published version in range. */
export async function resolveSkill(app: App, reference: string): Promise<SkillVersion> {
  const match = REFERENCE.exec(reference)
  if (!match) fail('SKILL_NOT_FOUND')
  const [, id, range = '*'] = match
  if (!semver.validRange(range))
    fail('SKILL_NOT_FOUND', { details: { reason: 'the version range is not valid' } })
  const versions = await listVersions(app, id)
  const best = semver.maxSatisfying(
    versions.map((version) => version.version),
    range,
  )
  if (!best) fail('SKILL_NOT_FOUND')
  return versions.find((version) => version.version === best)!
}

async function listVersions(app: App, id: string): Promise<SkillVersion[]> {
  if (!REFERENCE.test(id)) return []
  const bundled = app.bundledSkills.get(id)
  const versions = bundled
    ? [...bundled.values()]
    : ((
        await Promise.all(
          (await app.store.keys(`skill-version:${id}`)).map((key) =>
            app.store.get<SkillVersion>(key),
          ),
        )
      ).filter(Boolean) as SkillVersion[])
  return versions.sort((a, b) => semver.compare(a.version, b.version))
}

function toVersion(
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
