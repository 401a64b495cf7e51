// Baseline servers for bench/run.mjs, each a child process serving POST / { code, args } → { value, stdout }.
//   node bench/baselines.mjs floor    — evaluates the code in-process with new Function (the floor)
//   node bench/baselines.mjs process  — runs every execution in a fresh `node` process (process-per-run)
//   node bench/baselines.mjs upstream — answers every request {"ok":true}: the capability calls'
//     upstream, a process of its own as a real one is (an upstream inside the bench's own process
//     would answer the direct request without any process switch, and flatter the baseline)
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'

const mode = process.argv[2]
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor

async function runInProcess({ code, args }) {
  const lines = []
  const console = { log: (...parts) => lines.push(parts.join(' ')) }
  const value = await new AsyncFunction('args', 'console', code)(args, console)
  return { value, stdout: lines.join('\n') }
}

function runInFreshProcess({ code, args }) {
  const program = `const args = ${JSON.stringify(args)}; (async () => { ${code} })().then((value) => process.stdout.write('\\0' + JSON.stringify(value ?? null)))`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', program], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {},
    })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.on('error', reject)
    child.on('exit', () => {
      const [stdout, value] = out.split('\0')
      resolve({ value: JSON.parse(value ?? 'null'), stdout })
    })
  })
}

function answerOk(req, res) {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"ok":true}')
  })
}

const run = mode === 'floor' ? runInProcess : runInFreshProcess
const server = createServer(async (req, res) => {
  if (mode === 'upstream') return answerOk(req, res)
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  try {
    const result = await run(JSON.parse(Buffer.concat(chunks).toString()))
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(result))
  } catch (error) {
    res.writeHead(500, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: String(error) }))
  }
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () =>
  console.log(`Listening on http://127.0.0.1:${server.address().port}`),
)
