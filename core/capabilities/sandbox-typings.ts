/**
 * sandbox.d.ts: what a sandbox's global scope holds beyond lib es2022 — exactly, checked against
 * a live Compartment by test/sandbox-typings.test.ts. The ES2022 built-ins are there, hardened
 * (frozen), except those the guest withholds (SB-14), which lib es2022 still declares: code
 * using them type-checks and throws a ReferenceError when it runs. No timers, no fetch, no
 * process, no modules: code using them fails to type-check, as it would fail to run. Shipped
 * inside every permit's .d.ts and served alone at GET /sandbox.d.ts.
 */

/** Declared by lib es2022 but absent from a sandbox: withheld by the guest, or removed by SES. */
export const LIB_GLOBALS_ABSENT = [
  'ArrayBuffer',
  'Atomics',
  'BigInt64Array',
  'BigUint64Array',
  'DataView',
  'FinalizationRegistry',
  'Float32Array',
  'Float64Array',
  'Int16Array',
  'Int32Array',
  'Int8Array',
  'Intl',
  'SharedArrayBuffer',
  'Uint16Array',
  'Uint32Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'WeakRef',
] as const

export const SANDBOX_DTS = `// sandbox.d.ts — the globals of an OAuth3 sandbox beyond lib es2022 (generated; do not edit).
// A hardened SES Compartment: the ES2022 built-ins, frozen, without ${LIB_GLOBALS_ABSENT.join(', ')}
// (lib es2022 declares them; using them throws a ReferenceError). No timers, no fetch, no process,
// no modules. Check code with: tsc --lib es2022 --noEmit (no dom, no Node types).

// Named as in lib dom and Node's types, so that beside either the interfaces merge.
interface Console {
  /** A line of stdout. */
  log(...data: unknown[]): void
  /** A line of stdout. */
  info(...data: unknown[]): void
  /** A line of stdout. */
  debug(...data: unknown[]): void
  /** A line of stderr. */
  warn(...data: unknown[]): void
  /** A line of stderr. */
  error(...data: unknown[]): void
}
declare var console: Console

/** Freezes a value and everything reachable from it, transitively (SES). */
declare function harden<T>(value: T): T

interface TextEncoder {
  readonly encoding: string
  encode(input?: string): Uint8Array
}
declare var TextEncoder: { prototype: TextEncoder; new (): TextEncoder }

interface TextDecoder {
  readonly encoding: string
  readonly fatal: boolean
  readonly ignoreBOM: boolean
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string
}
declare var TextDecoder: {
  prototype: TextDecoder
  new (label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean }): TextDecoder
}
`
