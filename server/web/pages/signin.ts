/**
 * GET /signin: sign in with a passkey; or create the owner account with one; or add a passkey to
 * an existing owner by pasting its owner token once (sent in a header, never in a URL).
 */
import { html } from '../html'
import type { PageContent, PageContext } from '../../http/page'

export async function signinPage({ session }: PageContext): Promise<PageContent> {
  if (session) {
    return {
      title: 'Signed in',
      script: 'signin',
      main: html`<h1>Signed in as ${session.owner.name}</h1>
        <div class="card">
          <p><a href="/dashboard">Open your dashboard</a></p>
          <div class="actions">
            <button type="button" id="add-passkey">Add another passkey</button>
            <button type="button" id="signout">Sign out</button>
          </div>
          <p id="status" role="status" aria-live="polite"></p>
        </div>`,
    }
  }
  return {
    title: 'Sign in',
    script: 'signin',
    main: html`<h1>Sign in</h1>
      <section class="card" aria-labelledby="with-passkey">
        <h2 id="with-passkey">With your passkey</h2>
        <p>
          Owners sign in with a passkey: your device's screen lock or a security key. No password.
        </p>
        <button type="button" class="primary" id="signin">Sign in with a passkey</button>
      </section>
      <section class="card" aria-labelledby="create">
        <h2 id="create">New here? Create your owner account</h2>
        <p>An owner approves what agents may do with their accounts and secrets.</p>
        <label for="owner-name">Your name</label>
        <input id="owner-name" autocomplete="name" maxlength="64" placeholder="e.g. Ada" />
        <div class="actions">
          <button type="button" id="register">Create account with a passkey</button>
        </div>
      </section>
      <section class="card" aria-labelledby="existing">
        <h2 id="existing">Have an owner token from the API?</h2>
        <p>
          Paste it once to add a passkey to that owner account; the token keeps working for the API
          and the CLI.
        </p>
        <label for="owner-token">Owner token</label>
        <input
          id="owner-token"
          type="password"
          autocomplete="off"
          spellcheck="false"
          placeholder="oa3_owner_…"
        />
        <div class="actions">
          <button type="button" id="attach">Add a passkey to this owner</button>
        </div>
      </section>
      <p id="status" role="status" aria-live="polite"></p>
      <section id="created" class="card notice ok" hidden tabindex="-1"></section>`,
  }
}
