/**
 * The pages' one way to call the API: JSON in and out, same origin only, the session's CSRF token
 * on every request, and a bearer token only when a page holds one in memory (never in a URL or in
 * storage). A failure is an ApiError carrying the server's stable code.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

const csrf = () =>
  document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? undefined

export async function api<T = Record<string, unknown>>(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  options: { token?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const token = csrf()
  if (token) headers['x-csrf-token'] = token
  if (options.token) headers.authorization = `Bearer ${options.token}`
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await response.text()
  let answer: Record<string, unknown> = {}
  try {
    answer = text ? JSON.parse(text) : {}
  } catch {
    answer = { error: text }
  }
  if (!response.ok) {
    // A reason in the details says more than the code's message: it goes with it.
    const reason = (answer.details as { reason?: unknown } | undefined)?.reason
    throw new ApiError(
      response.status,
      String(answer.code ?? 'HTTP_' + response.status),
      String(answer.error ?? response.statusText) +
        (typeof reason === 'string' ? ` (${reason})` : ''),
    )
  }
  return answer as T
}

/** A failure in words a person can act on. */
export function explain(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`
  if (error instanceof Error && error.name === 'NotAllowedError')
    return 'The passkey prompt was cancelled or timed out, or this device has no passkey for this site.'
  return error instanceof Error ? error.message : String(error)
}
