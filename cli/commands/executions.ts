/**
 * `oauth3 exec`, `run`, `status`, `logs`, `history`: code or skills under permits, live with
 * --follow; an execution's state (waiting for its end with --wait) and its output (tailed with
 * --follow).
 */
import { readFileSync } from 'node:fs'
import { defineCommand } from 'citty'
import type { ExecuteParams, ExecutionStatus, OAuth3 } from '../../sdk/src/index'
import { paint, statusStyle } from '../colour'
import {
  clientFor,
  COMMON_ARGS,
  integerOption,
  parseJsonArg,
  print,
  printExecution,
  UsageError,
  waiting,
  type CommonArgs,
} from '../context'
import { rememberCode } from '../failure'

function readCode(source: string): string {
  let text: string
  try {
    text = source === '-' ? readFileSync(0, 'utf8') : readFileSync(source, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
  rememberCode(source === '-' ? 'stdin' : source, text)
  return text
}

/**
 * Print an execution's events as they come — stdout to stdout, stderr and calls to stderr — and
 * answer its end (the SDK resumes a dropped stream where it left off).
 */
async function tail(client: OAuth3, id: string, args: CommonArgs): Promise<ExecutionStatus> {
  let end: ExecutionStatus | undefined
  for await (const event of client.events(id)) {
    if (event.type === 'end') {
      end = event.data
      continue
    }
    if (args.json) continue
    if (event.type === 'stdout') process.stdout.write(event.data)
    else if (event.type === 'stderr') process.stderr.write(event.data)
    else {
      const call = event.data
      const outcome = call.error ? paint(process.stderr, 'red', call.error) : String(call.status)
      process.stderr.write(
        `→ ${call.capability}: ${call.method} ${call.url} ${outcome} (${call.duration} ms)\n`,
      )
    }
  }
  return end ?? client.poll(id)
}

/** Submit, then tail its output until the end. */
async function follow(args: CommonArgs, params: ExecuteParams) {
  const client = await clientFor(args)
  const submitted = await client.submit(params)
  const end = await tail(client, submitted.request_id, args)
  return printExecution(args, end, { stdout: false, stderr: false })
}

/** Submit and wait for the result, with a spinner once the wait lasts a second. */
async function runToEnd(args: CommonArgs, params: ExecuteParams) {
  const client = await clientFor(args)
  const spinner = waiting('running')
  const end = await client.executeAndWait(params).finally(() => spinner.stop())
  return printExecution(args, end)
}

const EXEC_ARGS = {
  ...COMMON_ARGS,
  permit: {
    type: 'string',
    valueHint: 'permit_id',
    description: 'the permit whose capabilities the code may call',
  },
  args: {
    type: 'string',
    valueHint: 'json',
    description: 'JSON object given to the code as `args`',
  },
  follow: { type: 'boolean', description: 'print output and calls as they happen' },
} as const

export const exec = defineCommand({
  meta: {
    name: 'exec',
    description: 'Run code (or a skill) under a permit; exit 0 only if completed',
  },
  args: {
    ...EXEC_ARGS,
    code: {
      type: 'string',
      valueHint: 'file|-',
      description: 'a file holding the code (an async function body), or - for stdin',
    },
    skill: {
      type: 'string',
      valueHint: 'id',
      description: 'a registry skill id[@range] to run instead',
    },
  },
  async run({ args }) {
    if (Boolean(args.code) === Boolean(args.skill))
      throw new UsageError('give --code <file|-> or --skill <id> (one of them)')
    const params: ExecuteParams = {
      ...(args.code ? { code: readCode(args.code) } : { skill_id: args.skill! }),
      ...(args.permit ? { permit_id: args.permit } : {}),
      ...(args.args ? { args: parseJsonArg(args.args, '--args') } : {}),
    }
    return args.follow ? follow(args, params) : runToEnd(args, params)
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
    return args.follow ? follow(args, params) : runToEnd(args, params)
  },
})

const ID = { type: 'positional', required: true, description: 'exec_… or preq_…' } as const

export const status = defineCommand({
  meta: { name: 'status', description: 'The state of an execution or permit request' },
  args: {
    ...COMMON_ARGS,
    id: ID,
    wait: { type: 'boolean', description: 'wait until it ends (or --timeout passes)' },
    timeout: {
      type: 'string',
      valueHint: 'seconds',
      description: 'how long --wait waits (default 300)',
    },
  },
  async run({ args }) {
    const timeout = integerOption(args.timeout, '--timeout', { min: 1, max: 86_400, fallback: 300 })
    if (args.timeout !== undefined && !args.wait) throw new UsageError('--timeout goes with --wait')
    const client = await clientFor(args)
    let body: ExecutionStatus
    if (args.wait) {
      const spinner = waiting(`waiting for ${args.id}`)
      body = await client.poll(args.id, timeout * 1000).finally(() => spinner.stop())
    } else {
      body = await client.request<ExecutionStatus>(
        'GET',
        `/execute/${encodeURIComponent(args.id)}/status`,
      )
    }
    if (body.result) return printExecution(args, body)
    print(args, body, () =>
      [
        ...(body.error ? [`error: ${body.error}`] : []),
        `${paint(process.stdout, statusStyle(body.status), body.status)} (${body.request_id})`,
      ].join('\n'),
    )
    return body.status === 'completed' ? 0 : 1
  },
})

export const logs = defineCommand({
  meta: {
    name: 'logs',
    description: "An execution's output (stdout to stdout, stderr to stderr); --follow tails it",
  },
  args: {
    ...COMMON_ARGS,
    id: { type: 'positional', required: true, description: 'exec_…' },
    follow: {
      type: 'boolean',
      description: 'print output and calls as they happen, until the end',
    },
  },
  async run({ args }) {
    if (!args.id.startsWith('exec_')) throw new UsageError('logs takes an execution id (exec_…)')
    const client = await clientFor(args)
    if (args.follow) {
      const end = await tail(client, args.id, args)
      if (args.json) print(args, end, () => '')
      else
        console.error(
          `${paint(process.stderr, statusStyle(end.status), end.status)} (${end.request_id})`,
        )
      return end.status === 'completed' ? 0 : 1
    }
    const body = await client.request<ExecutionStatus>(
      'GET',
      `/execute/${encodeURIComponent(args.id)}/status`,
    )
    const result = body.result
    if (args.json) {
      print(
        args,
        {
          request_id: body.request_id,
          status: body.status,
          stdout: result?.stdout ?? '',
          stderr: result?.stderr ?? '',
        },
        () => '',
      )
    } else {
      if (result?.stdout) process.stdout.write(result.stdout)
      if (result?.stderr) process.stderr.write(result.stderr)
      if (!result) console.error(`${body.status}: no output yet (--follow tails it)`)
    }
    return 0
  },
})

export const history = defineCommand({
  meta: { name: 'history', description: 'Your recent executions' },
  args: {
    ...COMMON_ARGS,
    limit: { type: 'string', valueHint: 'n', description: 'how many, 1 to 200 (default 20)' },
  },
  async run({ args }) {
    const limit = integerOption(args.limit, '--limit', { min: 1, max: 200, fallback: 20 })
    const client = await clientFor(args)
    const { executions } = await client.history(limit)
    print(
      args,
      executions,
      () =>
        executions
          .map(
            (item) =>
              `${item.request_id}  ${paint(process.stdout, statusStyle(String(item.status)), String(item.status).padEnd(9))}  ${new Date(Number(item.created_at)).toISOString()}`,
          )
          .join('\n') || 'no executions yet',
    )
    return 0
  },
})
