/**
 * The MCP tools, acting as the agent whose bearer token called /mcp: list and describe skills,
 * request a permit (its approval URL is for the agent's human), wait for the decision, run a skill
 * (one tool per registry skill, whose input schema is the skill's own `args` schema), execute
 * code, read a result. Results are the API's own answers as JSON text — the receipt included.
 */
import { fail, isOAuth3Error } from '../../core/errors'
import { LIMITS } from '../../core/limits'
import { assertRequestBody } from '../../core/schemas'
import type { Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { readStatus, TERMINAL_STATUSES, waitForStatus } from '../executions/status'
import { executeCode } from '../executions/submit'
import { requestPermit } from '../permits/request'
import { readIndexedPermits, permitStatusOf } from '../permits/records'
import {
  describeSkillVersion,
  listSkills,
  resolveSkill,
  skillsPublishedBy,
} from '../skills/registry'

export interface ToolCaller {
  app: App
  agent: Tenant
  publicOrigin: string
}

interface Tool {
  name: string
  description: string
  inputSchema: { type: 'object'; [keyword: string]: unknown }
}

/** How long a tool call waits for an execution or a decision before answering its current state. */
const TOOL_WAIT_MS = 60_000
/** At most this many skills become tools. */
const SKILL_TOOLS_MAX = 100
const SKILL_TOOL_PREFIX = 'run_'

const ID = { type: 'string', minLength: 1, maxLength: 64 }

const FIXED_TOOLS: Tool[] = [
  {
    name: 'list_skills',
    description: 'The skills published on this server: id, latest version, description.',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  },
  {
    name: 'describe_skill',
    description: "A skill's manifest, code, capabilities and args schema.",
    inputSchema: {
      type: 'object',
      properties: { id: ID, version: { type: 'string', maxLength: 64 } },
      required: ['id'],
      additionalProperties: false,
    },
  },
  {
    name: 'request_permit',
    description:
      'Ask your human for a permit: a skill (skill_id) or capability specs. Answers approval_url — give it to your human — and request_id to wait on.',
    inputSchema: {
      type: 'object',
      properties: {
        description: { type: 'string', maxLength: 500 },
        skill_id: ID,
        capabilities: { type: 'array', maxItems: 32, items: { type: 'object' } },
        ttl_seconds: { type: 'integer', minimum: 60 },
        max_executions: { type: 'integer', minimum: 1 },
      },
      additionalProperties: false,
    },
  },
  {
    name: 'wait_for_permit',
    description: 'Wait (up to 60 s) for the human to decide a permit request; answers its status.',
    inputSchema: {
      type: 'object',
      properties: { request_id: ID },
      required: ['request_id'],
      additionalProperties: false,
    },
  },
  {
    name: 'execute_code',
    description:
      'Run JavaScript (an async function body; `return x` sets result.value) under a permit, whose capability functions are its only powers. Waits up to 60 s for the result.',
    inputSchema: {
      type: 'object',
      properties: {
        code: { type: 'string', minLength: 1 },
        permit_id: ID,
        args: { type: 'object' },
      },
      required: ['code'],
      additionalProperties: false,
    },
  },
  {
    name: 'get_result',
    description: 'The status and result of an execution (waits up to 60 s for it to end).',
    inputSchema: {
      type: 'object',
      properties: { request_id: ID },
      required: ['request_id'],
      additionalProperties: false,
    },
  },
]

/**
 * The agent's tool list holds only skills it trusts (rule 21): the bundled ones, always and first
 * (never crowded out), then skills the agent or its owner published and skills its owner approved
 * a permit for. Another tenant's text never becomes a tool description: a chosen skill that
 * someone else published is described by its id and version only. Every skill stays readable as
 * data through list_skills and describe_skill.
 */
export async function listTools(app: App, agent: Tenant): Promise<Tool[]> {
  const chosen = await chosenSkills(app, agent)
  const bundled = [...app.bundledSkills.keys()].sort()
  const others = [...chosen.keys()]
    .filter((id) => !app.bundledSkills.has(id))
    .sort()
    .slice(0, SKILL_TOOLS_MAX)
  const tools = [...FIXED_TOOLS]
  for (const id of [...bundled, ...others]) {
    const name = `${SKILL_TOOL_PREFIX}${id}`
    if (name.length > 64) continue
    const version = await resolveSkill(app, id)
    const needsPermit = version.capabilities.length > 0
    const trustedText = app.bundledSkills.has(id) || chosen.get(id) === 'own'
    const what = trustedText
      ? version.description
      : `Runs the registry skill ${version.id}, which your owner approved (read it with describe_skill).`
    tools.push({
      name,
      description: `${what} (skill ${version.id}@${version.version}${needsPermit ? '; needs a permit bound to it: request_permit with skill_id' : ''})`,
      inputSchema: {
        type: 'object',
        properties: {
          ...(needsPermit
            ? { permit_id: { ...ID, description: 'the permit bound to this skill' } }
            : {}),
          args: trustedText ? (version.manifest.args ?? { type: 'object' }) : { type: 'object' },
        },
        required: needsPermit ? ['permit_id', 'args'] : ['args'],
        additionalProperties: false,
      },
    })
  }
  return tools
}

/** Skills the agent's side chose: `own` (published by it or its owner) or `approved` (a permit). */
async function chosenSkills(app: App, agent: Tenant): Promise<Map<string, 'own' | 'approved'>> {
  const chosen = new Map<string, 'own' | 'approved'>()
  for (const permit of await readIndexedPermits(app, agent)) {
    if (permit.skill && permitStatusOf(permit) === 'active') chosen.set(permit.skill.id, 'approved')
  }
  const publishers = new Set([agent.tenant_id, ...(agent.owner_id ? [agent.owner_id] : [])])
  for (const id of await skillsPublishedBy(app, publishers)) chosen.set(id, 'own')
  return chosen
}

export async function callTool(
  caller: ToolCaller,
  name: string,
  input: Record<string, unknown> = {},
) {
  try {
    const answer = await runTool(caller, name, input)
    const failed =
      typeof answer === 'object' &&
      answer !== null &&
      ['failed', 'denied', 'expired'].includes(String((answer as { status?: unknown }).status))
    return {
      content: [{ type: 'text' as const, text: JSON.stringify(answer, null, 2) }],
      ...(failed ? { isError: true } : {}),
    }
  } catch (error) {
    if (!isOAuth3Error(error)) throw error
    return {
      content: [{ type: 'text' as const, text: `${error.code}: ${error.message}` }],
      isError: true,
    }
  }
}

async function runTool(caller: ToolCaller, name: string, input: Record<string, unknown>) {
  const { app, agent, publicOrigin } = caller
  const text = (key: string) =>
    typeof input[key] === 'string' ? (input[key] as string) : undefined
  switch (name) {
    case 'list_skills':
      return listSkills(app)
    case 'describe_skill': {
      const id = text('id') ?? ''
      const version = text('version') ?? (await resolveSkill(app, id)).version
      return describeSkillVersion(app, id, version)
    }
    case 'request_permit':
      return requestPermit(app, agent, assertRequestBody.permitRequest(input), publicOrigin)
    case 'wait_for_permit':
    case 'get_result':
      return settle(caller, text('request_id') ?? '')
    case 'execute_code':
      return runAndSettle(caller, {
        code: text('code'),
        ...(text('permit_id') ? { permit_id: text('permit_id') } : {}),
        ...(input.args !== undefined ? { args: input.args } : {}),
      })
    default:
      if (!name.startsWith(SKILL_TOOL_PREFIX)) return fail('NOT_FOUND')
      return runAndSettle(caller, {
        skill_id: name.slice(SKILL_TOOL_PREFIX.length),
        ...(text('permit_id') ? { permit_id: text('permit_id') } : {}),
        args: input.args ?? {},
      })
  }
}

async function runAndSettle(caller: ToolCaller, body: Record<string, unknown>) {
  const submitted = await executeCode(
    caller.app,
    caller.agent,
    assertRequestBody.executeRequest(body),
    { publicOrigin: caller.publicOrigin },
  )
  return settle(caller, submitted.request_id)
}

/** The request's status once it ends, or as it is after the wait. */
async function settle(caller: ToolCaller, id: string) {
  const viewer = { tenant: caller.agent }
  const now = await readStatus(caller.app, viewer, id)
  if (TERMINAL_STATUSES.has(now.body.status)) return now.body
  return waitForStatus(caller.app, viewer, id, {
    timeoutMs: Math.min(TOOL_WAIT_MS, LIMITS.LONG_POLL_MAX_MS),
    signal: new AbortController().signal,
  })
}
