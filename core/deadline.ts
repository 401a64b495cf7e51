/**
 * A promise raced against a deadline: its own outcome, or what `late()` answers (or throws) once
 * `ms` have passed first. The timer never outlives the race.
 */
export async function withDeadline<T, L>(
  promise: Promise<T>,
  ms: number,
  late: () => L,
): Promise<T | L> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<L>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(late())
      } catch (error) {
        reject(error)
      }
    }, ms)
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}
