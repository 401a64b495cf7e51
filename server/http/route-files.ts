/**
 * Route files and what they serve, read from the file tree the way Nitro routes it:
 * `routes/approve/[id].post.ts` is `POST /approve/{id}`. The build (nitro.config.ts) turns this
 * list into the route index; the tests read it the same way.
 */
import { join } from 'node:path'
import { listFiles } from '../../scripts/list-files.mjs'

export type HttpMethod = 'GET' | 'POST' | 'DELETE'

export interface RouteFile {
  /** Absolute path of the route module. */
  file: string
  method: HttpMethod
  /** OpenAPI style: `/approve/{id}`. */
  path: string
}

const ROUTE_FILE = /^(.*)\.(get|post|delete)\.ts$/

export function listRouteFiles(routesDir: string): RouteFile[] {
  return listFiles(routesDir)
    .map((path) => ({ file: join(routesDir, path), ...routeOfFile(path) }))
    .sort((a, b) => a.file.localeCompare(b.file))
}

export function routeOfFile(relativePath: string): { method: HttpMethod; path: string } {
  const match = ROUTE_FILE.exec(relativePath)
  if (!match) throw new Error(`${relativePath} is not named <path>.<get|post|delete>.ts`)
  const [, name, method] = match
  const path = '/' + name.replace(/(^|\/)index$/, '').replace(/\[(\w+)\]/g, '{$1}')
  return { method: method.toUpperCase() as HttpMethod, path: path.replace(/\/$/, '') || '/' }
}

/** The source of the virtual module `#oauth3/route-index`: every route file with its handler. */
export function routeIndexModule(routesDir: string): string {
  const files = listRouteFiles(routesDir)
  const imports = files.map(
    (route, i) => `import * as route${i} from ${JSON.stringify(route.file)}`,
  )
  const entries = files.map(
    (route, i) =>
      `  { method: ${JSON.stringify(route.method)}, path: ${JSON.stringify(route.path)}, handler: () => route${i}.default },`,
  )
  // Handlers are read lazily: a route module that imports this index is still loading when the
  // index is evaluated.
  return `${imports.join('\n')}\nexport default [\n${entries.join('\n')}\n]\n`
}
