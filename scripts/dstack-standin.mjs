// A local stand-in for the dstack guest agent, speaking its HTTP protocol (POST /Info, /GetKey,
// /GetQuote, /EmitEvent with JSON bodies) over a Unix socket or TCP, the two ways DstackClient
// reaches it. It serves the real TDX quote and event log of test/fixtures/tdx and derives app keys
// from a fixed seed: a quote it answers never binds the caller's report_data, so a server talking
// to it must say `simulated`, never `tdx`.
//
//   node scripts/dstack-standin.mjs --socket /tmp/dstack.sock   (then NITRO_DSTACK_ENDPOINT=that path)
//   node scripts/dstack-standin.mjs --port 8090                 (then DSTACK_SIMULATOR_ENDPOINT=http://127.0.0.1:8090)
import { createHmac } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { fileURLToPath, pathToFileURL } from 'node:url'

const FIXTURE = fileURLToPath(new URL('../test/fixtures/tdx/getquote-lite.json', import.meta.url))
const DEFAULT_SEED = 'dstack-standin-app-key'

/** The key the stand-in derives for a path and purpose (a 32-byte secp256k1-sized secret). */
export function standinKey(path, purpose, seed = DEFAULT_SEED) {
  return createHmac('sha256', seed).update(`${path}\n${purpose}`).digest()
}

function flipByte(hex, offset) {
  const bytes = Buffer.from(hex, 'hex')
  bytes[offset] ^= 1
  return bytes.toString('hex')
}

function runtimeEvent(events, name) {
  return events.filter((event) => event.imr === 3 && event.event === name).at(-1)?.event_payload
}

/**
 * Start the stand-in on `socketPath` or on 127.0.0.1:`port` (0 for any). Resolves with its
 * endpoint, the calls it received and the events emitted to it.
 * `tamper` flips one byte of the quote's signed body, as an attacker in between would.
 * @param {{ socketPath?: string, port?: number, seed?: string, tamper?: boolean }} [options]
 */
export async function startDstackStandin({
  socketPath,
  port = 0,
  seed = DEFAULT_SEED,
  tamper = false,
} = {}) {
  const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8'))
  const events = JSON.parse(fixture.event_log)
  const calls = []
  const emitted = []
  const info = {
    app_id: runtimeEvent(events, 'app-id'),
    instance_id: runtimeEvent(events, 'instance-id'),
    app_cert: '',
    tcb_info: JSON.stringify({ event_log: events }),
    app_name: 'oauth3',
    device_id: '',
    key_provider_info: '',
    compose_hash: runtimeEvent(events, 'compose-hash'),
    vm_config: fixture.vm_config ?? '',
  }
  const routes = {
    '/Info': () => info,
    '/GetKey': ({ path = '', purpose = '' }) => ({
      key: standinKey(path, purpose, seed).toString('hex'),
      signature_chain: [],
    }),
    '/GetQuote': ({ report_data = '' }) => {
      if (!/^([0-9a-fA-F]{2}){0,64}$/.test(report_data)) return { error: 'invalid report_data' }
      return {
        quote: tamper ? flipByte(fixture.quote, 48 + 300) : fixture.quote,
        event_log: fixture.event_log,
        report_data: report_data.padEnd(128, '0'),
        vm_config: fixture.vm_config ?? '',
      }
    },
    '/EmitEvent': ({ event, payload }) => {
      emitted.push({ event, payload })
      return {}
    },
  }
  const server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      const route = routes[request.url ?? '']
      let answer
      let status = 200
      try {
        const input = body ? JSON.parse(body) : {}
        calls.push({ path: request.url, body: input })
        if (request.method !== 'POST' || !route) {
          status = 404
          answer = { error: 'not found' }
        } else answer = route(input)
      } catch {
        status = 400
        answer = { error: 'invalid JSON' }
      }
      const text = JSON.stringify(answer)
      response.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      })
      response.end(text)
    })
  })
  if (socketPath) rmSync(socketPath, { force: true })
  await new Promise((resolve) =>
    socketPath ? server.listen(socketPath, resolve) : server.listen(port, '127.0.0.1', resolve),
  )
  const endpoint = socketPath ?? `http://127.0.0.1:${server.address().port}`
  return {
    endpoint,
    calls,
    emitted,
    info,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2)
  const flag = (name) => {
    const index = args.indexOf(name)
    return index >= 0 ? args[index + 1] : undefined
  }
  const standin = await startDstackStandin({
    socketPath: flag('--socket'),
    port: Number(flag('--port') ?? 8090),
  })
  console.log(`dstack guest-agent stand-in on ${standin.endpoint}`)
}
