/**
 * Running one execution: load the owner's secrets for the gateway (they stay in this process),
 * give the job to the sandbox pool, then store the redacted result and wake every poll waiting
 * on it. Never throws: every outcome becomes a terminal record.
 */
import { PoolClosedError, type GuestResult, type Reservation } from '../../../runtime/pool'
import type { App } from '../app'
import {
  callCapability,
  createRedactor,
  type CallRecord,
  type GatewayContext,
  type Redactor,
} from '../gateway'
import type { CookieJar } from '../cookies'
import type { PermitRecord } from '../permits'
import { unsafeRevealSecret } from '../secrets'
import {
  executionKey,
  isTerminal,
  runningPrefix,
  type ExecutionRecord,
  type ExecutionResult,
} from './records'

export async function runExecution(
  app: App,
  record: ExecutionRecord,
  permit: PermitRecord | null,
  code: string,
  args: unknown,
  reservation: Reservation,
  timeoutMs?: number,
): Promise<void> {
  const id = record.request_id
  let calls: CallRecord[] = []
  let redact: Redactor = (text) => text
  let outcome: GuestResult
  try {
    const gateway = permit ? await createGatewayContext(app, permit) : null
    if (gateway) ({ calls, redact } = gateway)
    outcome = await app.pool.run(
      {
        id,
        tenant: record.agent_id,
        code,
        args,
        functions: permit ? permit.capabilities.map((capability) => capability.function) : [],
        call: (fn, callArgs, signal) =>
          gateway
            ? callCapability(gateway, fn, callArgs, signal)
            : Promise.reject(new Error(`${fn} is not a capability`)),
        onStart: () => void markExecuting(app, id),
        ...(timeoutMs ? { timeoutMs } : {}),
      },
      reservation,
    )
  } catch (error) {
    reservation.release()
    const code = error instanceof PoolClosedError ? 'shutdown' : 'internal'
    if (code === 'internal')
      console.error(`[oauth3] execution ${id} could not run:`, (error as Error).message)
    outcome = {
      ok: false,
      exitCode: 1,
      failure: 'error',
      error: `${code}: the execution could not run`,
      stdout: '',
      stderr: '',
      durationMs: 0,
    }
  }
  await finishExecution(
    app,
    id,
    toResult(outcome, calls, redact),
    outcome.ok ? undefined : redact(outcome.error ?? 'error'),
  )
}

async function createGatewayContext(app: App, permit: PermitRecord): Promise<GatewayContext> {
  const secrets = new Map<string, { value: string; origin?: string; cookie_domain?: string }>()
  for (const name of permit.secrets) {
    const secret = permit.owner_id ? await unsafeRevealSecret(app, permit.owner_id, name) : null
    if (secret) secrets.set(name, secret)
  }
  const values: string[] = []
  for (const secret of secrets.values()) {
    values.push(secret.value)
    // A cookie jar is one secret holding many: every cookie value is redacted on its own.
    if (secret.cookie_domain)
      for (const cookie of (JSON.parse(secret.value) as CookieJar).cookies)
        values.push(cookie.value)
  }
  // Whole header values too: `token X`, and Basic credentials once base64-encoded upstream.
  for (const capability of permit.capabilities) {
    if (!capability.auth) continue
    values.push(
      capability.auth.value.replace(
        /\{([A-Z][A-Z0-9_]*)\}/g,
        (_, name: string) => secrets.get(name)?.value ?? '',
      ),
    )
  }
  return { app, permit, secrets, redact: createRedactor(values), calls: [] }
}

function toResult(outcome: GuestResult, calls: CallRecord[], redact: Redactor): ExecutionResult {
  const result: ExecutionResult = {
    success: outcome.ok,
    stdout: redact(outcome.stdout),
    stderr: redact(outcome.stderr),
    exitCode: outcome.exitCode,
    duration: outcome.durationMs,
    calls,
  }
  if (outcome.valueJson !== undefined) result.value = JSON.parse(redact(outcome.valueJson))
  return result
}

async function markExecuting(app: App, id: string) {
  try {
    await app.store.update<ExecutionRecord>(executionKey(id), (current) => {
      if (!current) throw new Error('missing execution record')
      return current.status === 'approved'
        ? { ...current, status: 'executing', started_at: Date.now() }
        : current
    })
  } catch (error) {
    console.error(`[oauth3] execution ${id}: could not record the start:`, (error as Error).message)
  }
}

/** Store the terminal state (once), clear the running marker, wake the waiters. */
export async function finishExecution(
  app: App,
  id: string,
  result: ExecutionResult | undefined,
  error: string | undefined,
) {
  try {
    const finished = await app.store.update<ExecutionRecord>(executionKey(id), (current) => {
      if (!current) throw new Error('missing execution record')
      if (isTerminal(current.status)) return current
      return {
        ...current,
        status: result?.success ? 'completed' : 'failed',
        finished_at: Date.now(),
        ...(result ? { result } : {}),
        ...(error ? { error } : {}),
      }
    })
    await app.notifier.notify(id)
    await app.store.remove(`${runningPrefix(finished.node)}:${id}`)
  } catch (failure) {
    console.error(
      `[oauth3] execution ${id}: could not store the result:`,
      (failure as Error).message,
    )
    await app.notifier.notify(id)
  }
}
