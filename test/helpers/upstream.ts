/**
 * Local upstream servers the tests start: a real node:http server on 127.0.0.1 with a handler,
 * recording every request it receives (method, path, headers, body).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SeenRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export type UpstreamHandler = (request: SeenRequest, response: ServerResponse) => unknown

export interface Upstream {
  origin: string
  seen: SeenRequest[]
  close(): Promise<void>
}

export async function startUpstream(handler: UpstreamHandler): Promise<Upstream> {
  const seen: SeenRequest[] = []
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const request = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    }
    seen.push(request)
    try {
      await handler(request, res)
    } catch {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers })
  response.end(JSON.stringify(body))
}

/** A fake of GitHub's "create an issue" endpoint: POST /repos/:owner/:repo/issues → 201. */
export function fakeGithub(): UpstreamHandler {
  let number = 0
  return (request, response) => {
    const match = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(request.url)
    if (request.method !== 'POST' || !match)
      return sendJson(response, 404, { message: 'Not Found' })
    if (!/^token .+/.test(String(request.headers.authorization ?? '')))
      return sendJson(response, 401, { message: 'Requires authentication' })
    const body = JSON.parse(request.body || '{}')
    number++
    sendJson(response, 201, {
      id: 1000 + number,
      number,
      title: body.title,
      body: body.body,
      state: 'open',
      html_url: `https://github.com/${match[1]}/${match[2]}/issues/${number}`,
    })
  }
}

/**
 * A gate an upstream handler waits at until the test lets one request through. `release` before
 * the request has arrived lets the next one pass at once: the order of the two does not matter.
 */
export function createGate() {
  let released = 0
  const waiting: Array<() => void> = []
  return {
    pass(): Promise<void> {
      if (released > 0) {
        released--
        return Promise.resolve()
      }
      return new Promise((resolve) => waiting.push(resolve))
    },
    release(): void {
      const next = waiting.shift()
      if (next) next()
      else released++
    },
  }
}
