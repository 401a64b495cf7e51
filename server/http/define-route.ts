/**
 * A route declares what it is — who may call it, the body it takes, what it answers — and
 * `defineApiRoute` enforces that declaration: the caller is authenticated for the declared role,
 * the body is read and checked against its schema, the success status is set. The route index
 * (the guide at GET /, OpenAPI, the tests) reads the same declarations, so what the API says and
 * what it does cannot drift apart. Method and path come from the file name, as Nitro routes them.
 */
import {
  defineEventHandler,
  getRequestHeader,
  setResponseStatus,
  type EventHandler,
  type H3Event,
} from 'h3'
import { fail, isOAuth3Error } from '../../core/errors'
import type { AnswerName } from '../../core/answers'
import type { HeaderName, QueryName } from './parameters'
import { assertRequestBody, type RequestBodies, type RequestBodyName } from '../../core/schemas'
import type { Tenant } from '../accounts/tenants'
import { useApp, useStartedApp, type App } from '../app'
import { readJsonBody, readOptionalJsonBody } from './body'
import { sendPage, type PageContent, type PageContext } from './page'
import { wantsHtml } from './negotiate'
import { isSameOriginRequest } from './sessions'
import { readBearerTenant, readTenant, readUploadCaller, requireTenant } from './auth'
import { noteTenant } from './requests'

/**
 * Who may call: nobody in particular (`none`), a bearer token of a role (`agent`, `owner`) or of
 * any role (`tenant`), or a link's `?token=` (an approval link, a status link) with an optional
 * bearer token.
 */
export type RouteAuth =
  | 'none'
  | 'agent'
  | 'owner'
  | 'tenant'
  | 'approval-link'
  | 'tenant-or-approval-link'
  | 'tenant-or-status-link'
  | 'owner-or-passkey'
  | 'optional-tenant'
  | 'owner-or-upload-credential'

export interface RouteMeta {
  auth: RouteAuth
  /** One sentence for the guide and OpenAPI. */
  summary: string
  /** The JSON body, by schema name (schemas/). */
  body?: RequestBodyName
  /** The body may be empty (every field is optional): it then reads as {}. */
  bodyOptional?: boolean
  /**
   * A JSON-RPC endpoint: a body that is not JSON answers the JSON-RPC parse error (-32700), one
   * that does not fit `body` the invalid-request error (-32600), as JSON-RPC clients expect.
   */
  jsonRpc?: boolean
  /** The success status (default 200). */
  status?: number
  /** What a success answers, in words (the guide, OpenAPI's descriptions). */
  returns: string
  /**
   * The JSON answers by status, each by its schema (core/answers.ts); `null` for an answer
   * without a body. Every 4xx and 5xx not named here is the error body (docs/errors.md).
   */
  answers?: Partial<Record<number, AnswerName | null>>
  /** The query parameters it reads (server/http/parameters.ts). */
  query?: QueryName[]
  /** The request headers it reads beyond authorization. */
  headers?: HeaderName[]
  /** Content type of a success (default JSON). */
  produces?: 'application/json' | 'text/plain' | 'text/markdown' | 'text/html' | 'text/event-stream'
  /** A page or an asset for browsers: not part of the API (the guide and OpenAPI leave it out). */
  page?: boolean
  /** Answered during startup recovery too (GET /ready reports it); every other route waits. */
  duringRecovery?: boolean
}

type CallerOf<A extends RouteAuth> = A extends
  'agent' | 'owner' | 'tenant' | 'owner-or-upload-credential'
  ? Tenant
  : A extends 'none'
    ? null
    : Tenant | null

type BodyOf<M extends RouteMeta> = M['body'] extends RequestBodyName
  ? RequestBodies[M['body']]
  : undefined

export interface RouteContext<M extends RouteMeta> {
  event: H3Event
  app: App
  caller: CallerOf<M['auth']>
  body: BodyOf<M>
}

export type ApiRouteHandler = EventHandler & { meta: RouteMeta }

/**
 * `page`: the same URL's HTML page, answered instead of the API's JSON when the request prefers
 * `text/html` (a browser). Its failures are pages too.
 */
export function defineApiRoute<const M extends RouteMeta>(
  meta: M,
  handler: (context: RouteContext<M>) => unknown,
  page?: (context: RouteContext<M> & PageContext) => Promise<PageContent>,
): ApiRouteHandler {
  const eventHandler = defineEventHandler(async (event) => {
    const app = await (meta.duringRecovery ? useStartedApp() : useApp())
    if (page && event.method === 'GET' && wantsHtml(event)) {
      return sendPage(event, app, async (context) => {
        const caller = await authorize(event, app, meta.auth)
        if (caller) noteTenant(event, caller.tenant_id)
        return page({ ...context, caller, body: undefined } as RouteContext<M> & PageContext)
      })
    }
    const caller = await authorize(event, app, meta.auth)
    if (caller) noteTenant(event, caller.tenant_id)
    const reading = meta.body ? readBody(event, meta.body, meta.bodyOptional) : undefined
    const body = meta.jsonRpc ? await orJsonRpcError(reading) : await reading
    if (body instanceof Response) return body
    const answer = await handler({ event, app, caller, body } as RouteContext<M>)
    const status = (event.context.answerStatus as number | undefined) ?? meta.status
    if (status) setResponseStatus(event, status)
    return isJsonAnswer(answer) ? sendJsonNow(event, answer) : answer
  })
  return Object.assign(eventHandler, { meta })
}

function authorize(event: H3Event, app: App, auth: RouteAuth): Promise<Tenant | null> | null {
  switch (auth) {
    case 'none':
      return null
    case 'agent':
    case 'owner':
      return requireTenant(event, app, auth)
    case 'tenant':
      return requireTenant(event, app)
    case 'owner-or-passkey':
      // A page session alone never decides: a decision from a page carries its own passkey, and
      // comes from our own pages; anything else needs a bearer token (AP-15).
      if (getRequestHeader(event, 'authorization') === undefined) {
        if (!isSameOriginRequest(event, app) || !getRequestHeader(event, 'origin'))
          fail('UNAUTHORIZED')
        return null
      }
      return readBearerTenant(event, app)
    case 'owner-or-upload-credential':
      return readUploadCaller(event, app)
    default:
      return readTenant(event, app)
  }
}

function readBody(event: H3Event, name: RequestBodyName, optional?: boolean) {
  const assert = assertRequestBody[name] as (value: unknown) => unknown
  return optional ? readOptionalJsonBody(event, assert) : readJsonBody(event, assert)
}

/** JSON-RPC's own errors for a body that is not JSON, or not a JSON-RPC message. */
async function orJsonRpcError(reading: Promise<unknown> | undefined): Promise<unknown> {
  try {
    return await reading
  } catch (error) {
    if (!isOAuth3Error(error) || !JSON_RPC_ERRORS[error.code]) throw error
    const [code, message] = JSON_RPC_ERRORS[error.code]
    return Response.json(
      { jsonrpc: '2.0', id: null, error: { code, message, data: { code: error.code } } },
      { status: 400 },
    )
  }
}

const JSON_RPC_ERRORS: Record<string, [number, string]> = {
  INVALID_JSON: [-32700, 'Parse error: the body is not JSON'],
  INVALID_BODY: [-32600, 'Invalid Request: not a JSON-RPC message or batch'],
  TOO_DEEP: [-32600, 'Invalid Request: nested too deeply'],
  FORBIDDEN_KEY: [-32600, 'Invalid Request: keys named __proto__, constructor or prototype'],
}

/** Answer this request with `status` instead of the route's declared success status. */
export function answerWithStatus(event: H3Event, status: number): void {
  event.context.answerStatus = status
}

function isJsonAnswer(answer: unknown): answer is object {
  if (answer === null || typeof answer !== 'object') return false
  const proto = Object.getPrototypeOf(answer)
  return proto === Object.prototype || proto === null || Array.isArray(answer)
}

/**
 * A JSON answer written at once: h3 would write it one event-loop turn later (setImmediate),
 * which under load queues every answer behind all pending I/O. Same bytes and headers as h3's.
 */
function sendJsonNow(event: H3Event, answer: object): undefined {
  const response = event.node.res
  if (!response.hasHeader('content-type')) {
    response.setHeader('content-type', 'application/json')
  }
  response.end(JSON.stringify(answer))
  return undefined
}
