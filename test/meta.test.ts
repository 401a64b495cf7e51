/**
 * Meta-tests that read folders: the generated types and docs match their sources, every route file
 * declares itself and the OpenAPI document built from those declarations is whole, every schema
 * compiles, every code that crosses the guest boundary is in the error catalog, and the layers
 * import only what they may.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CAPABILITY_PLUGINS } from '../core/capabilities/registry'
import { ERROR_CATALOG } from '../core/errors'
import { SCHEMAS } from '../core/schemas'
import { FAILURE } from '../runtime/protocol.mjs'
import { renderErrorDocs, withGeneratedTables } from '../scripts/docs/render'
import { AUTH_LABEL } from '../server/http/guide'
import Ajv from 'ajv'
import { ANSWER_SCHEMAS } from '../core/answers'
import { buildOpenApi } from '../server/http/openapi'
import { listRouteFiles } from '../server/http/route-files'
import { useAllRoutes, useApiRoutes } from '../server/http/route-index'
import { Validator } from '@seriousme/openapi-schema-validator'
import { listFiles } from '../scripts/list-files.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const read = (path: string) => readFileSync(join(root, path), 'utf8')

/** The route index as the server builds it (the same generated module, see vitest.config.ts). */
const loadRoutes = async () => useApiRoutes()

function sourceFiles(dir: string): string[] {
  return listFiles(join(root, dir))
    .filter((path) => /\.(ts|mjs)$/.test(path))
    .map((path) => `${dir}/${path}`)
}

describe('generated files', () => {
  it('schemas/types.ts is generated from the current schemas', () => {
    const check = ['scripts/gen-types.mjs', '--check']
    expect(() => execFileSync(process.execPath, check, { cwd: root, stdio: 'pipe' })).not.toThrow()
  })

  it('docs/errors.md is generated from the error catalog, with every code and its status', () => {
    const doc = read('docs/errors.md')
    expect(doc).toBe(renderErrorDocs())
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      if (entry.kind === 'api') expect(doc, code).toContain(`| \`${code}\` | ${entry.status} |`)
      else expect(doc, code).toContain(`| \`${code}\` |`)
    }
  })

  it("the README's endpoint and settings tables are generated from the routes and the settings", () => {
    expect(read('README.md')).toBe(withGeneratedTables(read('README.md')))
  })
})

describe('routes', () => {
  it('every route file declares who may call it, its body schema and its answer', async () => {
    const routes = useAllRoutes()
    expect(routes.length).toBe(listRouteFiles(join(root, 'server', 'routes')).length)
    // Pages and assets are routes too, left out of the API's lists; they answer HTML or files.
    const pages = routes.filter((route) => route.page)
    expect(pages.map((route) => route.path).sort()).toEqual([
      '/assets/{file}',
      '/dashboard',
      '/extension/connect',
      '/favicon.ico',
      '/favicon.svg',
      '/signin',
    ])
    expect(useApiRoutes()).toHaveLength(routes.length - pages.length)
    for (const route of routes) {
      const name = `${route.method} ${route.path}`
      expect(route.summary, name).toMatch(/\S/)
      expect(route.returns, name).toMatch(/\S/)
      expect(Object.keys(AUTH_LABEL), name).toContain(route.auth)
      if (route.body) expect(Object.keys(SCHEMAS), name).toContain(route.body)
      if (route.method === 'POST' && route.status !== 410) {
        expect(route.body, `${name} reads a JSON body`).toBeDefined()
      }
      // A JSON success names its schema, by status; only routes that always fail name none.
      const json = !route.page && (route.produces ?? 'application/json') === 'application/json'
      const alwaysFails = (route.status ?? 200) >= 400
      if (json && !alwaysFails) {
        expect(route.answers, `${name} declares its answers`).toBeDefined()
        expect(Object.keys(route.answers!), name).toContain(String(route.status ?? 200))
      }
      for (const answer of Object.values(route.answers ?? {}))
        if (answer !== null) expect(Object.keys(ANSWER_SCHEMAS), name).toContain(answer)
    }
  })

  it('the OpenAPI document is valid OpenAPI 3.1, lists every route and resolves every reference', async () => {
    const routes = await loadRoutes()
    const doc = buildOpenApi('https://oauth3.example.com', routes)
    const validation = await new Validator().validate(doc as never)
    expect(validation.errors, JSON.stringify(validation.errors)).toBeUndefined()
    expect(validation.valid).toBe(true)
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)]
    expect(refs.length).toBeGreaterThan(10)
    for (const [, pointer] of refs) {
      const target = pointer
        .split('/')
        .reduce<any>((node, part) => node?.[part], doc.components.schemas)
      expect(target, pointer).toBeTypeOf('object')
    }
    for (const route of routes) {
      expect(doc.paths[route.path], route.path).toHaveProperty(route.method.toLowerCase())
    }
    expect(Object.keys(doc.paths).length).toBe(new Set(routes.map((route) => route.path)).size)
    // Generators follow only refs to whole components, and need one operationId each.
    for (const [, pointer] of refs) expect(pointer, pointer).toMatch(/^\w+$/)
    const ids = Object.values(doc.paths).flatMap((operations) =>
      Object.values(operations).map(
        (operation) => (operation as { operationId: string }).operationId,
      ),
    )
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toContain('postExecute')
    expect(ids).toContain('getExecuteByIdStatus')
    // The examples of the real flow are valid against the schemas they illustrate.
    const ajv = new Ajv({ strict: false })
    ajv.addSchema({ ...doc, $id: 'openapi' })
    let examples = 0
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const base = `openapi#/paths/${path.replaceAll('/', '~1')}/${method}`
        const op = operation as {
          requestBody?: { content: Record<string, { example?: unknown }> }
          responses: Record<string, { content?: Record<string, { example?: unknown }> }>
        }
        const places: Array<[string, unknown]> = []
        const request = op.requestBody?.content['application/json']?.example
        if (request !== undefined)
          places.push([`${base}/requestBody/content/application~1json/schema`, request])
        for (const [status, response] of Object.entries(op.responses)) {
          const example = response.content?.['application/json']?.example
          if (example !== undefined)
            places.push([`${base}/responses/${status}/content/application~1json/schema`, example])
        }
        for (const [pointer, example] of places) {
          const validate = ajv.compile({ $ref: pointer })
          expect(validate(example), `${pointer}: ${ajv.errorsText(validate.errors)}`).toBe(true)
          examples++
        }
      }
    }
    expect(examples).toBeGreaterThanOrEqual(9)
  })
})

describe('schemas and codes', () => {
  it('status words are one list: the status answers refer to it, narrower ones are subsets of it', () => {
    const words = ANSWER_SCHEMAS.statusWord.enum as string[]
    const statuses: Array<[string, unknown]> = []
    for (const [name, schema] of Object.entries(ANSWER_SCHEMAS)) {
      JSON.stringify(schema, (key, value) => {
        if (value && typeof value === 'object' && 'status' in value && key === 'properties')
          statuses.push([name, (value as { status: unknown }).status])
        return value
      })
    }
    // A permit's own lifecycle (active, revoked), the service's and POST /permit's are other words.
    const otherLists = new Set([
      'permit',
      'health',
      'ready',
      'permitAnswer',
      'callRecord',
      'extensionCollected',
    ])
    const refer = statuses.filter(([, status]) => (status as { $ref?: string }).$ref)
    expect(refer.map(([name]) => name).sort()).toEqual(['actionsPage', 'historyPage', 'statusBody'])
    for (const [name, status] of statuses) {
      if (otherLists.has(name) || (status as { $ref?: string }).$ref) continue
      const listed = (status as { enum?: string[]; const?: string }).enum ?? [
        (status as { const: string }).const,
      ]
      for (const word of listed) expect(words, `${name}: ${word}`).toContain(word)
    }
  })

  it('every schema file is compiled: the request schemas and each capability type', () => {
    const files = readdirSync(join(root, 'schemas')).filter((file) => file.endsWith('.schema.json'))
    const compiled = [
      ...Object.values(SCHEMAS).map((schema) => schema.$id),
      ...Object.values(ANSWER_SCHEMAS).map((schema) => schema.$id),
      ...CAPABILITY_PLUGINS.map((plugin) => plugin.schema.$id),
    ]
    expect(compiled.sort()).toEqual(files.sort())
    for (const file of files) expect(JSON.parse(read(`schemas/${file}`)).$id).toBe(file)
  })

  it('every failure code that crosses the guest boundary is in the catalog, of its kind', () => {
    const calls = [
      'subrequest_limit',
      'request_too_large',
      'invalid_call',
      'unknown_capability',
      'revoked',
      'upstream_error',
    ]
    for (const code of Object.values(FAILURE)) {
      const entry = ERROR_CATALOG[code as keyof typeof ERROR_CATALOG]
      expect(entry, code).toBeDefined()
      expect(entry.kind, code).toBe(calls.includes(code) ? 'call' : 'execution')
    }
  })
})

describe('the security model', () => {
  const security = read('docs/security.md')
  const files = ['core', 'server', 'runtime', 'cli', 'test', 'scripts', 'bench']
    .flatMap(sourceFiles)
    .concat('README.md')

  it('every case id and rule number cited in the repository is on docs/security.md', () => {
    const rules = new Set([...security.matchAll(/^ *(\d+a?)\. /gm)].map((match) => match[1]))
    for (const file of files) {
      const text = read(file)
      for (const [id] of text.matchAll(/\b(?:SB|RS|GW|AP|MT|IN|RL)-\d{2}\b/g)) {
        expect(security, `${file} cites ${id}`).toContain(`**${id}**`)
      }
      for (const [, list] of text.matchAll(/\brules? (\d+a?(?:(?:, | and |–)\d+a?)*)/g)) {
        for (const rule of list.split(/, | and |–/)) {
          expect(rules.has(rule), `${file} cites rule ${rule}`).toBe(true)
        }
      }
    }
  })

  it('no file points to a document outside the repository', () => {
    for (const file of files)
      expect(read(file), file).not.toMatch(/\.\.\/shared|SECURITY\.md|API\.md/)
  })
})

describe('layers', () => {
  const importsOf = (file: string) =>
    [...read(file).matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map(
      (m) => m[1],
    )

  it('core/ imports nothing from server/, runtime/, cli/ or a web framework', () => {
    for (const file of sourceFiles('core')) {
      for (const target of importsOf(file)) {
        expect(target, file).not.toMatch(/(^|\/)(server|runtime|cli)\/|^(h3|nitropack)/)
      }
    }
  })

  it('cli/ and runtime/ import nothing from server/', () => {
    for (const file of [...sourceFiles('cli'), ...sourceFiles('runtime')]) {
      for (const target of importsOf(file)) expect(target, file).not.toMatch(/(^|\/)server\//)
    }
  })

  it('h3 stays at the edge: only server/routes/ and server/http/ touch a request', () => {
    for (const file of sourceFiles('server')) {
      if (/^server\/(routes|http)\//.test(file)) continue
      expect(importsOf(file), file).not.toContain('h3')
      expect(read(file), `${file} takes a request`).not.toMatch(/\bH3Event\b/)
    }
  })

  it('no import cycle between server/ folders (type-only imports aside)', () => {
    // Folder → folders it imports at run time; the files at server/ itself are the folder '.'.
    const folderOf = (path: string) => {
      const rest = path.slice('server/'.length).split('/')
      return rest.length > 1 || !/\.(ts|mjs)$/.test(path) ? rest[0] : '.'
    }
    const edges = new Map<string, Set<string>>()
    for (const file of sourceFiles('server')) {
      const statements = read(file).matchAll(/^import\s+(type\s+)?([^;]*?)\s+from\s+'([^']+)'/gm)
      for (const [, typeOnly, names, target] of statements) {
        const onlyTypes =
          typeOnly ||
          (/^\{[\s\S]*\}$/.test(names.trim()) &&
            names
              .trim()
              .slice(1, -1)
              .split(',')
              .map((name) => name.trim())
              .filter(Boolean)
              .every((name) => name.startsWith('type ')))
        if (onlyTypes || !target.startsWith('.')) continue
        const resolved = join(dirname(file), target)
        if (!resolved.startsWith('server/')) continue
        const from = folderOf(file)
        const to = folderOf(
          existsSync(join(root, resolved)) ? `${resolved}/x.ts` : `${resolved}.ts`,
        )
        if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to))
      }
    }
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      from === to ||
      [...(edges.get(from) ?? [])].some(
        (next) => !seen.has(next) && (seen.add(next), reaches(next, to, seen)),
      )
    const cycles = [...edges].flatMap(([from, targets]) =>
      [...targets].filter((to) => reaches(to, from)).map((to) => `${from} → ${to}`),
    )
    expect(edges.size).toBeGreaterThan(10)
    expect(cycles).toEqual([])
  })

  it('no service parses an error back out of its text', () => {
    for (const file of [
      ...sourceFiles('server'),
      ...sourceFiles('core'),
      ...sourceFiles('runtime'),
    ]) {
      expect(read(file), file).not.toMatch(/(error|message|\.error)\S*\.split\(['"]:['"]\)/)
    }
  })
})
