/**
 * GET /extension/connect?pairing=…: the owner connects the browser extension. The page says what
 * the extension asks for — to store the cookies of named sites, nothing else — shows the pairing
 * code to compare with the extension's popup, and (signed in with a passkey) offers Grant and
 * Decline. A pairing that is gone says so and what to do.
 */
import { readPairing } from '../../extension/pairings'
import { cookieSecretFor } from '../../vault/cookies'
import type { PageContent, PageContext } from '../../http/page'
import { html } from '../html'

export async function extensionConnectPage(
  { app, session }: PageContext,
  id: string,
): Promise<PageContent> {
  const pairing = await readPairing(app, id)
  const back = `/signin?next=${encodeURIComponent(`/extension/connect?pairing=${pairing.id}`)}`
  return {
    title: 'Connect the browser extension',
    script: 'connect',
    main: html`<div id="page" data-pairing-id="${pairing.id}"></div>
      <h1>Connect the OAuth3 extension</h1>
      <section class="card" aria-labelledby="asks">
        <h2 id="asks">“${pairing.label}” asks to keep your sessions in your vault</h2>
        <p>It would upload the cookies of these sites, each as a secret of yours:</p>
        <ul>
          ${pairing.sites.map(
            (site) =>
              html`<li>
                <strong>${site}</strong> → <code>${cookieSecretFor(site).secretName}</code>
              </li>`,
          )}
        </ul>
        <dl class="facts">
          <dt>It can</dt>
          <dd>store the cookies of these sites, whenever they change and every 30 minutes</dd>
          <dt>It cannot</dt>
          <dd>
            read any secret (not even the cookies it stored), run code, see or approve permits, or
            store cookies of any other site
          </dd>
          <dt>Until</dt>
          <dd>you disconnect it on your dashboard (it is listed there with its last use)</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="code-title">
        <h2 id="code-title">Check the code</h2>
        <p>Grant only if the extension's popup shows this same code:</p>
        <p class="pairing-code" id="pairing-code">${pairing.code}</p>
      </section>
      ${
        session
          ? html`<div class="card" id="decide">
              <div class="actions">
                <button type="button" class="primary" data-grant="true">Grant</button>
                <button type="button" class="danger" data-grant="false">Decline</button>
              </div>
              <p id="status" role="status" aria-live="polite"></p>
            </div>`
          : html`<section class="card notice" aria-labelledby="signin-title">
              <h2 id="signin-title">Sign in to decide</h2>
              <p>
                You grant this with your owner account: sign in with your passkey, or create one.
              </p>
              <p><a class="button primary" href="${back}">Sign in or create a passkey</a></p>
            </section>`
      }
      <section
        id="outcome"
        class="card notice ok"
        hidden
        tabindex="-1"
        aria-live="polite"
      ></section>`,
  }
}
