/**
 * The page shell every HTML answer shares, and its headers: a strict Content-Security-Policy
 * (scripts and styles from this origin only, no inline script, no framing, requests to this origin
 * only), no Referer, nothing cached. A page names the one script it loads (built from web/ at
 * build time, served by GET /assets/{file}); data for the script travels in `data-` attributes.
 */
import { setResponseHeaders, setResponseStatus, type H3Event } from 'h3'
import { isOAuth3Error, ERROR_CATALOG } from '../../core/errors'
import type { App } from '../app'
import { html, type Html } from '../web/html'
import { getPublicOrigin } from './origin'
import { readWebSession, type WebSession } from './sessions'

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ')

export interface PageContent {
  title: string
  main: Html
  /** The page script (web/pages/<name>.ts), if any. */
  script?: 'approval' | 'signin' | 'dashboard' | 'home' | 'connect'
  status?: number
}

export interface PageContext {
  event: H3Event
  app: App
  session: WebSession | null
  /** This server's public origin (http/origin.ts): the pages name it, never read it from headers. */
  origin: string
}

const TEE_LABEL = {
  tdx: 'Attested: Intel TDX',
  simulated: 'Simulated TEE: not attested',
  none: 'Not in a TEE: not attested',
} as const

export function renderDocument(context: PageContext, page: PageContent): string {
  const { app, session } = context
  const tee = app.environment.tee
  return `<!doctype html>\n${html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <meta name="referrer" content="no-referrer" />
      <title>${page.title} · OAuth3</title>
      <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
      <link rel="stylesheet" href="/assets/styles.css" />
      ${session ? html`<meta name="csrf-token" content="${session.csrf}" />` : ''}
      ${page.script ? html`<script type="module" src="/assets/${page.script}.js"></script>` : ''}
    </head>
    <body>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="/">OAuth3</a>
        <nav aria-label="Main">
          <a href="/dashboard">Dashboard</a>
          ${session ? html`<span class="muted">Signed in as ${session.owner.name}</span>` : html`<a href="${signinHref(context.event)}">Sign in</a>`}
        </nav>
        <a class="tee tee-${tee}" href="/#trust">${TEE_LABEL[tee]}</a>
      </header>
      <main id="main">${page.main}</main>
      <footer>
        OAuth3 — attested execution for AI agents. <a href="/attestation">Attestation</a> ·
        <a href="/openapi.json">API</a>
      </footer>
    </body>
  </html>`}\n`
}

/**
 * The header's sign-in link returns to the page it was followed from — its path only: a link's
 * token (an approval link's ?token=) never travels in another URL.
 */
function signinHref(event: H3Event): string {
  const path = new URL(event.path, 'http://page').pathname
  return path === '/signin' || path === '/' ? '/signin' : `/signin?next=${encodeURIComponent(path)}`
}

/** Answer a page (the caller returns this string): security headers, status, the document. */
export async function sendPage(
  event: H3Event,
  app: App,
  render: (context: PageContext) => Promise<PageContent>,
): Promise<string> {
  setResponseHeaders(event, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': PAGE_CSP,
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
  })
  const context: PageContext = {
    event,
    app,
    session: await readWebSession(event, app),
    origin: getPublicOrigin(event, app),
  }
  let page: PageContent
  try {
    page = await render(context)
  } catch (error) {
    if (!isOAuth3Error(error)) throw error
    page = errorPage(error.code, error.message)
  }
  if (page.status) setResponseStatus(event, page.status)
  return renderDocument(context, page)
}

/** A failure as a page: what happened in plain words, and no form. */
export function errorPage(code: string, message: string): PageContent {
  const entry = ERROR_CATALOG[code as keyof typeof ERROR_CATALOG]
  const status = entry && 'status' in entry ? entry.status : 500
  return {
    title: 'Not available',
    status,
    main: html`<h1>${PAGE_TITLES[code] ?? 'This page is not available'}</h1>
      <div class="card notice error" role="alert">
        <p>${message}</p>
        ${NEXT_STEPS[code] ? html`<p>${NEXT_STEPS[code]}</p>` : ''}
        <p class="muted">Code: <code>${code}</code></p>
      </div>
      <p><a href="/dashboard">Open your dashboard</a> · <a href="/">Home</a></p>`,
  }
}

/** What to do next, where the code says more than the message. */
const NEXT_STEPS: Record<string, string> = {
  APPROVAL_EXPIRED:
    'Nothing was decided. If the agent still needs it, it asks again: new requests wait on your dashboard.',
  INVALID_APPROVAL_TOKEN:
    'Open the link the agent gave you again, whole; requests of your own agents wait on your dashboard.',
}

const PAGE_TITLES: Record<string, string> = {
  INVALID_APPROVAL_TOKEN: 'This approval link is not valid',
  APPROVAL_EXPIRED: 'This approval link has expired',
  NOT_FOUND: 'Nothing here',
  RATE_LIMITED: 'Too many attempts',
  UNAUTHORIZED: 'This link is incomplete',
}
