// The popup: connect this browser to an OAuth3 server for some sites (asking the browser for
// those sites' host permissions, in the click that asks), then one row per site — its freshness,
// its last sync, Sync now, Remove — and what happened when something did not work.
import { baseOf, originsOf, readState, serverOrigin, STALE_AFTER_MS } from './common.js'

const view = document.getElementById('view')

function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value)
  for (const child of children) if (child !== null && child !== undefined) element.append(child)
  return element
}

function send(message) {
  return chrome.runtime.sendMessage(message).then((answer) => {
    if (!answer?.ok) throw new Error(answer?.error ?? 'no answer')
    return answer.result
  })
}

function ago(at) {
  const minutes = Math.round((Date.now() - at) / 60000)
  if (minutes < 1) return 'just now'
  if (minutes < 60) return `${minutes} min ago`
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

async function render() {
  const state = await readState()
  if (state.state === 'connected') return renderJars(state)
  if (state.state === 'connecting') return renderConnecting(state)
  return renderConnect(state)
}

function renderConnect(state) {
  const form = el('form', { id: 'connect' })
  const server = el('input', {
    id: 'server',
    type: 'url',
    required: '',
    value: state.server ?? 'http://localhost:3000',
  })
  const sites = el('textarea', { id: 'sites', rows: '3', placeholder: 'www.tiktok.com' })
  sites.value = Object.keys(state.jars ?? {}).join('\n')
  const label = el('input', { id: 'label', value: browserName(), maxlength: '64' })
  const status = el('p', { id: 'status', role: 'status' })
  form.append(
    ...(state.state === 'revoked'
      ? [
          el(
            'p',
            { class: 'notice', id: 'revoked' },
            'This browser was disconnected on the server: its syncs stopped. Connect again to resume.',
          ),
        ]
      : []),
    ...(state.notice ? [el('p', { class: 'notice' }, state.notice)] : []),
    el('label', { for: 'server' }, 'Your OAuth3 server'),
    server,
    el('label', { for: 'sites' }, 'Sites to keep in your vault (one per line)'),
    sites,
    el('label', { for: 'label' }, 'This browser is called'),
    label,
    el('button', { type: 'submit', class: 'primary' }, 'Connect'),
    el(
      'p',
      { class: 'muted' },
      'The server opens a page where you sign in with your passkey and grant this browser an upload-only credential for these sites.',
    ),
    status,
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      const origin = serverOrigin(server.value)
      const bases = [
        ...new Set(
          sites.value
            .split(/[\s,]+/)
            .filter(Boolean)
            .map(baseOf),
        ),
      ]
      if (bases.length === 0) throw new Error('name at least one site')
      // Asked here, in the click: the browser asks the person, once, for exactly these.
      const granted = await chrome.permissions.request({
        origins: [`${origin}/*`, ...bases.flatMap(originsOf)],
      })
      if (!granted) throw new Error('the browser did not grant access to those sites')
      status.textContent = 'Opening the server…'
      await send({
        type: 'connect',
        server: origin,
        sites: bases,
        label: label.value.trim() || browserName(),
      })
      await render()
    } catch (error) {
      status.textContent = error.message
    }
  })
  view.replaceChildren(form)
}

function renderConnecting(state) {
  const cancel = el('button', { type: 'button', id: 'cancel' }, 'Cancel')
  cancel.addEventListener('click', async () => {
    await chrome.storage.local.set({
      state: state.credential ? 'connected' : 'disconnected',
      pairing: null,
    })
    await render()
  })
  const open = el(
    'a',
    { href: state.pairing.connect_url, target: '_blank', id: 'open-page' },
    'Open the page again',
  )
  view.replaceChildren(
    el('p', {}, 'Grant this browser on the server’s page. It shows this same code:'),
    el('p', { class: 'code', id: 'code' }, state.pairing.code),
    el('p', { class: 'muted' }, 'Waiting for your decision… ', open),
    cancel,
  )
}

function renderJars(state) {
  const rows = Object.entries(state.jars).map(([site, jar]) => {
    const fresh =
      jar.status === 'ok' && jar.last_sync && Date.now() - jar.last_sync < STALE_AFTER_MS
    const tone = fresh
      ? 'fresh'
      : jar.status === 'ok' || jar.status === 'pending' || jar.status === 'empty'
        ? 'stale'
        : 'bad'
    const word = { fresh: 'fresh', stale: 'not fresh', bad: 'not syncing' }[tone]
    const syncNow = el('button', { type: 'button', 'aria-label': `Sync ${site} now` }, 'Sync now')
    syncNow.addEventListener('click', async () => {
      await send({ type: 'sync', site })
      await render()
    })
    const remove = el('button', { type: 'button', 'aria-label': `Remove ${site}` }, 'Remove')
    remove.addEventListener('click', async () => {
      await send({ type: 'remove', site })
      await render()
    })
    return el(
      'li',
      { 'data-site': site, 'data-status': jar.status },
      el('span', { class: `dot ${tone}`, role: 'img', 'aria-label': word }),
      el(
        'span',
        {},
        el('strong', {}, site),
        el('br'),
        el(
          'span',
          { class: 'muted jar-state' },
          jar.last_sync
            ? `synced ${ago(jar.last_sync)}${jar.count ? ` · ${jar.count} cookies` : ''}`
            : 'not synced yet',
          jar.error ? ` · ${jar.error}` : '',
        ),
      ),
      el('span', { class: 'jar-actions' }, syncNow, remove),
    )
  })
  const disconnect = el('button', { type: 'button', id: 'disconnect' }, 'Disconnect this browser')
  disconnect.addEventListener('click', async () => {
    await send({ type: 'disconnect' })
    await render()
  })
  view.replaceChildren(
    el(
      'p',
      {},
      'Connected to ',
      el('strong', {}, state.server),
      ` as ${state.credential.owner_name}.`,
    ),
    el('ul', { class: 'jars', id: 'jars' }, ...rows),
    el(
      'p',
      { class: 'muted' },
      'Synced when their cookies change, and every 30 minutes. To add a site, disconnect and connect again with it.',
    ),
    disconnect,
  )
}

function browserName() {
  const brand = navigator.userAgentData?.brands?.find(
    (entry) => !/Not.?A.?Brand/i.test(entry.brand),
  )?.brand
  const platform = navigator.userAgentData?.platform || navigator.platform || 'this computer'
  return `${brand ?? 'Browser'} on ${platform}`
}

chrome.storage.onChanged.addListener(() => void render())
void render()
