// The extension's background: connects to the owner's server (a pairing the owner grants on the
// server's page), then keeps each granted site's cookies in the vault — when they change (after a
// short quiet period) and every 30 minutes — with the upload-only credential. A site whose host
// permission is not (or no longer) granted is never read. A credential the server refuses (the
// owner disconnected this browser) stops every sync until the owner connects again.
import {
  baseOf,
  callServer,
  originsOf,
  readState,
  SYNC_PERIOD_MINUTES,
  writeState,
} from './common.js'

const DEBOUNCE_MS = 2000
const COLLECT_EVERY_MS = 2000
const pendingSyncs = new Map()

chrome.runtime.onInstalled.addListener(scheduleSyncs)
chrome.runtime.onStartup.addListener(scheduleSyncs)

function scheduleSyncs() {
  chrome.alarms.create('sync-all', { periodInMinutes: SYNC_PERIOD_MINUTES })
}

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === 'sync-all') void syncAll()
  if (alarm.name === 'collect') void collect()
})

chrome.cookies.onChanged.addListener(async ({ cookie }) => {
  const { state, jars } = await readState()
  if (state !== 'connected') return
  const domain = cookie.domain.replace(/^\./, '')
  const site = Object.keys(jars).find((base) => domain === base || domain.endsWith(`.${base}`))
  if (!site) return
  clearTimeout(pendingSyncs.get(site))
  pendingSyncs.set(
    site,
    setTimeout(() => {
      pendingSyncs.delete(site)
      void sync(site)
    }, DEBOUNCE_MS),
  )
})

chrome.runtime.onMessage.addListener((message, _sender, reply) => {
  const handlers = {
    connect,
    sync: ({ site }) => sync(site),
    remove,
    disconnect,
    'sync-all': syncAll,
  }
  const handler = handlers[message?.type]
  if (!handler) return false
  Promise.resolve(handler(message))
    .then((result) => reply({ ok: true, result }))
    .catch((error) => reply({ ok: false, error: error.message }))
  return true
})

/** Ask the server for a pairing and open its connect page; collecting then runs here. */
async function connect({ server, sites, label }) {
  const bases = [...new Set(sites.map(baseOf))]
  const pairing = await callServer(server, 'POST', '/extension/pairings', { sites: bases, label })
  const { jars } = await readState()
  const kept = Object.fromEntries(bases.map((base) => [base, jars[base] ?? { status: 'pending' }]))
  await writeState({ server, pairing, state: 'connecting', jars: kept })
  await chrome.tabs.create({ url: pairing.connect_url })
  chrome.alarms.create('collect', { periodInMinutes: 0.5 })
  void collectUntilDecided()
  return { code: pairing.code }
}

async function collectUntilDecided() {
  while ((await collect()) === 'pending')
    await new Promise((resolve) => setTimeout(resolve, COLLECT_EVERY_MS))
}

/** One try at collecting the credential: 'pending', 'connected', or 'gone'. */
async function collect() {
  const { server, pairing, state, credential: previous } = await readState()
  if (state !== 'connecting' || !pairing) return 'gone'
  let answer
  try {
    answer = await callServer(server, 'POST', `/extension/pairings/${pairing.pairing_id}/collect`, {
      pairing_token: pairing.pairing_token,
    })
  } catch (error) {
    if (error.status === 410 || error.status === 404) {
      chrome.alarms.clear('collect')
      await writeState({
        state: previous ? 'connected' : 'disconnected',
        pairing: null,
        notice: error.message,
      })
      return 'gone'
    }
    return 'pending'
  }
  if (answer.status === 'pending') return 'pending'
  chrome.alarms.clear('collect')
  const credential = {
    token: answer.token,
    credential_id: answer.credential_id,
    owner_name: answer.owner_name,
    sites: answer.sites,
  }
  await writeState({ credential, pairing: null, state: 'connected', notice: null })
  await syncAll()
  return 'connected'
}

export async function syncAll() {
  const { jars } = await readState()
  for (const site of Object.keys(jars)) await sync(site)
}

/** Upload one site's cookies; its jar records how it went. */
async function sync(site) {
  const { server, credential, state } = await readState()
  if (state !== 'connected' || !credential) return
  const granted = await chrome.permissions.contains({ origins: originsOf(site) })
  if (!granted)
    return setJar(site, { status: 'not-granted', error: 'this browser has not granted the site' })
  if (!credential.sites.includes(site))
    return setJar(site, {
      status: 'error',
      error: 'the server did not grant this site: connect again',
    })
  const cookies = await chrome.cookies.getAll({ domain: site })
  if (cookies.length === 0)
    return setJar(site, { status: 'empty', error: 'no cookies yet: sign in to the site' })
  try {
    const stored = await callServer(
      server,
      'POST',
      '/cookies/upload',
      {
        domain: site,
        cookies: cookies.map((cookie) => ({
          name: cookie.name,
          value: cookie.value,
          domain: cookie.domain,
          path: cookie.path,
          hostOnly: cookie.hostOnly,
          session: cookie.session,
          ...(cookie.expirationDate ? { expirationDate: Math.floor(cookie.expirationDate) } : {}),
        })),
        user_agent: navigator.userAgent,
      },
      credential.token,
    )
    await setJar(site, { status: 'ok', last_sync: Date.now(), count: stored.count, error: null })
  } catch (error) {
    if (error.status === 401) {
      // Disconnected on the dashboard: stop, and say so.
      await writeState({ state: 'revoked' })
      const { jars } = await readState()
      for (const base of Object.keys(jars))
        await setJar(base, { status: 'revoked', error: 'disconnected on the server' })
      return
    }
    await setJar(site, { status: 'error', error: error.message })
  }
}

async function setJar(site, patch) {
  const { jars } = await readState()
  if (!jars[site]) return
  await writeState({ jars: { ...jars, [site]: { ...jars[site], ...patch } } })
}

async function remove({ site }) {
  const { jars } = await readState()
  const { [site]: _removed, ...rest } = jars
  await writeState({ jars: rest })
  await chrome.permissions.remove({ origins: originsOf(site) }).catch(() => false)
}

async function disconnect() {
  chrome.alarms.clear('collect')
  await chrome.storage.local.clear()
}
