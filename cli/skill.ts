/**
 * Skill bundles on disk: read a folder `skills/<id>/<version>/` (skill.yaml + index.js), check it
 * with the very checks the server runs (core/skills), so a bundle that passes here passes there
 * and fails there with the same code when it fails here.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { validateSkillBundle } from '../core/skills/validate'

export interface SkillBundle {
  dir: string
  id: string
  version: string
  manifest: string
  code: string
}

export function readBundle(folder: string): SkillBundle {
  const dir = resolve(folder)
  return {
    dir,
    id: basename(dirname(dir)),
    version: basename(dir),
    manifest: readFileSync(join(dir, 'skill.yaml'), 'utf8'),
    code: readFileSync(join(dir, 'index.js'), 'utf8'),
  }
}

/** The sha256 to put in skill.yaml. */
export function hashBundle(bundle: SkillBundle): string {
  return createHash('sha256').update(bundle.code).digest('hex')
}

/** Throws the server's own error (with its code) when the bundle would be refused. */
export function checkBundle(bundle: SkillBundle, allowHttp = false) {
  return validateSkillBundle(bundle.manifest, bundle.code, {
    id: bundle.id,
    version: bundle.version,
    allowHttp,
  })
}
