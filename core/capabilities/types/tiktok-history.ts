/**
 * `tiktok-history`: watchHistory(count, max_cursor) reads one page of the owner's TikTok watch
 * history with their uploaded cookies (the session cookie is required) and answers
 * `{ videos, has_more, next_cursor }`, whatever extra fields TikTok's
 * `{ aweme_list, has_more, max_cursor }` answer carries.
 */
import tiktokHistorySchema from '../../../schemas/capability-tiktok-history.schema.json'
import { fail } from '../../errors'
import { defineAssert } from '../../schemas'
import { isCookieSecretFor } from '../../secret-names'
import { buildUpstreamRequest } from '../build-request'
import { attachCookieJar } from '../cookie-jar'
import { functionNameOf } from '../http-spec'
import type { TiktokHistoryCapability } from '../../../schemas/types'
import { defineCapabilityPlugin, type NormalizedParam } from '../plugin'

const ORIGIN = 'https://www.tiktok.com'
const HOST = 'www.tiktok.com'
const PAGE_MAX = 20

export interface WatchedVideo {
  id: string
  description: string
  author: string
  create_time?: number
  duration?: number
  url?: string
}

interface AwemeItem {
  aweme_id?: unknown
  id?: unknown
  desc?: unknown
  author?: { unique_id?: unknown; uniqueId?: unknown }
  create_time?: unknown
  video?: { duration?: unknown }
}

const PARAMS: Record<string, NormalizedParam> = {
  count: {
    in: 'query',
    type: 'integer',
    required: false,
    description: 'Videos per page, 1 to 20.',
    constraint: {
      type: 'predicate',
      op: '<=',
      value: PAGE_MAX,
      rationale: 'TikTok pages hold at most 20 videos',
    },
  },
  max_cursor: {
    in: 'query',
    type: 'string',
    required: false,
    description: 'Cursor from the previous page.',
  },
}

const assertSpec = defineAssert<TiktokHistoryCapability>(tiktokHistorySchema, 'INVALID_CAPABILITY')

export default defineCapabilityPlugin({
  type: 'tiktok-history',
  description:
    "The owner's TikTok watch history with uploaded cookies: watchHistory(count, max_cursor) → {videos, has_more, next_cursor}.",
  schema: tiktokHistorySchema,

  normalize(raw) {
    const spec = assertSpec(raw)
    if (!isCookieSecretFor(spec.cookie_secret, HOST)) {
      fail('SECRET_ORIGIN_MISMATCH', {
        details: {
          secret: spec.cookie_secret,
          reason: 'cookies of one domain are sent only to that domain',
        },
      })
    }
    const fn = functionNameOf(spec.name)
    return {
      type: 'tiktok-history',
      name: spec.name,
      function: fn,
      signature: `async function ${fn}(count, max_cursor)`,
      ...(spec.description ? { description: spec.description } : {}),
      ...(spec.doc_url ? { doc_url: spec.doc_url } : {}),
      endpoint: `${ORIGIN}/api/user/watch/history/`,
      method: 'GET',
      origin: ORIGIN,
      host: HOST,
      params: structuredClone(PARAMS),
      response: 'json',
      cookie_secret: spec.cookie_secret,
      secrets: [spec.cookie_secret],
    }
  },

  prepareRequest(capability, args, limits) {
    const [count, cursor] = args
    const isCount =
      Number.isInteger(count) && (count as number) >= 1 && (count as number) <= PAGE_MAX
    if (count !== undefined && count !== null && !isCount) {
      fail('invalid_argument', { detail: 'argument count must be an integer from 1 to 20' })
    }
    const isCursor = typeof cursor === 'string' || Number.isSafeInteger(cursor)
    if (cursor !== undefined && cursor !== null && !isCursor) {
      fail('invalid_argument', {
        detail: 'argument max_cursor must be the next_cursor of the previous page',
      })
    }
    const prepared = [...args]
    if (typeof cursor === 'number') prepared[1] = String(cursor)
    return buildUpstreamRequest(capability, prepared, limits.maxBodyBytes)
  },

  attachCredentials: (request, capability, credentials) =>
    attachCookieJar(request, capability, credentials, 'sessionid'),

  shapeAnswer: toWatchHistory,
})

function toWatchHistory(answer: unknown) {
  const page = (answer && typeof answer === 'object' ? answer : {}) as Record<string, unknown>
  if (typeof page.status_code === 'number' && page.status_code !== 0) {
    fail('tiktok_error', {
      detail: `TikTok answered status_code ${page.status_code}; the session cookies may have expired`,
    })
  }
  const list = Array.isArray(page.aweme_list) ? page.aweme_list : []
  const videos: WatchedVideo[] = list.slice(0, PAGE_MAX).map((item) => {
    const video = (item ?? {}) as AwemeItem
    const author = video.author?.unique_id ?? video.author?.uniqueId ?? ''
    const id = String(video.aweme_id ?? video.id ?? '')
    return {
      id,
      description: String(video.desc ?? ''),
      author: String(author),
      ...(typeof video.create_time === 'number' ? { create_time: video.create_time } : {}),
      ...(typeof video.video?.duration === 'number' ? { duration: video.video.duration } : {}),
      ...(author && id ? { url: `https://www.tiktok.com/@${author}/video/${id}` } : {}),
    }
  })
  const more = page.has_more === true || page.has_more === 1
  const cursor = page.max_cursor ?? page.cursor
  return {
    videos,
    has_more: more,
    next_cursor: more && cursor !== undefined && cursor !== null ? String(cursor) : null,
  }
}
