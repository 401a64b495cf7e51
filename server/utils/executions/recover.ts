/**
 * At boot: executions this node had accepted but not finished were interrupted by the restart.
 * They become `failed` with `interrupted`, and are never run again (SECURITY.md rule 18).
 */
import type { App } from '../app'
import { executionKey, runningPrefix, type ExecutionRecord } from './records'
import { finishExecution } from './run'

export async function failInterruptedExecutions(app: App): Promise<number> {
  const prefix = runningPrefix(app.settings.nodeId)
  const keys = await app.store.keys(prefix)
  for (const key of keys) {
    const id = key.slice(prefix.length + 1)
    const record = await app.store.get<ExecutionRecord>(executionKey(id))
    if (!record) {
      await app.store.remove(key)
      continue
    }
    await finishExecution(
      app,
      id,
      undefined,
      'interrupted: the server restarted while this execution was pending or running; it was not re-run',
    )
  }
  return keys.length
}
