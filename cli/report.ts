/**
 * How the verifying commands answer: one line per check (ok, FAIL, or skip with why), the facts
 * learned, the chain of trust link by link when there is one, and a last line that says in plain
 * words what was proved — or, with --json, `{ ok, checks: [{ name, ok, code?, reason?,
 * skipped? }], chain?, summary, ...facts }`. Exit code 0 only when every check asked for passed.
 */
import type { Check } from '../core/attestation/verify-quote'
import type { Verdict } from '../core/attestation/verdict'

export interface Outcome {
  ok: boolean
  checks: Check[]
}

export function report(
  title: string,
  outcome: Outcome,
  options: {
    json: boolean
    facts?: Record<string, unknown>
    /** The chain of trust (quotes and attestations); or, for a receipt, what it proves. */
    verdict?: Verdict
    proved?: string
  },
): number {
  const facts = Object.fromEntries(
    Object.entries(options.facts ?? {}).filter(([, value]) => value !== undefined),
  )
  const failed = outcome.checks.filter((check) => !check.ok)
  const summary = outcome.ok
    ? options.verdict
      ? `Proved: ${options.verdict.summary}.`
      : `Proved: ${options.proved}`
    : `NOT proved: ${failed.length} check(s) failed (${failed.map((check) => check.name).join(', ')})${options.verdict ? `; ${options.verdict.summary}` : ''}.`
  if (options.json) {
    const verdict = options.verdict ? { chain: options.verdict.chain } : {}
    console.log(
      JSON.stringify(
        { ok: outcome.ok, checks: outcome.checks, ...verdict, summary, ...facts },
        null,
        2,
      ),
    )
    return outcome.ok ? 0 : 1
  }
  const width = Math.max(...outcome.checks.map((check) => check.name.length), 12) + 2
  const lines = [`${title}:`]
  for (const check of outcome.checks) {
    const mark = !check.ok ? 'FAIL' : check.skipped ? 'skip' : 'ok  '
    const why = check.code ? `${check.code}: ${check.reason}` : (check.reason ?? '')
    lines.push(`  ${mark}  ${check.name.padEnd(width)}${why}`.trimEnd())
  }
  for (const [name, value] of Object.entries(facts))
    lines.push(`  ${name.padEnd(width + 6)}${String(value)}`)
  if (options.verdict) {
    lines.push('Chain of trust:')
    for (const link of options.verdict.chain)
      lines.push(`  ${link.state.padEnd(9)} ${link.link.padEnd(13)} ${link.detail}`)
  }
  lines.push(summary)
  console.log(lines.join('\n'))
  return outcome.ok ? 0 : 1
}
