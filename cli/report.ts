/**
 * How the verifying commands answer: one line per check (ok, FAIL, or skip with why), the facts
 * learned, and a last line that says in plain words what was proved — or, with --json,
 * `{ ok, checks: [{ name, ok, code?, reason?, skipped? }], ...facts }`. Exit code 0 only when
 * every check asked for passed.
 */
import type { Check } from '../core/attestation/verify-quote'

export interface Outcome {
  ok: boolean
  checks: Check[]
}

export function report(
  title: string,
  outcome: Outcome,
  options: { json: boolean; facts?: Record<string, string | undefined>; proved: string },
): number {
  const facts = Object.fromEntries(
    Object.entries(options.facts ?? {}).filter(([, value]) => value !== undefined),
  )
  if (options.json) {
    console.log(JSON.stringify({ ok: outcome.ok, checks: outcome.checks, ...facts }, null, 2))
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
    lines.push(`  ${name.padEnd(width + 6)}${value}`)
  const failed = outcome.checks.filter((check) => !check.ok)
  lines.push(
    outcome.ok
      ? `Proved: ${options.proved}`
      : `NOT proved: ${failed.length} check(s) failed (${failed.map((check) => check.name).join(', ')}).`,
  )
  console.log(lines.join('\n'))
  return outcome.ok ? 0 : 1
}
