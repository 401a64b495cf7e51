/**
 * A failure to start, in the words of the setting behind it: `NITRO_DATA_DIR /srv/data: EACCES:
 * permission denied, mkdir '/srv/data/store'`. The entry prints it as one line and exits 1.
 */
export class StartupError extends Error {}

/** Run one step of startup; a failure becomes a StartupError naming `setting` and `subject`. */
export async function startupStep<T>(
  setting: string,
  subject: string,
  step: () => Promise<T> | T,
): Promise<T> {
  try {
    return await step()
  } catch (error) {
    if (error instanceof StartupError) throw error
    const message = String((error as Error)?.message ?? error).split('\n')[0]
    throw new StartupError(`${setting} ${subject}: ${message}`)
  }
}

/** A Redis URL as it may be printed: without its password. */
export function printableUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString().replace(/\/$/, '')
  } catch {
    return '(unparsable URL)'
  }
}
