// What the benchmarks share: starting a server as a child process, a lean keep-alive JSON
// client (node:http, so the figures are the servers' and not the client's), percentiles.
import { spawn } from 'node:child_process'
import http from 'node:http'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('..', import.meta.url))

export function start(command, args, env = {}) {
  const child = spawn(command, args, {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const match = /Listening on http:\/\/[^\s]*:(\d+)/.exec(out)
      if (match && (!env.NITRO_DATA_DIR || out.includes('[oauth3] store:')))
        resolve({ child, url: `http://127.0.0.1:${match[1]}` })
    })
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${out}`)))
  })
}

export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
export function json(url, body, token) {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: payload === undefined ? 'GET' : 'POST',
        agent,
        headers: {
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => (text += chunk))
        response.on('end', () => {
          let data
          try {
            data = JSON.parse(text)
          } catch {
            data = { code: 'NOT_JSON' }
          }
          if (response.statusCode < 400) return resolve(data)
          // The status and the error code, for figures by code.
          reject(
            Object.assign(new Error(`${response.statusCode} ${text}`), {
              status: response.statusCode,
              body: data,
            }),
          )
        })
      },
    )
    request.on('error', reject)
    request.end(payload)
  })
}

export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]
  return { p50: at(0.5), p99: at(0.99), n: sorted.length }
}
