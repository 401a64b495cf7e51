/**
 * Rate limits count per clock minute (server/store/rate-limit.ts: fixed windows). A test that
 * sends a burst and expects the limit to bite waits, when the minute is about to end, for the next
 * one: across a minute's end the same burst would be counted in two windows and pass.
 */
export async function insideOneClockMinute(marginMs = 15_000): Promise<void> {
  const intoMinute = Date.now() % 60_000
  if (intoMinute > 60_000 - marginMs) {
    await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 200))
  }
}
