/**
 * Meta-tests that read folders: the generated types match the schemas, every route file is in the
 * API table (so the guide and OpenAPI list it), every error code is documented, every schema
 * compiles in strict mode.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { API_ROUTES } from '../server/utils/api-routes'
import { ERROR_CATALOG } from '../server/utils/errors'
import { buildOpenApi } from '../server/utils/openapi'
import { SCHEMAS } from '../server/utils/schemas'

const root = fileURLToPath(new URL('..', import.meta.url))

describe('meta', () => {
  it('schemas/types.ts is generated from the current schemas', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/gen-types.mjs', '--check'], {
        cwd: root,
        stdio: 'pipe',
      }),
    ).not.toThrow()
  })

  it('every schema file is compiled and exposed', () => {
    const files = readdirSync(join(root, 'schemas'))
      .filter((file) => file.endsWith('.schema.json'))
      .sort()
    expect(
      Object.values(SCHEMAS)
        .map((schema) => schema.$id)
        .sort(),
    ).toEqual(files)
    for (const file of files)
      expect(JSON.parse(readFileSync(join(root, 'schemas', file), 'utf8')).$id).toBe(file)
  })

  it('every route file is listed in API_ROUTES, and nothing else is', () => {
    const routesDir = join(root, 'server', 'routes')
    const fromFiles = readdirSync(routesDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const path = relative(routesDir, join(entry.parentPath, entry.name)).split(sep).join('/')
        const [, file, method] = /^(.*)\.(get|post|delete)\.ts$/.exec(path)!
        const url = '/' + file.replace(/(^|\/)index$/, '').replace(/\[(\w+)\]/g, '{$1}')
        return `${method.toUpperCase()} ${url.replace(/\/$/, '') || '/'}`
      })
      .sort()
    expect(API_ROUTES.map((route) => `${route.method} ${route.path}`).sort()).toEqual(fromFiles)
  })

  it('every error code is documented in docs/errors.md with its status', () => {
    const doc = readFileSync(join(root, 'docs', 'errors.md'), 'utf8')
    for (const [code, [status]] of Object.entries(ERROR_CATALOG))
      expect(doc, code).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`))
  })

  it('the OpenAPI document references only components it defines', () => {
    const doc = buildOpenApi('https://oauth3.example.com')
    const refs = [
      ...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"/]+)/g),
    ].map((match) => match[1])
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref)
    expect(Object.keys(doc.paths).length).toBe(new Set(API_ROUTES.map((route) => route.path)).size)
  })
})
