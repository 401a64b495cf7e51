/**
 * Local stand-ins for the services the bundled skills call, each answering in the shape of the
 * real one: httpbin's /anything echo, GitHub's issue and user API, OpenAI's and Anthropic's model
 * lists, TikTok's watch-history page. `upstreamMap` points the real origins at them.
 */
import { fakeGithub, sendJson, startUpstream, type Upstream } from './upstream'

export interface FakeWorld {
  upstreamMap: Record<string, string>
  servers: Record<string, Upstream>
  close(): Promise<void>
}

export const FAKE_KEYS = {
  GH_TOKEN: 'ghp_fakeworld_valid_token_000',
  OPENAI_API_KEY: 'sk-fakeworld-openai-valid-000',
  ANTHROPIC_API_KEY: 'sk-ant-fakeworld-valid-000',
}
export const FAKE_SESSION_ID = '4f1c2a9d8e7b6c5a4f3e2d1c0b9a8f7e'

export async function startFakeWorld(): Promise<FakeWorld> {
  const github = fakeGithub()
  const servers = {
    httpbin: await startUpstream((request, response) => {
      if (!request.url.startsWith('/anything')) return sendJson(response, 404, {})
      const url = new URL(request.url, 'http://httpbin.org')
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [
          name.replace(/(^|-)\w/g, (c) => c.toUpperCase()),
          value,
        ]),
      )
      let json = null
      try {
        json = JSON.parse(request.body)
      } catch {
        /* not JSON */
      }
      sendJson(response, 200, {
        args: Object.fromEntries(url.searchParams),
        data: request.body,
        files: {},
        form: {},
        headers,
        json,
        method: request.method,
        origin: '127.0.0.1',
        url: `https://httpbin.org${request.url}`,
      })
    }),
    github: await startUpstream((request, response) => {
      if (request.url === '/user') {
        return request.headers.authorization === `token ${FAKE_KEYS.GH_TOKEN}`
          ? sendJson(response, 200, { login: 'octocat', id: 1 })
          : sendJson(response, 401, { message: 'Bad credentials' })
      }
      return github(request, response)
    }),
    openai: await startUpstream((request, response) =>
      request.headers.authorization === `Bearer ${FAKE_KEYS.OPENAI_API_KEY}`
        ? sendJson(response, 200, { object: 'list', data: [{ id: 'gpt-4o', object: 'model' }] })
        : sendJson(response, 401, {
            error: { message: 'Incorrect API key provided', type: 'invalid_request_error' },
          }),
    ),
    anthropic: await startUpstream((request, response) =>
      request.headers['x-api-key'] === FAKE_KEYS.ANTHROPIC_API_KEY &&
      request.headers['anthropic-version']
        ? sendJson(response, 200, {
            data: [{ id: 'claude-sonnet-4', type: 'model' }],
            has_more: false,
          })
        : sendJson(response, 401, {
            type: 'error',
            error: { type: 'authentication_error', message: 'invalid x-api-key' },
          }),
    ),
    tiktok: await startUpstream((request, response) => {
      const url = new URL(request.url, 'https://www.tiktok.com')
      if (url.pathname !== '/api/user/watch/history/') return sendJson(response, 404, {})
      if (!String(request.headers.cookie ?? '').includes(`sessionid=${FAKE_SESSION_ID}`))
        return sendJson(response, 200, { status_code: 8, status_msg: 'login required' })
      const cursor = Number(url.searchParams.get('max_cursor') ?? 0)
      const count = Number(url.searchParams.get('count') ?? 10)
      const total = 25
      const aweme_list = Array.from(
        { length: Math.max(0, Math.min(count, total - cursor)) },
        (_, i) => ({
          aweme_id: String(7300000000000000000n + BigInt(cursor + i)),
          desc: `video ${cursor + i}`,
          create_time: 1700000000 + cursor + i,
          author: { unique_id: `creator${(cursor + i) % 3}`, nickname: 'Creator' },
          video: { duration: 15 + i },
          statistics: { play_count: 100 },
        }),
      )
      const next = cursor + aweme_list.length
      sendJson(response, 200, {
        status_code: 0,
        aweme_list,
        has_more: next < total ? 1 : 0,
        max_cursor: next,
        min_cursor: cursor,
      })
    }),
  }
  return {
    servers,
    upstreamMap: {
      'https://httpbin.org': servers.httpbin.origin,
      'https://api.github.com': servers.github.origin,
      'https://api.openai.com': servers.openai.origin,
      'https://api.anthropic.com': servers.anthropic.origin,
      'https://www.tiktok.com': servers.tiktok.origin,
    },
    async close() {
      await Promise.all(Object.values(servers).map((server) => server.close()))
    },
  }
}
