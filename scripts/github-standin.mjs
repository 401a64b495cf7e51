// node scripts/github-standin.mjs [port]: a local stand-in for api.github.com's "create an issue"
// (POST /repos/:owner/:repo/issues), for trying the Quick Start without GitHub. Point the server at
// it with NITRO_UPSTREAM_MAP='{"https://api.github.com":"http://127.0.0.1:<port>"}'.
import { createServer } from 'node:http'

const port = Number(process.argv[2] ?? 8081)
let issues = 0

const server = createServer((request, response) => {
  let body = ''
  request.setEncoding('utf8')
  request.on('data', (chunk) => (body += chunk))
  request.on('end', () => {
    const match = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(request.url ?? '')
    const answer = (status, json) => {
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(JSON.stringify(json))
    }
    if (request.method !== 'POST' || !match) return answer(404, { message: 'Not Found' })
    if (!/^token \S+/.test(request.headers.authorization ?? '')) {
      return answer(401, { message: 'Requires authentication' })
    }
    let fields = {}
    try {
      fields = JSON.parse(body || '{}')
    } catch {
      return answer(400, { message: 'Problems parsing JSON' })
    }
    const number = ++issues
    answer(201, {
      number,
      title: fields.title,
      body: fields.body,
      state: 'open',
      html_url: `https://github.com/${match[1]}/${match[2]}/issues/${number}`,
    })
  })
})

server.listen(port, '127.0.0.1', () => {
  console.log(`GitHub stand-in listening on http://127.0.0.1:${server.address().port}`)
})
