/**
 * At boot: executions this node had accepted but not finished were interrupted by the restart.
 * They become `failed` with `interrupted`, and are never run again (rule 18).
 */
import { failure } from '../../core/errors'
import type { App } from '../app'
import { readRunningOn } from './records'
import { finishExecution } from './run'

export async function failInterruptedExecutions(app: App): Promise<number> {
  const ids = await readRunningOn(app, app.settings.nodeId)
  const interrupted = failure(
    'interrupted',
    'the server restarted while this execution was pending or running; it was not re-run',
  )
  for (const id of ids) await finishExecution(app, id, undefined, interrupted)
  return ids.length
}
