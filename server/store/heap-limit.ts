/**
 * The old generation's limit: where long-lived records (the journal's) live. V8's
 * `heap_size_limit` also counts the young generation — three semi-spaces: 48 MB on Node 20,
 * 192 MB on Node 24 by default, or three times `--max-semi-space-size` — which such records never
 * stay in. With `--max-old-space-size=128`, Node 24 reports 320 MB: a guard sized on that let the
 * journal grow until the 128 MB ran out.
 */
import { getHeapStatistics } from 'node:v8'

const MB = 1024 * 1024
/** The largest default semi-space (Node 22 and later), assumed when no flag sets it. */
const DEFAULT_SEMI_SPACE_MB = 64

export function oldGenerationLimit(
  flags: string[] = nodeFlags(),
  heapSizeLimit = getHeapStatistics().heap_size_limit,
): number {
  const oldSpace = flagMb(flags, 'max-old-space-size')
  if (oldSpace !== undefined) return Math.min(heapSizeLimit, oldSpace * MB)
  const young = 3 * (flagMb(flags, 'max-semi-space-size') ?? DEFAULT_SEMI_SPACE_MB) * MB
  // A heap set only by its total (--max-heap-size) may be small: never less than a quarter of it.
  return Math.max(heapSizeLimit - young, heapSizeLimit / 4)
}

/** NODE_OPTIONS first, the command line after it: the last setting of a flag is the one V8 keeps. */
function nodeFlags(): string[] {
  return [...(process.env.NODE_OPTIONS ?? '').split(/\s+/), ...process.execArgv]
}

function flagMb(flags: string[], name: string): number | undefined {
  // V8 takes `-` and `_` alike in a flag's name.
  const pattern = new RegExp(`^--${name.replaceAll('-', '[-_]')}=(\\d+)$`)
  let value: number | undefined
  for (const flag of flags) {
    const match = pattern.exec(flag)
    if (match) value = Number(match[1])
  }
  return value
}
