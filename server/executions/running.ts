/**
 * The executions this process is running now, with when each started. "executing" is read from
 * here rather than written to the store at every start (a store write per execution saved); a
 * reader on another instance sees "approved" until the terminal state.
 */
export interface RunningExecutions {
  start(id: string): number
  startedAt(id: string): number | undefined
  end(id: string): void
}

export function createRunningExecutions(): RunningExecutions {
  const started = new Map<string, number>()
  return {
    start(id) {
      const at = Date.now()
      started.set(id, at)
      return at
    },
    startedAt: (id) => started.get(id),
    end(id) {
      started.delete(id)
    },
  }
}
