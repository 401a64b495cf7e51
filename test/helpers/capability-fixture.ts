/**
 * What the capability contract suite (test/capabilities.contract.test.ts) needs to know about one
 * capability type: a valid spec, specs it must refuse, the owner's credential, a local stand-in
 * for the upstream, and one call with what the agent and the upstream must each see. Adding a
 * type is adding its plugin and one fixture file under test/fixtures/capabilities/.
 */
import type { SeenRequest, UpstreamHandler } from './upstream'

export interface CookieUpload {
  domain: string
  cookies: Array<{ name: string; value: string; domain?: string; path?: string }>
  user_agent?: string
}

export interface CapabilityFixture {
  type: string
  /** The origin the capability reaches; the suite maps it to `upstream`. */
  origin: string
  /** A spec of this type that a permit accepts. */
  spec: Record<string, unknown>
  /** The function it exposes and its signature. */
  signature: string
  /** Specs a permit refuses, each with the API error code. */
  refused: Array<{ why: string; spec: Record<string, unknown>; code: string }>
  /** The owner's credential: secrets given at approval, or cookies uploaded before it. */
  credential: { secrets: Record<string, string> } | { cookies: CookieUpload }
  /** Every value of the credential the agent must never read, in any form. */
  secretValues: string[]
  /** The stand-in upstream. It echoes the credential it received into its answer. */
  upstream: UpstreamHandler
  /** Code that calls the capability once and returns its answer. */
  call: string
  /** The upstream saw the credential attached where the type says, and nothing else of it. */
  expectRequest(request: SeenRequest): void
  /** The agent's answer is shaped as the type says (its secret already redacted). */
  expectAnswer(answer: unknown): void
  /** A call with an argument the type refuses before any request leaves. */
  refusedCall: string
}

export const defineCapabilityFixture = (fixture: CapabilityFixture) => fixture
