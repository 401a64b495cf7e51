/**
 * The skill registry: bundled skills (skills/<id>/<version>/, loaded and validated at startup)
 * and published ones (in the store). The first publisher of an id owns it; versions are immutable
 * and content-addressed by their code's SHA-256; a reference `id@range` resolves to the highest
 * matching version.
 */
import semver from 'semver'
import { fail } from '../../core/errors'
import { LIMITS } from '../../core/limits'
import { countAttempt } from '../store/rate-limit'
import { validateSkillBundle } from '../../core/skills/validate'
import type { Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { toVersion, type SkillVersion } from './bundled'

const skillKey = (id: string) => `skill:${id}`
const versionKey = (id: string, version: string) => `skill-version:${id}:${version}`
const REFERENCE = /^([a-z0-9][a-z0-9-]{0,63})(?:@(.{1,64}))?$/

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
  await countPublish(app, publisher)
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

/**
 * Publishing is bounded per tenant (rule 21): a registry anyone fills without limit crowds out
 * what others read. Counted per attempt that passed validation, in a fixed window.
 */
async function countPublish(app: App, publisher: Tenant) {
  const window = { name: 'skill-publish', subject: publisher.tenant_id, windowMs: 3_600_000 }
  const { count, retryAfterSeconds } = await countAttempt(app.store, window)
  const limit = LIMITS.SKILL_PUBLISHES_PER_HOUR
  if (count > limit) {
    fail('RATE_LIMITED', {
      retryAfterSeconds,
      details: { reason: `at most ${limit} skill versions per hour per tenant` },
    })
  }
}

/** The ids of the published skills whose first publisher is one of `tenants`. */
export async function skillsPublishedBy(app: App, tenants: Set<string>): Promise<string[]> {
  const ids = (await app.store.keys('skill')).map((key) => key.slice('skill:'.length))
  const owners = await Promise.all(ids.map((id) => app.store.get<{ owner: string }>(skillKey(id))))
  return ids.filter((_, i) => tenants.has(owners[i]?.owner ?? ''))
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

/** GET /skills/:id/:version: the manifest and code as published. */
export async function describeSkillVersion(app: App, id: string, version: string) {
  const skill = await readSkillVersion(app, id, version)
  return {
    id: skill.id,
    version: skill.version,
    sha256: skill.sha256,
    manifest: skill.manifest_text,
    code: skill.code,
    capabilities: skill.capabilities,
    published_at: skill.published_at,
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
