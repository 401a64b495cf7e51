// The virtual module nitro.config.ts generates from server/routes (server/http/route-files.ts).
declare module '#oauth3/route-index' {
  import type { RouteIndexEntry } from '../http/route-index'
  const entries: RouteIndexEntry[]
  export default entries
}

// Nitro's runtime polyfills, imported first by a server entry (server/http/entry.ts).
declare module '#nitro-internal-pollyfills' {}
