/**
 * The tiktok-history capability: watchHistory(count, max_cursor) reads one page of the owner's
 * watch history with their uploaded cookies and answers `{ videos, has_more, next_cursor }`,
 * whatever extra fields TikTok's `{ aweme_list, has_more, max_cursor }` answer carries.
 */
import { CapabilityCallError } from './errors'

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

export function assertWatchHistoryArgs(args: unknown[]) {
  const [count, cursor] = args
  if (
    count !== undefined &&
    count !== null &&
    (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 20)
  ) {
    throw new CapabilityCallError('argument count must be an integer from 1 to 20')
  }
  if (
    cursor !== undefined &&
    cursor !== null &&
    typeof cursor !== 'string' &&
    !Number.isSafeInteger(cursor)
  ) {
    throw new CapabilityCallError(
      'argument max_cursor must be the next_cursor of the previous page',
    )
  }
  if (typeof cursor === 'number') args[1] = String(cursor)
}

export function toWatchHistory(answer: unknown): {
  videos: WatchedVideo[]
  has_more: boolean
  next_cursor: string | null
} {
  const page = (answer && typeof answer === 'object' ? answer : {}) as Record<string, unknown>
  if (typeof page.status_code === 'number' && page.status_code !== 0) {
    throw new CapabilityCallError(
      `tiktok_error: TikTok answered status_code ${page.status_code}; the session cookies may have expired`,
    )
  }
  const list = Array.isArray(page.aweme_list) ? page.aweme_list : []
  const videos = list.slice(0, 20).map((item) => {
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
