/**
 * The OAuth3 client. The product page's calls work as printed (`OAuth3.create()`,
 * `executeAndWait({ skill_id, skill_code })`, `execute`, `poll`, `me`, `sessions`, `history`), with
 * permits, skills, secrets, cookies, live events, typed capabilities and the offline verifier on top.
 * Only `fetch` and WebCrypto: it runs in Node 20+, Deno, Bun and browsers.
 */
import { fromHex, toHex } from '../../core/attestation/bytes'
import type { Collateral } from '../../core/attestation/collateral'
import { fetchCollateral } from '../../core/attestation/pccs'
import { parseTdxQuote } from '../../core/attestation/quote'
import { verifyReceipt, type StatusBodyLike } from '../../core/attestation/receipt'
import type { TcbStatus } from '../../core/attestation/tcb'
import { verdictOf, type Verdict } from '../../core/attestation/verdict'
import {
  verifyAttestation,
  type AttestationVerification,
} from '../../core/attestation/verify-attestation'
import { envValue, normalizeServerUrl, readSavedConfig, savedToken, saveToken } from './config'
import { networkError, OAuth3Error } from './errors'
import { parseEventStream, type ExecutionEvent } from './events'
import type {
  Attestation,
  CookiesUploadAnswer,
  ExecuteParams,
  ExecutionStatus,
  HistoryPage,
  PermitAnswer,
  PermitSpec,
  SecretChange,
  SecretList,
  SessionsPage,
  SignupAnswer,
  SkillList,
  SkillPublished,
  SkillVersion,
  SkillVersions,
  Tenant,
} from './types'

export const VERSION = '0.1.0'
export const DEFAULT_URL = 'http://localhost:3000'
const TERMINAL = new Set(['completed', 'failed', 'denied', 'expired'])

/**
 * `require`: the server must prove it runs in TDX, and every receipt must verify; `auto` (the
 * default): receipts are verified whenever the server proves it; `skip`: nothing is verified.
 */
export type VerifyMode = 'require' | 'auto' | 'skip'

export interface ClientOptions {
  /** The server's URL (default: OAUTH3_URL, the saved default server, then http://localhost:3000). */
  url?: string
  /**
   * A bearer token (default: OAUTH3_TOKEN, OAUTH3_API_KEY, then the token ~/.oauth3/config.json
   * holds for this server — one per server, keyed by its normalised URL).
   */
  token?: string
  verify?: VerifyMode
  /**
   * Sign up when no token is found, and save it for this server (default true). A token already
   * saved for a server is never replaced: a second account is an explicit `OAuth3.signup()`.
   */
  signup?: boolean
  /** The name to sign up with. */
  name?: string
  fetch?: typeof fetch
}

export interface PendingPermit extends PermitAnswer {
  /** Wait for the human's decision (long-polls status_url). */
  wait(timeoutMs?: number): Promise<ExecutionStatus>
}

/** The longest inline wait the server honours (Prefer: wait=60). */
const INLINE_WAIT_MAX_MS = 60_000

/** How far `verify()` checks the chain of trust (docs/attestation.md). */
export interface VerifyOptions {
  nonce?: Uint8Array
  composeHash?: string
  /** Intel's collateral for the server's platform (PCS v4 format, as PCCS serves it). */
  collateral?: Collateral
  /** Or a PCCS (or Intel PCS v4) base URL to fetch it from; it is verified all the same. */
  pccs?: string
  /** TCB statuses that hold (UpToDate and SWHardeningNeeded by default). */
  acceptTcb?: TcbStatus[]
  /** dstack OS image hashes you trust (hex). */
  osImageHashes?: string[]
  /** Verify as of this time (epoch ms); now by default. */
  at?: number
}

export class OAuth3 {
  readonly url: string
  readonly token: string
  readonly verifyMode: VerifyMode
  private readonly fetcher: typeof fetch
  private attested?: Promise<AttestationVerification>

  constructor(options: { url: string; token: string; verify?: VerifyMode; fetch?: typeof fetch }) {
    this.url = usableUrl(options.url)
    this.token = options.token
    this.verifyMode = options.verify ?? 'auto'
    this.fetcher = options.fetch ?? globalThis.fetch.bind(globalThis)
  }

  /**
   * A client with a token from the options, the environment or the saved config; otherwise a new
   * agent account, whose token is saved for next time. `create('oa3_…', url)` as the public SDK.
   */
  static async create(options: ClientOptions | string = {}, url?: string): Promise<OAuth3> {
    const given: ClientOptions = typeof options === 'string' ? { token: options, url } : options
    const saved = await readSavedConfig()
    const base = usableUrl(given.url ?? envValue('OAUTH3_URL') ?? saved.default ?? DEFAULT_URL)
    const token =
      given.token ??
      envValue('OAUTH3_TOKEN') ??
      envValue('OAUTH3_API_KEY') ??
      savedToken(saved, base)
    const common = { url: base, verify: given.verify, fetch: given.fetch }
    if (token) return new OAuth3({ ...common, token })
    if (given.signup === false) {
      throw new OAuth3Error(0, 'NO_TOKEN', `no token for ${base}: pass one, or set OAUTH3_TOKEN`)
    }
    // Verified before anything is sent, signup included, when the caller requires it.
    if (given.verify === 'require') await new OAuth3({ ...common, token: '' }).attestedOrThrow()
    const account = await OAuth3.signup({ url: base, name: given.name, fetch: given.fetch })
    // Another process may have saved a token for this server meanwhile: that one is kept.
    const kept = await saveToken(base, account.token)
    return new OAuth3({ ...common, token: kept.token })
  }

  /** POST /signup: a new account; its token is answered once. */
  static async signup(options: {
    url?: string
    name?: string
    role?: 'agent' | 'owner'
    fetch?: typeof fetch
  }): Promise<SignupAnswer> {
    const client = new OAuth3({
      url: usableUrl(options.url ?? DEFAULT_URL),
      token: '',
      fetch: options.fetch,
      verify: 'skip',
    })
    return client.request<SignupAnswer>('POST', '/signup', {
      ...(options.name ? { name: options.name } : {}),
      ...(options.role ? { role: options.role } : {}),
    })
  }

  // The product page's calls ------------------------------------------------------------------

  /** Run code or a skill and wait for its result (the product page's call). */
  async executeAndWait(params: ExecuteParams, timeoutMs = 300_000): Promise<ExecutionStatus> {
    // One round trip when it ends within a minute (Prefer: wait); status_url otherwise.
    const waitSeconds = Math.floor(Math.min(timeoutMs, INLINE_WAIT_MAX_MS) / 1000)
    const submitted = await this.submit(params, { waitSeconds })
    if (TERMINAL.has(submitted.status)) return this.checked(submitted)
    return this.poll(submitted.request_id, timeoutMs)
  }

  /** As the public SDK: submit, then wait while the execution is approved or running. */
  async execute(params: ExecuteParams, timeoutMs = 300_000): Promise<ExecutionStatus> {
    return this.executeAndWait(params, timeoutMs)
  }

  /**
   * POST /execute: answers `{ request_id, status, status_url }` at once — or, with `waitSeconds`,
   * the terminal status when the execution ends within that time (`Prefer: wait`).
   */
  submit(params: ExecuteParams, options: { waitSeconds?: number } = {}): Promise<ExecutionStatus> {
    const headers: Record<string, string> = {
      ...(params.idempotency_key ? { 'idempotency-key': params.idempotency_key } : {}),
      ...(options.waitSeconds ? { prefer: `wait=${options.waitSeconds}` } : {}),
    }
    return this.request<ExecutionStatus>('POST', '/execute', params, headers)
  }

  /** Wait for a request (execution or permit request) to end; `status: "timeout"` if it did not. */
  async poll(requestId: string, timeoutMs = 300_000): Promise<ExecutionStatus> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const left = deadline - Date.now()
      if (left <= 0) {
        return {
          request_id: requestId,
          status: 'timeout',
          error: `no result after ${timeoutMs} ms`,
        }
      }
      const wait = Math.max(1000, Math.min(left, 120_000))
      const status = await this.request<ExecutionStatus>(
        'GET',
        `/execute/${encodeURIComponent(requestId)}/status?wait=true&timeout=${wait}`,
      )
      if (TERMINAL.has(status.status)) return this.checked(status)
    }
  }

  me(): Promise<Tenant> {
    return this.request<Tenant>('GET', '/me')
  }

  sessions(): Promise<SessionsPage> {
    return this.request<SessionsPage>('GET', '/sessions')
  }

  history(limit = 50): Promise<HistoryPage> {
    return this.request<HistoryPage>('GET', `/history?limit=${limit}`)
  }

  // Permits, skills, live output --------------------------------------------------------------

  /** POST /permit: the approval URL for the human, and `wait()` for their decision. */
  async requestPermit(spec: PermitSpec): Promise<PendingPermit> {
    const answer = await this.request<PermitAnswer>('POST', '/permit', spec)
    return { ...answer, wait: (timeoutMs) => this.poll(answer.request_id, timeoutMs) }
  }

  /** Run a registry skill under a permit and wait for its result. */
  run(skillId: string, args: Record<string, unknown> = {}, options: { permit?: string } = {}) {
    return this.executeAndWait({
      skill_id: skillId,
      args,
      ...(options.permit ? { permit_id: options.permit } : {}),
    })
  }

  /**
   * An execution's live output: stdout, stderr, each call, then the end (GET /execute/:id/events).
   * A stream that drops before the end is reopened with Last-Event-ID (up to `retries` times in a
   * row, a second apart): nothing is repeated, nothing lost.
   */
  async *events(
    requestId: string,
    options: { retries?: number } = {},
  ): AsyncGenerator<ExecutionEvent> {
    const url = `${this.url}/execute/${encodeURIComponent(requestId)}/events`
    const retries = options.retries ?? 5
    let lastEventId: string | undefined
    for (let failures = 0; ;) {
      if (this.verifyMode === 'require') await this.attestedOrThrow()
      let response: Response
      try {
        response = await this.fetcher(url, {
          headers: {
            ...this.authorization(),
            accept: 'text/event-stream',
            ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
          },
        })
      } catch (error) {
        if (++failures > retries) throw networkError(url, error)
        await pause(1000)
        continue
      }
      if (!response.ok || !response.body) throw await toError(response)
      try {
        for await (const event of parseEventStream(response.body)) {
          failures = 0
          if (event.id) lastEventId = event.id
          if (event.type === 'end') {
            yield { type: 'end', data: await this.checked(event.data) }
            return
          }
          yield event
        }
      } catch (error) {
        if (error instanceof OAuth3Error || ++failures > retries) throw networkError(url, error)
        await pause(1000)
        continue
      }
      // The stream ended without `end` (the instance stopped): reopen where it left off.
      if (++failures > retries) {
        throw new OAuth3Error(0, 'STREAM_ENDED', `the event stream of ${requestId} ended early`)
      }
    }
  }

  /** The permit's capability functions and args as TypeScript declarations. */
  capabilityTypes(permitId: string): Promise<string> {
    return this.request<string>('GET', `/sessions/${encodeURIComponent(permitId)}/types`)
  }

  readonly skills = {
    list: () => this.request<SkillList>('GET', '/skills'),
    get: (id: string) => this.request<SkillVersions>('GET', `/skills/${encodeURIComponent(id)}`),
    version: (id: string, version: string) =>
      this.request<SkillVersion>(
        'GET',
        `/skills/${encodeURIComponent(id)}/${encodeURIComponent(version)}`,
      ),
    publish: (bundle: { manifest: string; code: string }) =>
      this.request<SkillPublished>('POST', '/skills', bundle),
  }

  /** The owner's secrets (an owner token): values go in, never come out. */
  readonly secrets = {
    set: (name: string, value: string, origin?: string) =>
      this.request<SecretChange>('POST', '/secrets', {
        name,
        value,
        ...(origin ? { origin } : {}),
      }),
    list: () => this.request<SecretList>('GET', '/secrets'),
    delete: (name: string) =>
      this.request<SecretChange>('DELETE', `/secrets/${encodeURIComponent(name)}`),
  }

  /** Upload a site's cookies (an owner token): a DevTools table paste, or cookie objects. */
  readonly cookies = {
    upload: (
      domain: string,
      cookies: string | Array<Record<string, unknown>>,
      userAgent?: string,
    ) =>
      this.request<CookiesUploadAnswer>('POST', '/cookies/upload', {
        domain,
        ...(typeof cookies === 'string' ? { cookie_table: cookies } : { cookies }),
        ...(userAgent ? { user_agent: userAgent } : {}),
      }),
  }

  // Trust ---------------------------------------------------------------------------------------

  /**
   * Fetch /attestation with a fresh nonce and verify it offline: a genuine TDX quote, chained to
   * Intel's root, binding the server's signing key and this nonce (and the compose hash, if given).
   * With Intel's collateral (`collateral`, or fetched from `pccs`) the platform's TCB status, the
   * CRLs and the QE identity too; with `osImageHashes`, the OS image the VM config proves must be
   * one of them. `verdict` says link by link what was proved.
   */
  async verify(
    options: VerifyOptions = {},
  ): Promise<AttestationVerification & { attestation: Attestation; verdict: Verdict }> {
    const nonce = options.nonce ?? crypto.getRandomValues(new Uint8Array(32))
    const attestation = await this.request<Attestation>('GET', `/attestation?nonce=${toHex(nonce)}`)
    let collateral = options.collateral
    if (!collateral && options.pccs && typeof attestation.quote === 'string') {
      collateral = await fetchCollateral(
        options.pccs,
        parseTdxQuote(fromHex(attestation.quote)),
        this.fetcher,
      )
    }
    const verification = await verifyAttestation({
      answer: attestation,
      nonce,
      ...(options.composeHash ? { composeHash: options.composeHash } : {}),
      ...(collateral ? { collateral } : {}),
      ...(options.acceptTcb ? { acceptTcb: options.acceptTcb } : {}),
      ...(options.osImageHashes ? { osImageHashes: options.osImageHashes } : {}),
      ...(options.at !== undefined ? { at: options.at } : {}),
    })
    const verdict = verdictOf(verification.checks, verification.quote)
    return { ...verification, attestation, verdict }
  }

  /**
   * The server's attestation, verified once per client; with `verify: 'require'` a server that
   * does not prove itself is refused (ATTESTATION_FAILED) before anything else is sent to it.
   */
  private async attestedOrThrow(): Promise<AttestationVerification> {
    this.attested ??= this.verify()
    const attested = await this.attested.catch((error: unknown) => {
      this.attested = undefined
      throw error
    })
    if (!attested.ok && this.verifyMode === 'require') {
      const failed = attested.checks.find((check) => !check.ok)
      throw new OAuth3Error(
        0,
        'ATTESTATION_FAILED',
        `the server is not attested: ${failed?.code}: ${failed?.reason}`,
        attested.checks,
      )
    }
    return attested
  }

  /** Check a terminal execution's receipt, as the verify mode asks. */
  private async checked(status: ExecutionStatus): Promise<ExecutionStatus> {
    if (this.verifyMode === 'skip' || !status.result) return status
    const attested = await this.attestedOrThrow()
    if (!attested.ok) return status
    const receipt = await verifyReceipt({
      receipt: status.result.receipt,
      publicKey: fromHex(attested.signingKey!),
      execution: status as unknown as StatusBodyLike,
    })
    if (!receipt.ok) {
      const failed = receipt.checks.find((check) => !check.ok)
      throw new OAuth3Error(
        0,
        'RECEIPT_INVALID',
        `the result's receipt does not verify: ${failed?.code}: ${failed?.reason}`,
        receipt.checks,
      )
    }
    return status
  }

  // HTTP ------------------------------------------------------------------------------------------

  private authorization(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {}
  }

  /**
   * One JSON call; every failure throws OAuth3Error: a non-2xx answer with the server's status
   * and code, a network failure as NETWORK_ERROR naming the URL and the cause. With `verify:
   * 'require'`, nothing but the attestation request is sent before the server proved itself.
   */
  async request<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    if (this.verifyMode === 'require' && !path.startsWith('/attestation?')) {
      await this.attestedOrThrow()
    }
    const url = `${this.url}${path}`
    let response: Response
    let text: string
    try {
      response = await this.fetcher(url, {
        method,
        headers: {
          accept: 'application/json',
          'x-oauth3-sdk-version': VERSION,
          ...this.authorization(),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
      if (!response.ok) throw await toError(response)
      text = await response.text()
    } catch (error) {
      throw error instanceof OAuth3Error ? error : networkError(url, error)
    }
    const type = response.headers.get('content-type') ?? ''
    if (!type.includes('json')) return text as T
    try {
      return JSON.parse(text) as T
    } catch (error) {
      throw new OAuth3Error(
        response.status,
        'INVALID_RESPONSE',
        `${method} ${url} answered JSON that does not parse`,
        undefined,
        { cause: error },
      )
    }
  }
}

/** A URL the client can use, or OAuth3Error INVALID_URL saying what is wrong with it. */
function usableUrl(url: string): string {
  try {
    return normalizeServerUrl(url)
  } catch (error) {
    throw new OAuth3Error(0, 'INVALID_URL', (error as Error).message)
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function toError(response: Response): Promise<OAuth3Error> {
  const text = await response.text().catch(() => '')
  let body: { error?: string; code?: string; details?: unknown } = {}
  try {
    body = JSON.parse(text)
  } catch {
    body = { error: text }
  }
  return new OAuth3Error(
    response.status,
    body.code ?? `HTTP_${response.status}`,
    body.error ?? response.statusText,
    body.details,
  )
}
