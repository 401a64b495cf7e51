// check-api-key: which of a fixed list of endpoints the owner's stored keys can reach. Each key is
// used inside the server only; the report says ok / not ok per service, never the key.
const checks = [
  ['github', () => githubUser()],
  ['openai', () => openaiModels()],
  ['anthropic', () => anthropicModels('2023-06-01')],
]
const report = {}
for (const [service, call] of checks) {
  if (args.services && !args.services.includes(service)) continue
  try {
    await call()
    report[service] = { ok: true }
  } catch (error) {
    const reason = error.message.startsWith('HTTP ') ? error.message.slice(0, 8) : error.message.split(':')[0]
    report[service] = { ok: false, reason }
  }
}
console.log(Object.entries(report).map(([service, result]) => `${service}: ${result.ok ? 'ok' : result.reason}`).join('\n'))
return report
