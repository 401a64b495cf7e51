/**
 * The home page (GET / in a browser): what OAuth3 is, where this server runs and how to check it,
 * three live demos of the product page's skills — each step shown with its real request and
 * answer, secrets masked — and a short API quick start for agents.
 */
import { keyIdOf } from '../../../core/attestation/receipt'
import { syncedCookieSecrets } from '../../vault/secrets'
import { html } from '../html'
import type { PageContent, PageContext } from '../../http/page'

const TIKTOK_COOKIES = 'COOKIES_TIKTOK_COM'

const TRUST_WORDS = {
  tdx: 'This server runs inside an Intel TDX confidential VM. Its signing key is bound to a TDX quote, and every result it returns carries a receipt signed by that key. Do not take our word for it: check it yourself.',
  simulated:
    'This server talks to a dstack simulator: its quote proves nothing. It is a test deployment, not an attested one.',
  none: 'This server does not run in a TEE: nothing about it is attested. Its results are signed with a local key, which proves only that this server signed them. Run it inside dstack for attestation.',
} as const

export async function homePage({ app, origin, session }: PageContext): Promise<PageContent> {
  const tee = app.environment.tee
  // A signed-in owner whose extension keeps their TikTok session: the demo uses it, no paste.
  const synced = session
    ? (await syncedCookieSecrets(app, session.owner.tenant_id, [TIKTOK_COOKIES]))[TIKTOK_COOKIES]
    : undefined
  const keyId = await keyIdOf(app.keys.signingKey().publicKey)
  return {
    title: 'Attested execution for AI agents',
    script: 'home',
    main: html`<h1>Attested execution for AI agents</h1>
      <p>
        OAuth3 lets an AI agent act on your accounts without ever holding your secrets. The agent
        asks for a <strong>permit</strong>: a short list of exact HTTP capabilities (“create a
        GitHub issue with my token, in my repositories”). You read exactly what it asks and approve
        once, with your passkey. Its code then runs in a sandbox whose only powers are those
        capabilities; your tokens and cookies are used inside the server and never reach the agent
        or its output.
      </p>

      <section class="card" id="trust" aria-labelledby="trust-title">
        <h2 id="trust-title">Can you trust this server?</h2>
        <p><span class="badge tee-${tee}">tee: ${tee}</span></p>
        <p>${TRUST_WORDS[tee]}</p>
        <p>
          Verify it from your own machine, with this repository's command line (it checks the Intel
          signatures and the binding of the key offline):
        </p>
        <pre><code>npx oauth3 attest verify --url ${origin}</code></pre>
        <p class="muted">
          Signing key id <code>${keyId}</code> · <a href="/attestation">raw attestation</a>
        </p>
      </section>

      <h2>Try a skill</h2>
      <p>
        Each demo plays the whole flow in this page: an agent signs up and asks for a permit, you
        approve it here, the code runs in the sandbox, and the result comes back — every request and
        answer shown, secrets masked.
      </p>

      <section class="card demo" data-demo="httpbin" aria-labelledby="demo-httpbin-title">
        <h3 id="demo-httpbin-title">Httpbin Echo</h3>
        <p>
          One click: the code calls httpbin.org with a token of yours and returns the echo. The echo
          contains that token — and you will see it redacted.
        </p>
        <div class="actions">
          <button type="button" class="primary" data-start>Run Httpbin Echo</button>
        </div>
        <ol class="steps" data-steps aria-live="polite"></ol>
      </section>

      <section class="card demo" data-demo="apikey" aria-labelledby="demo-apikey-title">
        <h3 id="demo-apikey-title">Check API Key</h3>
        <p>
          Paste an API key: the code checks what it can access. The key is stored as your secret and
          used only inside the server — never shown to the agent, never logged.
        </p>
        <label for="apikey-service">Service</label>
        <select id="apikey-service">
          <option value="github">GitHub (token)</option>
          <option value="openai">OpenAI (API key)</option>
          <option value="anthropic">Anthropic (API key)</option>
        </select>
        <label for="apikey-value">API key</label>
        <input id="apikey-value" type="password" autocomplete="off" spellcheck="false" />
        <div class="actions">
          <button type="button" class="primary" data-start>Check this key</button>
        </div>
        <ol class="steps" data-steps aria-live="polite"></ol>
      </section>

      <section
        class="card demo"
        data-demo="tiktok"
        ${synced ? html`data-vault-cookies="true"` : ''}
        aria-labelledby="demo-tiktok-title"
      >
        <h3 id="demo-tiktok-title">TikTok Watch History</h3>
        ${
          synced
            ? html`<p id="tiktok-vault">
                Your TikTok session is in your vault, kept by the OAuth3 extension in
                ${synced.extension} (last synced
                <time datetime="${new Date(synced.synced_at).toISOString()}"
                  >${new Date(synced.synced_at).toISOString().slice(0, 16).replace('T', ' ')}
                  UTC</time
                >): this demo uses it, as you, and you approve with your passkey.
              </p>`
            : html`<p>
                We need your TikTok session cookies to fetch your watch history inside the server.
                The OAuth3 browser extension keeps them in your vault for you; or paste them:
              </p>`
        }
        <ol ${synced ? html`hidden` : ''}>
          <li>Open tiktok.com and make sure you are logged in.</li>
          <li>Press F12 → Application → Cookies → https://www.tiktok.com.</li>
          <li>Select all rows (Ctrl+A) and copy them (Ctrl+C).</li>
          <li>
            Paste below: the cookie table is understood, and so is JSON:
            <code>[{"name":"sessionid","value":"…","domain":".tiktok.com"}]</code>.
          </li>
        </ol>
        <div ${synced ? html`hidden` : ''}>
          <label for="tiktok-cookies">Cookies</label>
          <textarea id="tiktok-cookies" spellcheck="false"></textarea>
        </div>
        <div class="actions">
          <button type="button" class="primary" data-start>Fetch my watch history</button>
        </div>
        <ol class="steps" data-steps aria-live="polite"></ol>
      </section>

      <h2 id="agents">For agents: the API in four calls</h2>
      <pre><code>curl -X POST ${origin}/signup -H 'Content-Type: application/json' -d '{"name":"my-agent"}'
curl -X POST ${origin}/permit -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
  -d '{"description":"Echo a message","skill_id":"httpbin-echo"}'      # → approval_url for your human, status_url
curl "$STATUS_URL"                                                   # long-polls until the human decides
curl -X POST ${origin}/execute -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
  -d '{"permit_id":"…","skill_id":"httpbin-echo","args":{"message":"hi"}}'   # → status_url with the result</code></pre>
      <p>
        The full guide for agents is this same address asked for Markdown (<code
          >curl ${origin}/</code
        >); the API is described in <a href="/openapi.json">OpenAPI</a>.
      </p>

      <h2>How it works</h2>
      <p>
        Code runs in a SES compartment with zero ambient authority — no fetch, no process, no file
        system — and only the capability functions you approved as its powers. Secrets are encrypted
        at rest and decrypted only inside the server, for the one call that uses them, and redacted
        from everything the agent reads. In a dstack deployment the whole server runs in an Intel
        TDX confidential VM, and anyone can verify which code it is.
      </p>`,
  }
}
