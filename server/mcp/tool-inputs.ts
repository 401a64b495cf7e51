/**
 * A tool call's input against the tool's own input schema, before anything runs. A mismatch is
 * the JSON-RPC error the MCP spec gives invalid arguments (-32602), its data naming each path and
 * rule (never the offending value). The fixed tools' schemas are ours and compile once; a skill's
 * args are checked by the skill's own compiled schema (core/skills/args.ts, RE2 patterns) when the
 * execution is submitted, and its refusal is turned into the same error.
 */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
import Ajv, { type ValidateFunction } from 'ajv'
import type { OAuth3Error } from '../../core/errors'
import { describeSchemaErrors } from '../../core/schemas'
import { FIXED_TOOLS, type Tool } from './tool-schemas'

// Not strict: the schemas carry annotations of our own (tsType) for the type generator.
const ajv = new Ajv({
  strict: false,
  allowUnionTypes: true,
  coerceTypes: false,
  useDefaults: false,
})
const VALIDATORS = new Map<string, ValidateFunction>(
  FIXED_TOOLS.map((tool) => [tool.name, ajv.compile(tool.inputSchema)]),
)

export function checkToolInput(tool: Tool, input: Record<string, unknown>): void {
  const validate = VALIDATORS.get(tool.name)!
  if (validate(input)) return
  const errors = describeSchemaErrors(validate.errors)
  throw new McpError(
    ErrorCode.InvalidParams,
    `Invalid arguments for ${tool.name}: ${where(errors)}`,
    {
      errors,
    },
  )
}

/** A refusal of the input by the server's deeper checks, as the same JSON-RPC error. */
export function invalidParams(error: OAuth3Error): McpError {
  const details = (error.details ?? {}) as { errors?: Array<{ path: string; message: string }> }
  const said = details.errors?.length ? `: ${where(details.errors)}` : ''
  return new McpError(ErrorCode.InvalidParams, `${error.code}: ${error.message}${said}`, {
    code: error.code,
    ...details,
  })
}

function where(errors: Array<{ path: string; message: string }>): string {
  return errors.map((error) => `${error.path} ${error.message}`).join('; ')
}
