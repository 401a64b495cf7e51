// tiktok-watch-history: pages through the owner's TikTok watch history with their uploaded
// cookies. The cookies stay in the server; the agent gets the list of videos.
const pages = args.pages ?? 1
const videos = []
let cursor = null
let more = true
for (let page = 0; page < pages && more; page++) {
  const result = await watchHistory(args.count ?? 20, cursor)
  videos.push(...result.videos)
  more = result.has_more
  cursor = result.next_cursor
}
console.log(`${videos.length} videos`)
return { videos, has_more: more, next_cursor: cursor }
