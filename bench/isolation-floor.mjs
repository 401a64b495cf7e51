/* global lockdown, Compartment, harden -- installed by the ses package */
// The isolation floor: the least a server can do and still isolate properly — node:http, one
// pre-forked SES guest process, a fresh Compartment per execution, JSON over the IPC channel,
// state in memory. What OAuth3 adds on top (auth, permits, a durable store, receipts, limits,
// several guests) is measured against it. With UPSTREAM_URL set the compartment also has
// `ping()`: a call to the host over the same IPC, which GETs UPSTREAM_URL/ping (keep-alive) and
// answers its JSON — the least a capability call can cost with the request made outside the guest.
//   POST /execute { code, args }            → 202 { id, status_url }
//   POST /execute  with Prefer: wait=N      → 200 { id, status, value, stdout } (inline)
//   GET  /status/:id?wait=true              → the result once there (long-poll)
import { fork } from 'node:child_process'
import http, { createServer } from 'node:http'

if (process.argv[2] === 'guest') {
  await import('ses')
  lockdown({ errorTaming: 'unsafe', consoleTaming: 'unsafe' })
  const pending = new Map()
  let calls = 0
  const ping = harden(
    () =>
      new Promise((resolve) => {
        const call = ++calls
        pending.set(call, resolve)
        process.send({ call })
      }),
  )
  process.on('message', async (message) => {
    if (message.call) {
      pending.get(message.call)(message.value)
      pending.delete(message.call)
      return
    }
    const { id, code, args } = message
    const lines = []
    const compartment = new Compartment({
      globals: { console: harden({ log: (...parts) => lines.push(parts.join(' ')) }), args, ping },
      __options__: true,
    })
    try {
      const value = await compartment.evaluate(`(async () => {\n${code}\n})()`)
      process.send({ id, ok: true, value, stdout: lines.join('\n') })
    } catch (error) {
      process.send({ id, ok: false, error: String(error), stdout: lines.join('\n') })
    }
  })
  process.send({ ready: true })
} else {
  const guest = fork(new URL(import.meta.url).pathname, ['guest'], { serialization: 'json' })
  await new Promise((resolve) => guest.once('message', resolve))
  const results = new Map()
  const waiters = new Map()
  let next = 0
  const upstream = new http.Agent({ keepAlive: true })
  const callUpstream = (call) =>
    http.get(`${process.env.UPSTREAM_URL}/ping`, { agent: upstream }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => (text += chunk))
      response.on('end', () => guest.send({ call, value: JSON.parse(text) }))
    })
  guest.on('message', (result) => {
    if (result.call) return callUpstream(result.call)
    results.set(result.id, { status: result.ok ? 'completed' : 'failed', ...result })
    for (const wake of waiters.get(result.id) ?? []) wake()
    waiters.delete(result.id)
  })
  const whenDone = (id) =>
    results.has(id)
      ? Promise.resolve()
      : new Promise((resolve) => waiters.set(id, [...(waiters.get(id) ?? []), resolve]))
  const send = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const server = createServer(async (req, res) => {
    if (req.method === 'POST') {
      const chunks = []
      for await (const chunk of req) chunks.push(chunk)
      const { code, args } = JSON.parse(Buffer.concat(chunks).toString())
      const id = `x${next++}`
      guest.send({ id, code, args })
      if (!req.headers.prefer) return send(res, 202, { id, status_url: `/status/${id}` })
      await whenDone(id)
      return send(res, 200, results.get(id))
    }
    const id = req.url.split('/')[2].split('?')[0]
    await whenDone(id)
    send(res, 200, results.get(id))
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1', () =>
    console.log(`Listening on http://127.0.0.1:${server.address().port}`),
  )
  process.on('SIGTERM', () => {
    guest.kill('SIGKILL')
    process.exit(0)
  })
}
