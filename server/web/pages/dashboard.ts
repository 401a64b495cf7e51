/**
 * GET /dashboard: everything done in an owner's name, and the controls — pending requests (kept up
 * to date), permits in force with their terms and use (Revoke), each permit's activity, secrets,
 * cookies, agents, passkeys. The page script fills each section from the API with the session.
 */
import { html } from '../html'
import type { PageContent, PageContext } from '../../http/page'

export async function dashboardPage({ session }: PageContext): Promise<PageContent> {
  if (!session) {
    return {
      title: 'Dashboard',
      main: html`<h1>Your dashboard</h1>
        <div class="card notice">
          <p>Sign in to see what agents do in your name, and to control it.</p>
          <p><a class="button" href="/signin?next=/dashboard">Sign in</a></p>
        </div>`,
    }
  }
  const section = (id: string, title: string, body = html`<p class="muted">Loading…</p>`) =>
    html`<section class="card" aria-labelledby="${id}-title">
      <h2 id="${id}-title">${title}</h2>
      <div id="${id}" aria-live="polite">${body}</div>
    </section>`
  return {
    title: 'Dashboard',
    script: 'dashboard',
    main: html`<h1>Your dashboard</h1>
      <p class="muted">
        Signed in as ${session.owner.name} (<code>${session.owner.tenant_id}</code>).
        <button type="button" id="signout">Sign out</button>
      </p>
      <p id="status" role="status" aria-live="polite"></p>
      ${section('pending', 'Waiting for your decision')} ${section('permits', 'Permits')}
      ${section('activity', 'Activity', html`<p class="muted">Choose a permit's <strong>Activity</strong> to see every execution and call made under it.</p>`)}
      <section class="card" aria-labelledby="secrets-title">
        <h2 id="secrets-title">Secrets</h2>
        <div id="secrets" aria-live="polite"><p class="muted">Loading…</p></div>
        <form id="secret-form" novalidate>
          <h3>Add or replace a secret</h3>
          <label for="secret-name">Name</label>
          <input
            id="secret-name"
            required
            pattern="[A-Z][A-Z0-9_]{0,63}"
            placeholder="GH_TOKEN"
            autocomplete="off"
            spellcheck="false"
          />
          <label for="secret-value">Value</label>
          <input id="secret-value" type="password" required autocomplete="off" spellcheck="false" />
          <label for="secret-origin">Only for this origin (optional)</label>
          <input
            id="secret-origin"
            placeholder="https://api.github.com"
            autocomplete="off"
            spellcheck="false"
          />
          <div class="actions"><button type="submit" class="primary">Save secret</button></div>
        </form>
      </section>
      <section class="card" aria-labelledby="cookies-title">
        <h2 id="cookies-title">Cookies</h2>
        <p class="muted">
          Upload a site's session cookies: copy the rows of DevTools' cookie table (Application →
          Cookies), or paste JSON. They are stored as the secret
          <code>COOKIES_&lt;DOMAIN&gt;</code> and listed above. The OAuth3 browser extension does
          this for you, and keeps them fresh.
        </p>
        <form id="cookie-form" novalidate>
          <label for="cookie-domain">Site</label>
          <input
            id="cookie-domain"
            required
            placeholder="www.tiktok.com"
            autocomplete="off"
            spellcheck="false"
          />
          <label for="cookie-paste">Cookies</label>
          <textarea
            id="cookie-paste"
            required
            spellcheck="false"
            placeholder="sessionid	…	.tiktok.com	/	…"
          ></textarea>
          <div class="actions"><button type="submit" class="primary">Upload cookies</button></div>
        </form>
      </section>
      <section class="card" aria-labelledby="extensions-title">
        <h2 id="extensions-title">Browser extensions</h2>
        <p class="muted">
          The OAuth3 extension keeps the cookies of the sites you grant it fresh in your vault. Each
          connected browser holds an upload-only credential: it stores those sites' cookies and
          nothing else.
        </p>
        <div id="extensions" aria-live="polite"><p class="muted">Loading…</p></div>
      </section>
      <section class="card" aria-labelledby="agents-title">
        <h2 id="agents-title">Agents</h2>
        <div id="agents" aria-live="polite"><p class="muted">Loading…</p></div>
        <form id="agent-form" novalidate>
          <label for="agent-name">New agent's name</label>
          <input id="agent-name" maxlength="64" placeholder="my-agent" autocomplete="off" />
          <div class="actions"><button type="submit">Create an agent bound to you</button></div>
        </form>
        <div id="agent-token" class="notice ok" hidden></div>
      </section>
      <section class="card" aria-labelledby="passkeys-title">
        <h2 id="passkeys-title">Passkeys</h2>
        <div id="passkeys" aria-live="polite"><p class="muted">Loading…</p></div>
        <p><a href="/signin">Add another passkey</a></p>
      </section>`,
  }
}
