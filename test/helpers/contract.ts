/**
 * The contract check: every JSON answer a test receives through the http helper is validated
 * against the schema the server's own OpenAPI document declares for that route and status (an
 * undeclared status is a violation too), so the schemas in schemas/ cannot drift from the code.
 * The document is read once per server from GET /openapi.json.
 *
 * OAUTH3_CONTRACT=record <file> appends violations to a file instead of failing (for writing
 * schemas); the default fails the request that broke the contract.
 */
import { appendFileSync } from 'node:fs'
import Ajv, { type ValidateFunction } from 'ajv'

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>
}
interface Document {
  paths: Record<string, Record<string, Operation>>
}

interface Checker {
  check(method: string, path: string, status: number, body: unknown): string | null
}

const checkers = new Map<string, Promise<Checker | null>>()

export class ContractViolation extends Error {}

export async function checkContract(
  base: string,
  method: string,
  path: string,
  status: number,
  contentType: string | null,
  body: unknown,
): Promise<void> {
  if (!contentType?.startsWith('application/json')) return
  let checker = checkers.get(base)
  if (!checker) {
    checker = loadChecker(base)
    checkers.set(base, checker)
  }
  const problem = (await checker)?.check(method, path, status, body)
  if (!problem) return
  const record = process.env.OAUTH3_CONTRACT_RECORD
  if (record) {
    appendFileSync(record, `${JSON.stringify({ method, path, status, problem, body })}\n`)
    return
  }
  throw new ContractViolation(`${method} ${path} answered ${status}: ${problem}`)
}

async function loadChecker(base: string): Promise<Checker | null> {
  let document: Document
  try {
    const response = await fetch(`${base}/openapi.json`)
    if (!response.ok) return null
    document = (await response.json()) as Document
  } catch {
    return null
  }
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false })
  ajv.addSchema({ ...document, $id: 'openapi' })
  const routes = Object.entries(document.paths).map(([template, operations]) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
    operations,
  }))
  const validators = new Map<string, ValidateFunction | null>()
  return {
    check(method, path, status, body) {
      const pathname = new URL(path, 'http://x').pathname
      const route = routes.find((candidate) => candidate.pattern.test(pathname))
      const operation = route?.operations[method.toLowerCase()]
      if (!route || !operation?.responses) return null
      const responses = operation.responses
      const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => responses[k])
      if (!key) return `status ${status} is not declared`
      const schema = responses[key].content?.['application/json']?.schema
      if (!schema) return `no JSON schema is declared for ${key}`
      const pointer = `openapi#/paths/${route.template.replaceAll('~', '~0').replaceAll('/', '~1')}/${method.toLowerCase()}/responses/${key}/content/application~1json/schema`
      let validate = validators.get(pointer)
      if (validate === undefined) {
        validate = ajv.compile({ $ref: pointer })
        validators.set(pointer, validate)
      }
      if (validate && !validate(body))
        return `the body breaks the schema: ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`
      return null
    },
  }
}
