/**
 * Query parameters are strings or absent: repeated or bracketed keys (`token[$ne]=`) are never
 * coerced into something else (IN-02).
 */
import { getQuery, type H3Event } from 'h3'
import { fail } from '../../core/errors'
import { LIMITS } from '../../core/limits'
import type { PageQuery } from '../../core/pagination'

export function readQueryString(event: H3Event, name: string, maxLength = 200): string | undefined {
  const value = getQuery(event)[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length > maxLength)
    fail('INVALID_QUERY', { details: { parameter: name } })
  return value
}

export function readQueryInteger(
  event: H3Event,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const text = readQueryString(event, name, 16)
  if (text === undefined || text === '') return undefined
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    fail('INVALID_QUERY', { details: { parameter: name, min, max } })
  return Number(text)
}

export function readQueryFlag(event: H3Event, name: string): boolean {
  const text = readQueryString(event, name, 8)
  if (text === undefined) return false
  if (['true', '1', ''].includes(text)) return true
  if (['false', '0'].includes(text)) return false
  return fail('INVALID_QUERY', { details: { parameter: name } })
}

/** `?cursor=` and `?limit=` of a list (core/pagination.ts). */
export function readPageQuery(event: H3Event): PageQuery {
  const cursor = readQueryString(event, 'cursor', 64)
  const limit = readQueryInteger(event, 'limit', 1, LIMITS.PAGE_SIZE_MAX)
  return { ...(cursor ? { cursor } : {}), ...(limit ? { limit } : {}) }
}
