/**
 * Cursor pagination for lists: `cursor` is the id of the last item seen, `limit` is clamped to
 * [1, PAGE_SIZE_MAX]. Items are paged in the order given (newest first).
 */
import { LIMITS, clamp } from './limits'

export interface PageQuery {
  cursor?: string
  limit?: number
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
