/**
 * `oauth3 skill`: validate a bundle folder with the very checks the server runs, print the
 * sha256 to put in skill.yaml, and publish a version.
 *
 *   oauth3 skill validate skills/<id>/<version>
 *   oauth3 skill hash skills/<id>/<version>
 *   oauth3 skill publish skills/<id>/<version> --url http://localhost:3000 --token oa3_…
 *
 * It runs the checks of the pure core (core/skills), the very ones POST /skills runs, so a
 * bundle that passes here passes there, and fails there with the same code when it fails here.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { validateSkillBundle } from '../core/skills/validate'

export const SKILL_USAGE =
  'oauth3 skill validate|hash|publish <bundle folder> [--url URL --token TOKEN] [--allow-http]'

function readBundle(folder: string) {
  const dir = resolve(folder)
  return {
    dir,
    id: basename(dirname(dir)),
    version: basename(dir),
    manifest: readFileSync(join(dir, 'skill.yaml'), 'utf8'),
    code: readFileSync(join(dir, 'index.js'), 'utf8'),
  }
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name)
  return index >= 0 ? args[index + 1] : undefined
}

export async function skillCommand(argv: string[]): Promise<number> {
  const [command, folder, ...rest] = argv
  if (!command || !folder) {
    console.error(`usage: ${SKILL_USAGE}`)
    return 2
  }
  const bundle = readBundle(folder)
  if (command === 'hash') {
    console.log(createHash('sha256').update(bundle.code).digest('hex'))
    return 0
  }
  if (command === 'validate') {
    const { manifest, capabilities } = validateSkillBundle(bundle.manifest, bundle.code, {
      id: bundle.id,
      version: bundle.version,
      allowHttp: rest.includes('--allow-http'),
    })
    console.log(
      `ok ${manifest.id}@${manifest.version}: ${capabilities.map((capability) => capability.signature).join('; ') || 'no capabilities'}`,
    )
    return 0
  }
  if (command === 'publish') {
    const url = option(rest, '--url') ?? process.env.OAUTH3_URL
    const token = option(rest, '--token') ?? process.env.OAUTH3_TOKEN
    if (!url || !token) {
      console.error('publish needs --url and --token (or OAUTH3_URL and OAUTH3_TOKEN)')
      return 2
    }
    validateSkillBundle(bundle.manifest, bundle.code, {
      id: bundle.id,
      version: bundle.version,
      allowHttp: rest.includes('--allow-http'),
    })
    const response = await fetch(`${url.replace(/\/+$/, '')}/skills`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ manifest: bundle.manifest, code: bundle.code }),
    })
    const text = await response.text()
    console.log(`${response.status} ${text}`)
    return response.ok ? 0 : 1
  }
  console.error(`usage: ${SKILL_USAGE}`)
  return 2
}
