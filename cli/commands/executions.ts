/** `oauth3 exec`, `run`, `status`, `history`: code or skills under permits, live with --follow. */
import { readFileSync } from 'node:fs'
import { defineCommand } from 'citty'
import type { ExecuteParams, ExecutionStatus } from '../../sdk/src/index'
import { clientFor, COMMON_ARGS, parseJsonArg, print, printExecution, UsageError } from '../context'

function readCode(source: string): string {
  try {
    return source === '-' ? readFileSync(0, 'utf8') : readFileSync(source, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
}

/** Submit, then print output as it comes (stdout to stdout, the rest to stderr) until the end. */
async function follow(
  args: { json?: boolean; url?: string; token?: string },
  params: ExecuteParams,
) {
  const client = await clientFor(args)
  const submitted = await client.submit(params)
  let end: ExecutionStatus | undefined
  for await (const event of client.events(submitted.request_id)) {
    if (event.type === 'end') {
      end = event.data
      continue
    }
    if (args.json) continue
    if (event.type === 'stdout') process.stdout.write(event.data)
    else if (event.type === 'stderr') process.stderr.write(event.data)
    else {
      const call = event.data
      process.stderr.write(
        `→ ${call.method} ${call.url} ${call.status || call.error} (${call.duration} ms)\n`,
      )
    }
  }
  if (!end) end = await client.poll(submitted.request_id)
  return printExecution(args, end, { stdout: false })
}

const EXEC_ARGS = {
  ...COMMON_ARGS,
  permit: { type: 'string', description: 'the permit whose capabilities the code may call' },
  args: { type: 'string', description: 'JSON object given to the code as `args`' },
  follow: { type: 'boolean', description: 'print output and calls as they happen' },
} as const

export const exec = defineCommand({
  meta: {
    name: 'exec',
    description: 'Run code (or a skill) under a permit; exit 0 only if completed',
  },
  args: {
    ...EXEC_ARGS,
    code: { type: 'string', description: 'a file holding the code (an async function body), or -' },
    skill: { type: 'string', description: 'a registry skill id[@range] to run instead' },
  },
  async run({ args }) {
    if (Boolean(args.code) === Boolean(args.skill))
      throw new UsageError('give --code <file|-> or --skill <id>')
    const params: ExecuteParams = {
      ...(args.code ? { code: readCode(args.code) } : { skill_id: args.skill! }),
      ...(args.permit ? { permit_id: args.permit } : {}),
      ...(args.args ? { args: parseJsonArg(args.args, '--args') } : {}),
    }
    if (args.follow) return follow(args, params)
    const client = await clientFor(args)
    return printExecution(args, await client.executeAndWait(params))
  },
})

export const run = defineCommand({
  meta: { name: 'run', description: 'Run a registry skill; exit 0 only if completed' },
  args: {
    ...EXEC_ARGS,
    skill: { type: 'positional', required: true, description: 'skill id[@range]' },
  },
  async run({ args }) {
    const params: ExecuteParams = {
      skill_id: args.skill,
      args: parseJsonArg(args.args, '--args'),
      ...(args.permit ? { permit_id: args.permit } : {}),
    }
    if (args.follow) return follow(args, params)
    const client = await clientFor(args)
    return printExecution(args, await client.executeAndWait(params))
  },
})

export const status = defineCommand({
  meta: { name: 'status', description: 'The state of an execution or permit request' },
  args: {
    ...COMMON_ARGS,
    id: { type: 'positional', required: true, description: 'exec_… or preq_…' },
  },
  async run({ args }) {
    const client = await clientFor(args)
    const body = await client.request<ExecutionStatus>(
      'GET',
      `/execute/${encodeURIComponent(args.id)}/status`,
    )
    if (body.result) return printExecution(args, body)
    print(args, body, () => `${body.status} (${body.request_id})`)
    return body.status === 'completed' ? 0 : 1
  },
})

export const history = defineCommand({
  meta: { name: 'history', description: 'Your recent executions' },
  args: { ...COMMON_ARGS, limit: { type: 'string', default: '20' } },
  async run({ args }) {
    const client = await clientFor(args)
    const { executions } = await client.history(Number(args.limit) || 20)
    print(
      args,
      executions,
      () =>
        executions
          .map(
            (item) =>
              `${item.request_id}  ${String(item.status).padEnd(9)}  ${new Date(Number(item.created_at)).toISOString()}`,
          )
          .join('\n') || 'no executions yet',
    )
    return 0
  },
})
