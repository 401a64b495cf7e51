/**
 * Cursor pagination for list endpoints: `?cursor=<id of the last item seen>&limit=`, the limit
 * clamped to [1, PAGE_SIZE_MAX]. Items are paged in the order given (newest first).
 */
import type { H3Event } from 'h3'
import { LIMITS, clamp } from '../../core/limits'
import { readQueryInteger, readQueryString } from './query'

export interface PageQuery {
  cursor?: string
  limit?: number
}

export function readPageQuery(event: H3Event): PageQuery {
  const cursor = readQueryString(event, 'cursor', 64)
  const limit = readQueryInteger(event, 'limit', 1, LIMITS.PAGE_SIZE_MAX)
  return { ...(cursor ? { cursor } : {}), ...(limit ? { limit } : {}) }
}

export function paginate<T>(
  items: T[],
  idOf: (item: T) => string,
  query: PageQuery,
): { page: T[]; next_cursor: string | null } {
  const start = query.cursor ? items.findIndex((item) => idOf(item) === query.cursor) + 1 : 0
  const limit = clamp(query.limit ?? LIMITS.PAGE_SIZE_DEFAULT, 1, LIMITS.PAGE_SIZE_MAX)
  const page = items.slice(start, start + limit)
  return { page, next_cursor: start + limit < items.length ? idOf(page.at(-1)!) : null }
}
