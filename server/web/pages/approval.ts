/**
 * The approval page (GET /approve/:id in a browser): who asks, what for, and every capability in
 * plain words — reads or changes, the exact host and path, the method, the owner's secrets it uses
 * (stored or missing, with a field for a missing one), each constraint as a sentence, the doc
 * link; for a skill-bound permit the skill and its code. The owner sets the terms and presses
 * Approve or Deny; the page script confirms the decision with a passkey. A request that is no
 * longer pending gets a page that says so, and no form.
 */
import { describeCapability } from '../../../core/capabilities/describe'
import type { NormalizedCapability } from '../../../core/capabilities/plugin'
import type { Tenant } from '../../accounts/tenants'
import type { App } from '../../app'
import { readApproval } from '../../permits/approval'
import { readSkillVersion } from '../../skills/registry'
import { html, type Html } from '../html'
import type { PageContent } from '../../http/page'
import { isOAuth3Error } from '../../../core/errors'

type Approval = Awaited<ReturnType<typeof readApproval>>

export async function approvalPage(
  app: App,
  link: { requestId: string; token: unknown; clientAddress: string; viewer: Tenant | null },
): Promise<PageContent> {
  let approval: Approval
  try {
    approval = await readApproval(app, link)
  } catch (error) {
    // Without the link's token, only the bound agent's owner reads the request; for anyone else
    // the script brings back the token this tab removed from the address bar, if it has it.
    if (link.token !== undefined || !isOAuth3Error(error)) throw error
    return incompleteLinkPage(link.requestId)
  }
  const request = approval.scope_request
  const title = `Approve “${request.description}”?`
  if (approval.status !== 'pending') return decidedPage(approval)
  const skill = request.skill
    ? await readSkillVersion(app, request.skill.id, request.skill.version).catch(() => null)
    : null
  const days = Math.max(1, Math.round(request.ttl_seconds / 86400))
  return {
    title,
    script: 'approval',
    main: html`<div
        id="page"
        data-request-id="${approval.id}"
        data-manifest="${approval.manifest_sha256}"
      ></div>
      <h1>${agentName(approval)} asks for your permission</h1>
      <section class="card" aria-label="The request">
        <p><strong>${request.description}</strong></p>
        <dl class="facts">
          <dt>Agent</dt>
          <dd>${agentName(approval)} <span class="muted">(${approval.agent.tenant_id})</span></dd>
          <dt>Bound owner</dt>
          <dd>${bindingText(approval, link.viewer)}</dd>
          <dt>Asked for</dt>
          <dd>
            up to ${request.max_executions} executions over ${days} day${days === 1 ? '' : 's'}
          </dd>
          <dt>Link expires</dt>
          <dd>
            <time datetime="${new Date(approval.expires_at).toISOString()}"
              >${utcText(approval.expires_at)}</time
            >
          </dd>
        </dl>
      </section>
      ${skill ? skillSection(skill) : ''}
      <h2>What the agent's code will be able to do</h2>
      ${(request.capabilities as NormalizedCapability[]).map((capability) =>
        capabilitySection(capability, request.missing_secrets, request.synced_secrets),
      )}
      ${link.viewer ? '' : signInFirst(approval.id)}
      <form id="decision" class="card" novalidate ${link.viewer ? '' : html`hidden`}>
        <h2>Your terms</h2>
        <div class="terms">
          <div>
            <label for="ttl_days">Expires after (days)</label>
            <input
              id="ttl_days"
              name="ttl_days"
              type="number"
              min="1"
              max="${days}"
              value="${days}"
              inputmode="numeric"
            />
            <p class="hint">At most ${days}, as asked.</p>
          </div>
          <div>
            <label for="max_executions">Maximum executions</label>
            <input
              id="max_executions"
              name="max_executions"
              type="number"
              min="1"
              max="${request.max_executions}"
              value="${request.max_executions}"
              inputmode="numeric"
            />
            <p class="hint">At most ${request.max_executions}, as asked.</p>
          </div>
          <div>
            <label for="calls_per_minute">Calls per minute (optional)</label>
            <input
              id="calls_per_minute"
              name="calls_per_minute"
              type="number"
              min="1"
              max="100000"
              placeholder="no limit"
              inputmode="numeric"
            />
            <p class="hint">Caps capability calls under this permit.</p>
          </div>
        </div>
        ${
          request.missing_secrets?.length
            ? html`<div class="missing-consent">
                <input id="approve-without" type="checkbox" />
                <label for="approve-without"
                  >Approve without ${request.missing_secrets.join(', ')}: calls that use
                  ${request.missing_secrets.length === 1 ? 'it' : 'them'} fail until I set
                  ${request.missing_secrets.length === 1 ? 'it' : 'them'}.</label
                >
              </div>`
            : ''
        }
        <p class="hint">
          Approving or denying asks for your passkey: it confirms this decision, for this exact
          request.
        </p>
        <div class="actions">
          <button type="button" class="primary" data-action="approve">Approve</button>
          <button type="button" class="danger" data-action="deny">Deny</button>
        </div>
        <p id="status" role="status" aria-live="polite"></p>
      </form>
      <section
        id="outcome"
        class="card notice ok"
        hidden
        tabindex="-1"
        aria-live="polite"
      ></section>
      <p class="muted">Manifest <code>${approval.manifest_sha256}</code>.</p>`,
  }
}

/** The link time as UTC text; the page script shows it in the viewer's own time zone. */
function utcText(at: number): string {
  return new Date(at).toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
}

/**
 * A visitor who is not signed in decides nothing yet: a decision is confirmed with the owner's
 * passkey, so the way there — sign in, or create a passkey — comes first, and back to this
 * request (this tab keeps the link's token).
 */
function signInFirst(requestId: string): Html {
  const back = `/signin?next=${encodeURIComponent(`/approve/${requestId}`)}`
  return html`<section class="card notice" id="signin-first" aria-labelledby="signin-first-title">
    <h2 id="signin-first-title">Sign in to decide</h2>
    <p>
      You approve or deny with your passkey (your device's screen lock or a security key). Sign in
      with it — or create one if this is your first time here — and you come back to this request.
    </p>
    <p><a class="button primary" href="${back}">Sign in or create a passkey</a></p>
  </section>`
}

function agentName(approval: Approval): string {
  return approval.agent.name || 'An agent'
}

function bindingText(approval: Approval, viewer: Tenant | null): Html | string {
  const owner = approval.agent.owner_id
  if (!owner) return 'not yet bound — approving binds this agent to you'
  if (viewer?.tenant_id === owner) return 'you'
  return html`another owner (<code>${owner}</code>): only that owner can decide`
}

/** `missing`: the secrets the signed-in owner lacks; undefined when the viewer may not know. */
function capabilitySection(
  capability: NormalizedCapability,
  missing: string[] | undefined,
  synced: Synced = {},
): Html {
  const described = describeCapability(capability)
  return html`<section class="card capability" aria-label="${described.name}">
    <h3>
      <code>${described.name}</code>
      <span class="badge ${described.effect}"
        >${described.effect === 'reads' ? 'reads' : 'changes'}</span
      >
    </h3>
    <p class="sentence">${described.sentence}</p>
    <dl class="facts">
      <dt>Host</dt>
      <dd>
        <code>${described.host}</code
        >${described.unicodeHost ? html` <span class="muted">(shown by browsers as ${described.unicodeHost})</span>` : ''}
      </dd>
      <dt>Method and path</dt>
      <dd><code>${described.method} ${described.path}</code></dd>
      ${
        described.description
          ? html`<dt>Agent's note</dt>
              <dd>${described.description}</dd>`
          : ''
      }
      <dt>Arguments</dt>
      <dd>
        ${
          described.params.length
            ? html`<ul>
                ${described.params.map((param) => html`<li><code>${param.name}</code> ${param.where}${param.required ? '' : ' (optional)'}${param.rule ? html` — ${param.rule}` : ''}</li>`)}
              </ul>`
            : 'none'
        }
      </dd>
      <dt>Your secrets</dt>
      <dd>
        ${
          described.secrets.length
            ? html`<ul>
                ${described.secrets.map((name) => secretItem(name, missing && missing.includes(name), synced[name]))}
              </ul>`
            : 'none'
        }
      </dd>
      ${
        described.docUrl
          ? html`<dt>Documentation</dt>
              <dd>
                <a href="${described.docUrl}" rel="noreferrer noopener" target="_blank"
                  >${described.docUrl}</a
                >
              </dd>`
          : ''
      }
    </dl>
  </section>`
}

/** `missing` undefined: whether the owner holds it is not shown (only to that owner, signed in). */
type Synced = Record<string, { extension: string; synced_at: number }>

function secretItem(name: string, missing: boolean | undefined, synced?: Synced[string]): Html {
  if (missing === false)
    return html`<li>
      <code>${name}</code> <span class="badge stored">stored</span>
      ${
        synced
          ? html`<span class="muted"
              >kept by the extension in ${synced.extension}, last synced
              <time datetime="${new Date(synced.synced_at).toISOString()}"
                >${utcText(synced.synced_at)}</time
              ></span
            >`
          : ''
      }
    </li>`
  return html`<li>
    <code>${name}</code>
    ${
      missing
        ? html`<span class="badge missing">missing</span>`
        : html`<span class="badge">asked for</span>
            <span class="muted"
              >(sign in to see whether you have stored it; left empty, your stored value is
              used)</span
            >`
    }
    <label for="secret-${name}">Value for ${name}</label>
    <input
      id="secret-${name}"
      data-secret="${name}"
      ${missing ? html`data-missing="true"` : ''}
      type="password"
      autocomplete="off"
      spellcheck="false"
    />
    <p class="hint">
      Stored encrypted for you when you approve; used only inside the server, never shown to the
      agent.
    </p>
  </li>`
}

function skillSection(skill: Awaited<ReturnType<typeof readSkillVersion>>): Html {
  return html`<section class="card" aria-labelledby="skill">
    <h2 id="skill">Skill ${skill.id} ${skill.version}</h2>
    <dl class="facts">
      <dt>Author</dt>
      <dd>${skill.author}</dd>
      <dt>Description</dt>
      <dd>${skill.description}</dd>
      <dt>Code sha256</dt>
      <dd><code>${skill.sha256}</code></dd>
    </dl>
    <details>
      <summary>The code that will run</summary>
      <pre><code>${skill.code}</code></pre>
    </details>
  </section>`
}

function decidedPage(approval: Approval): PageContent {
  const words: Record<string, string> = {
    completed: 'This request has been approved.',
    denied: 'This request has been denied (or withdrawn).',
    expired: 'This approval link has expired: the agent must ask again.',
  }
  return {
    title: 'Already decided',
    status: approval.status === 'expired' ? 410 : 200,
    main: html`<h1>Nothing left to decide</h1>
      <div class="card notice">
        <p>${words[approval.status] ?? approval.status}</p>
        <p class="muted">${approval.scope_request.description}</p>
      </div>
      <p><a href="/dashboard">Open your dashboard</a></p>`,
  }
}

/** No token, and not the bound agent's owner: the script may repair it from this tab. */
function incompleteLinkPage(requestId: string): PageContent {
  return {
    title: 'Approval link incomplete',
    status: 401,
    script: 'approval',
    main: html`<div id="page" data-request-id="${requestId}" data-incomplete="true"></div>
      <h1>This approval link is incomplete</h1>
      <div class="card notice error" role="alert">
        <p>
          Open the approval link you were given again (it carries a token), or
          <a href="/signin?next=/approve/${requestId}">sign in</a> if the asking agent is bound to
          you.
        </p>
      </div>`,
  }
}
