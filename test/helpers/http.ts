/**
 * A small JSON client over real HTTP (undici fetch), returning status, headers and parsed body.
 * Every JSON answer is checked against the schema the server's OpenAPI document declares for it
 * (helpers/contract.ts).
 */
import { checkContract } from './contract'

export interface Reply<T = Record<string, unknown>> {
  status: number
  headers: Headers
  body: T
  text: string
}

export interface CallOptions {
  token?: string
  body?: unknown
  /** Raw body text, sent as given (for malformed JSON). */
  raw?: string
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Check the answer against its schema (helpers/contract.ts); on unless a test measures the server itself. */
  contract?: boolean
}

export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  let body: string | undefined
  if (options.raw !== undefined) body = options.raw
  else if (options.body !== undefined) body = JSON.stringify(options.body)
  if (
    body !== undefined &&
    !Object.keys(headers).some((key) => key.toLowerCase() === 'content-type')
  )
    headers['content-type'] = 'application/json'
  const response = await fetch(base + path, { method, headers, body, signal: options.signal })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    /* not JSON */
  }
  if (options.contract !== false) {
    const type = response.headers.get('content-type')
    await checkContract(base, method, path, response.status, type, parsed)
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text }
}

/**
 * The client for one server; `base` may be a function when the server starts later. With
 * `contract: false` its answers are not checked against their schemas: for tests that measure the
 * server's own memory, which the check's one GET /openapi.json would change (it loads every route).
 */
export function client(base: string | (() => string), defaults: { contract?: boolean } = {}) {
  const url = typeof base === 'string' ? () => base : base
  return {
    get: <T = any>(path: string, options?: CallOptions) =>
      call<T>(url(), 'GET', path, { ...defaults, ...options }),
    post: <T = any>(path: string, body?: unknown, options?: CallOptions) =>
      call<T>(url(), 'POST', path, { ...defaults, ...options, body }),
    delete: <T = any>(path: string, options?: CallOptions) =>
      call<T>(url(), 'DELETE', path, { ...defaults, ...options }),
    call: <T = any>(method: string, path: string, options?: CallOptions) =>
      call<T>(url(), method, path, { ...defaults, ...options }),
  }
}

export type Client = ReturnType<typeof client>

/** An error body without its request id, which differs from one request to the next. */
export function errorOf(body: Record<string, unknown>): Record<string, unknown> {
  const { request_id: _id, ...rest } = body
  return rest
}
