/**
 * What a model reads of a tool result: a few lines saying what happened and what to do next. The
 * whole answer — every field, the receipt — is the result's structuredContent; the text holds the
 * value and output only up to a bound, and says so when it cut them.
 */
import type { StatusBody } from '../../schemas/types'

const VALUE_TEXT_MAX = 4000
const OUTPUT_TEXT_MAX = 2000

/** Statuses that make a tool result an error: the agent's request did not do what it asked. */
const ERROR_STATUSES = new Set(['failed', 'denied', 'expired'])

export function summarize(tool: string, answer: unknown): { text: string; isError: boolean } {
  switch (tool) {
    case 'list_skills':
      return ok(listing(answer as { skills: Array<Record<string, unknown>> }))
    case 'describe_skill':
      return ok(bounded(JSON.stringify(answer), VALUE_TEXT_MAX, 'the whole skill'))
    case 'request_permit': {
      const permit = answer as { approval_url: string; request_id: string; permit_id: string }
      return ok(
        `Give your human this link to approve: ${permit.approval_url}\nThen call wait_for_permit with request_id ${permit.request_id}. The permit, once approved, is ${permit.permit_id}.`,
      )
    }
    default: {
      const body = answer as StatusBody
      return {
        text: body.request_id.startsWith('preq_') ? decision(body) : execution(tool, body),
        isError: ERROR_STATUSES.has(body.status),
      }
    }
  }
}

const ok = (text: string) => ({ text, isError: false })

function listing(list: { skills: Array<Record<string, unknown>> }): string {
  const lines = list.skills.map(
    (skill) => `${String(skill.id)}@${String(skill.latest)} — ${String(skill.description ?? '')}`,
  )
  return bounded(lines.join('\n') || 'No skills.', VALUE_TEXT_MAX, 'every skill')
}

function decision(body: StatusBody): string {
  switch (body.status) {
    case 'completed':
      return `approved: permit ${body.permit_id} is active.`
    case 'denied':
      return 'denied: your human refused this permit.'
    case 'expired':
      return 'expired: nobody decided in time; request the permit again if it is still needed.'
    default:
      return `pending: your human has not decided yet. Call wait_for_permit again with request_id ${body.request_id}.`
  }
}

function execution(tool: string, body: StatusBody): string {
  const lines: string[] = []
  const result = body.result
  switch (body.status) {
    case 'completed':
      lines.push(
        `completed in ${Math.round(result?.duration ?? 0)} ms (request ${body.request_id}).`,
      )
      if (result && 'value' in result)
        lines.push(
          `value: ${bounded(JSON.stringify(result.value), VALUE_TEXT_MAX, 'the whole value')}`,
        )
      break
    case 'failed':
    case 'denied':
    case 'expired':
      lines.push(`${body.status}: ${body.error ?? 'no reason given'} (request ${body.request_id}).`)
      break
    default:
      lines.push(
        `${body.status}: still running. Call get_result with request_id ${body.request_id}${tool === 'get_result' ? ' again' : ''}.`,
      )
  }
  if (result?.stdout) lines.push(`stdout:\n${bounded(result.stdout, OUTPUT_TEXT_MAX, 'all of it')}`)
  if (result?.stderr) lines.push(`stderr:\n${bounded(result.stderr, OUTPUT_TEXT_MAX, 'all of it')}`)
  if (result?.calls.length) lines.push(`capability calls: ${result.calls.length}`)
  if (result?.receipt) lines.push('A signed receipt is in the structured result (result.receipt).')
  return lines.join('\n')
}

function bounded(text: string, max: number, whole: string): string {
  if (text.length <= max) return text
  return `${text.slice(0, max)}… (cut at ${max} characters; ${whole} is in the structured result)`
}
