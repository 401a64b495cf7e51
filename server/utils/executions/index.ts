export { executeCode } from './submit'
export { failInterruptedExecutions } from './recover'
export {
  describeExecution,
  executionKey,
  permitExecutionsPrefix,
  type ExecutionRecord,
} from './records'
