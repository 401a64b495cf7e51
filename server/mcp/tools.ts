/**
 * The MCP tools, acting as the agent whose bearer token called /mcp: list and describe skills,
 * request a permit (its approval URL is for the agent's human), wait for the decision, run a skill
 * (one tool per trusted skill, its parameters the skill's own args), execute code, read a result.
 *
 * A call's input is checked against the tool's input schema first: a mismatch, like an unknown
 * tool, is a JSON-RPC error (-32602) naming the path, and nothing runs. A result carries the API's
 * own answer as `structuredContent` (receipt included), checked by clients against the tool's
 * output schema, and a short summary as text for the model. Refusals and failed executions are
 * results with `isError`. No wait outlasts TOOL_WAIT_MS: the agent calls again.
 */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
import type { ValidateFunction } from 'ajv'
import { fail, isOAuth3Error, type OAuth3Error } from '../../core/errors'
import { assertRequestBody } from '../../core/schemas'
import type { Tenant } from '../accounts/tenants'
import type { App } from '../app'
import { executeCode } from '../executions/submit'
import { requestPermit } from '../permits/request'
import { readIndexedPermits, permitStatusOf } from '../permits/records'
import {
  describeSkillVersion,
  listSkills,
  resolveSkill,
  skillsPublishedBy,
} from '../skills/registry'
import type { StatusBody } from '../../schemas/types'
import { returnsValidator, valueMismatch } from './returns'
import { checkToolInput, invalidParams } from './tool-inputs'
import { summarize } from './summary'
import {
  FIXED_TOOLS,
  skillToolInput,
  skillToolOutput,
  type ArgsShape,
  type Tool,
} from './tool-schemas'
import { settle, type WaitProgress } from './waits'

export interface ToolCaller {
  app: App
  agent: Tenant
  publicOrigin: string
  /** Told while a call waits, when the client asked for progress. */
  progress?: WaitProgress
}

/** At most this many skills become tools. */
const SKILL_TOOLS_MAX = 100
const SKILL_TOOL_PREFIX = 'run_'
const FIXED_BY_NAME = new Map(FIXED_TOOLS.map((tool) => [tool.name, tool]))

/** A skill tool as listed, and how its input becomes the skill's args. */
interface SkillTool extends Tool {
  skillId: string
  needsPermit: boolean
  argsShape: ArgsShape
  /** The skill's `returns` schema, compiled, when it types the result. */
  checkValue: ValidateFunction | null
}

/**
 * The agent's tool list holds only skills it trusts (rule 21): the bundled ones, always and first
 * (never crowded out), then skills the agent or its owner published and skills its owner approved
 * a permit for. Another tenant's text never becomes a tool description or schema: a chosen skill
 * that someone else published is described by its id and version only, its args taken as any
 * object. Every skill stays readable as data through list_skills and describe_skill.
 */
export async function listTools(app: App, agent: Tenant): Promise<Tool[]> {
  const tools: Tool[] = [...FIXED_TOOLS]
  for (const tool of (await skillTools(app, agent)).values()) {
    const {
      skillId: _id,
      needsPermit: _permit,
      argsShape: _shape,
      checkValue: _check,
      ...listed
    } = tool
    tools.push(listed)
  }
  return tools
}

async function skillTools(app: App, agent: Tenant): Promise<Map<string, SkillTool>> {
  const chosen = await chosenSkills(app, agent)
  const bundled = [...app.bundledSkills.keys()].sort()
  const others = [...chosen.keys()]
    .filter((id) => !app.bundledSkills.has(id))
    .sort()
    .slice(0, SKILL_TOOLS_MAX)
  const tools = new Map<string, SkillTool>()
  for (const id of [...bundled, ...others]) {
    const name = `${SKILL_TOOL_PREFIX}${id}`
    if (name.length > 64) continue
    const version = await resolveSkill(app, id)
    const needsPermit = version.capabilities.length > 0
    const trustedText = app.bundledSkills.has(id) || chosen.get(id) === 'own'
    const what = trustedText
      ? version.description
      : `Runs the registry skill ${version.id}, which your owner approved (read it with describe_skill).`
    const input = skillToolInput(trustedText ? version.manifest.args : undefined, needsPermit)
    const checkValue = trustedText
      ? returnsValidator({ sha256: version.sha256, returns: version.manifest.returns })
      : null
    const title = `Run ${version.id}`
    tools.set(name, {
      name,
      title,
      description: `${what} (skill ${version.id}@${version.version}${needsPermit ? '; needs a permit bound to it: request_permit with skill_id' : ''})`,
      inputSchema: input.inputSchema,
      outputSchema: skillToolOutput(checkValue ? version.manifest.returns : undefined),
      annotations: {
        title,
        readOnlyHint: false,
        // A skill holding capabilities acts on the human's accounts.
        destructiveHint: needsPermit,
        openWorldHint: needsPermit,
      },
      skillId: id,
      needsPermit,
      argsShape: input.argsShape,
      checkValue,
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

/** Refusals that mean "the input does not fit the tool": JSON-RPC -32602, not a tool result. */
const INPUT_ERRORS = new Set([
  'INVALID_BODY',
  'INVALID_ARGS',
  'INVALID_CAPABILITY',
  'UNSAFE_PATTERN',
  'TOO_DEEP',
  'FORBIDDEN_KEY',
])

export async function callTool(caller: ToolCaller, name: string, input: Record<string, unknown>) {
  const fixed = FIXED_BY_NAME.get(name)
  const skill = fixed ? undefined : (await skillTools(caller.app, caller.agent)).get(name)
  if (!fixed && !skill) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`)
  try {
    if (fixed) checkToolInput(fixed, input)
    const answer = fixed
      ? await runFixedTool(caller, name, input)
      : await runSkill(caller, skill!, input)
    const { text, isError } = summarize(name, answer)
    const { structured, note } = skill?.checkValue
      ? keepToReturns(skill.checkValue, answer as StatusBody)
      : { structured: answer, note: '' }
    return {
      content: [{ type: 'text' as const, text: text + note }],
      structuredContent: structured as Record<string, unknown>,
      ...(isError ? { isError: true } : {}),
    }
  } catch (error) {
    if (!isOAuth3Error(error)) throw error
    if (INPUT_ERRORS.has(error.code)) throw invalidParams(error)
    return { content: [{ type: 'text' as const, text: refusalText(error) }], isError: true }
  }
}

/** A value its skill's `returns` does not describe stays out of the structured result. */
function keepToReturns(validate: ValidateFunction, body: StatusBody) {
  const result = body.result
  const mismatch = result && 'value' in result ? valueMismatch(validate, result.value) : undefined
  if (!mismatch || !result) return { structured: body, note: '' }
  const { value: _value, ...rest } = result
  return {
    structured: { ...body, result: rest },
    note: `\nThe value is not what the skill's returns schema says (${mismatch}): it is in this text only.`,
  }
}

/** A refusal in words: its code and message, and what the details say (never a stack). */
function refusalText(error: OAuth3Error): string {
  const details = error.details ? `\n${JSON.stringify(error.details).slice(0, 2000)}` : ''
  return `${error.code}: ${error.message}${details}`
}

async function runFixedTool(caller: ToolCaller, name: string, input: Record<string, unknown>) {
  const { app, agent, publicOrigin } = caller
  const text = (key: string) => input[key] as string | undefined
  switch (name) {
    case 'list_skills':
      return listSkills(app)
    case 'describe_skill': {
      const id = text('id')!
      const version = text('version') ?? (await resolveSkill(app, id)).version
      return describeSkillVersion(app, id, version)
    }
    case 'request_permit':
      return requestPermit(app, agent, assertRequestBody.permitRequest(input), publicOrigin)
    case 'wait_for_permit':
    case 'get_result':
      return settle(caller, text('request_id')!)
    case 'execute_code':
      return runAndSettle(caller, {
        code: text('code'),
        ...(input.permit_id !== undefined ? { permit_id: input.permit_id } : {}),
        ...(input.args !== undefined ? { args: input.args } : {}),
      })
    default:
      return fail('NOT_FOUND')
  }
}

/**
 * A skill tool's input: permit_id, and the skill's args — its own properties when flat. A call
 * that nests them under `args` (the earlier shape) is taken as such.
 */
function runSkill(caller: ToolCaller, tool: SkillTool, input: Record<string, unknown>) {
  const { permit_id: permitId, ...rest } = input
  if (tool.needsPermit && typeof permitId !== 'string') {
    throw new McpError(
      ErrorCode.InvalidParams,
      'permit_id is required: the permit bound to this skill',
      {
        errors: [
          { path: '/permit_id', rule: 'required', message: "must have property 'permit_id'" },
        ],
      },
    )
  }
  const nestedCall = Object.keys(rest).length === 1 && 'args' in rest
  const args = tool.argsShape === 'nested' || nestedCall ? (rest.args ?? {}) : rest
  return runAndSettle(caller, {
    skill_id: tool.skillId,
    ...(typeof permitId === 'string' ? { permit_id: permitId } : {}),
    args,
  })
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
