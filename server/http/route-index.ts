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

export function toApiRoutes(entries: RouteIndexEntry[]): ApiRoute[] {
  return entries.map((entry) => ({
    method: entry.method,
    path: entry.path,
    ...entry.handler().meta,
  }))
}

let routes: ApiRoute[] | undefined

/** Every route of this build, in file order. */
export function useApiRoutes(): ApiRoute[] {
  routes ??= toApiRoutes(routeFiles)
  return routes
}
