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
// With FLOOR_ONE_JOB_A_GUEST set it keeps rule 4a of docs/security.md and nothing more: two guests,
// each given one job at a time and the next only once it has proved itself idle (a message sent
// from a macrotask after the job's result); jobs wait in the host meanwhile. What that rule
// costs is this floor against the one above.
import { fork } from 'node:child_process'
import http, { createServer } from 'node:http'

const oneJob = Boolean(process.env.FLOOR_ONE_JOB_A_GUEST)

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
    if (oneJob) setImmediate(() => process.send({ idle: true }))
  })
  process.send({ ready: true })
} else {
  const guests = await Promise.all(
    Array.from({ length: oneJob ? 2 : 1 }, async () => {
      const guest = fork(new URL(import.meta.url).pathname, ['guest'], { serialization: 'json' })
      await new Promise((resolve) => guest.once('message', resolve))
      return guest
    }),
  )
  // Rule 4a: a job goes to a guest that has proved itself idle, else waits for one.
  const idleGuests = [...guests]
  const queued = []
  const dispatch = (job) => {
    if (!oneJob) return guests[0].send(job)
    const guest = idleGuests.pop()
    if (guest) guest.send(job)
    else queued.push(job)
  }
  const becameIdle = (guest) => {
    const job = queued.shift()
    if (job) guest.send(job)
    else idleGuests.push(guest)
  }
  const results = new Map()
  const waiters = new Map()
  let next = 0
  const upstream = new http.Agent({ keepAlive: true })
  const callUpstream = (guest, call) =>
    http.get(`${process.env.UPSTREAM_URL}/ping`, { agent: upstream }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => (text += chunk))
      response.on('end', () => guest.send({ call, value: JSON.parse(text) }))
    })
  for (const guest of guests) {
    guest.on('message', (result) => {
      if (result.idle) return becameIdle(guest)
      if (result.call) return callUpstream(guest, result.call)
      results.set(result.id, { status: result.ok ? 'completed' : 'failed', ...result })
      for (const wake of waiters.get(result.id) ?? []) wake()
      waiters.delete(result.id)
    })
  }
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
      dispatch({ id, code, args })
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
    for (const guest of guests) guest.kill('SIGKILL')
    process.exit(0)
  })
}
