/**
 * The code check (core/code-check.ts) by code hash: agents send the same code again and again, and
 * parsing it each time cost more than the rest of the submit. Only code that passed is kept (a
 * refusal carries its own details); the cache is bounded, oldest first out.
 */
import { assertRunnableCode } from '../../core/code-check'
import { sha256Hex } from '../../core/hash'

const PASSED_MAX = 2048
const passed = new Set<string>()

/** Check `code` (once per distinct text) and answer its sha256. */
export function checkCode(code: string): string {
  const sha256 = sha256Hex(code)
  if (passed.has(sha256)) return sha256
  assertRunnableCode(code)
  if (passed.size >= PASSED_MAX) passed.delete(passed.values().next().value!)
  passed.add(sha256)
  return sha256
}
