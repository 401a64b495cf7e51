/**
 * The public API in one list, built from the route files' own declarations (see
 * define-route.ts): the guide at GET / and GET /openapi.json are generated from it.
 */
import routeFiles from '#oauth3/route-index'
import type { ApiRouteHandler, RouteMeta } from './define-route'
import type { HttpMethod } from './route-files'

export interface ApiRoute extends RouteMeta {
  method: HttpMethod
  path: string
}

/** Entries of the generated index: method and path from the file name, the handler lazily. */
export interface RouteIndexEntry {
  method: HttpMethod
  path: string
  handler(): ApiRouteHandler
}

const METHOD_ORDER: HttpMethod[] = ['GET', 'POST', 'DELETE']

/** Code-point order: `/x` before `/x/{id}`, the same on every machine and locale. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The routes with their declarations, by path, then GET, POST, DELETE. */
export function toApiRoutes(entries: RouteIndexEntry[]): ApiRoute[] {
  return entries
    .map((entry) => ({ method: entry.method, path: entry.path, ...entry.handler().meta }))
    .sort(
      (a, b) =>
        compare(a.path, b.path) || METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method),
    )
}

let routes: ApiRoute[] | undefined

/** Every route of this build, pages and assets included. */
export function useAllRoutes(): ApiRoute[] {
  routes ??= toApiRoutes(routeFiles)
  return routes
}

/** The API: every route but the pages and assets made for browsers. */
export function useApiRoutes(): ApiRoute[] {
  return useAllRoutes().filter((route) => !route.page)
}
