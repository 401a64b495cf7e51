/**
 * Help and usage, rendered here rather than by citty: plain text off a terminal (colour only where
 * cli/colour.ts allows), one usage line for a usage error, and examples under every command.
 */
import type { ArgsDef, CommandDef } from 'citty'
import { paint } from './colour'
import { EXAMPLES } from './examples'

interface Resolved {
  name: string
  description: string
  args: ArgsDef
  subCommands: Record<string, CommandDef>
}

async function resolve(command: CommandDef): Promise<Resolved> {
  const meta = (await (typeof command.meta === 'function' ? command.meta() : command.meta)) ?? {}
  const args = (await (typeof command.args === 'function' ? command.args() : command.args)) ?? {}
  const subCommands =
    (await (typeof command.subCommands === 'function'
      ? command.subCommands()
      : command.subCommands)) ?? {}
  return {
    name: meta.name ?? '',
    description: meta.description ?? '',
    args: args as ArgsDef,
    subCommands: subCommands as Record<string, CommandDef>,
  }
}

/** The words of a command's usage: positionals, then options (required ones unbracketed). */
function synopsis(resolved: Resolved): string {
  if (Object.keys(resolved.subCommands).length > 0) return '<command>'
  const words: string[] = []
  for (const [name, arg] of Object.entries(resolved.args)) {
    if (arg.type === 'positional') words.push(arg.required === false ? `[${name}]` : `<${name}>`)
  }
  // The options every API command shares go last: what is particular to the command leads.
  const shared = new Set(['url', 'token', 'json'])
  const options = Object.entries(resolved.args).sort(
    ([a], [b]) => Number(shared.has(a)) - Number(shared.has(b)),
  )
  for (const [name, arg] of options) {
    if (arg.type === 'positional') continue
    const value =
      arg.type === 'boolean'
        ? ''
        : arg.type === 'enum'
          ? ` <${(arg.options ?? []).join('|')}>`
          : ` <${arg.valueHint ?? name}>`
    const word = `--${name}${value}`
    words.push(arg.required ? word : `[${word}]`)
  }
  return words.join(' ')
}

/** `usage: oauth3 history [--limit <n>] …`, for a usage error. */
export async function usageLine(command: CommandDef, path: string): Promise<string> {
  const resolved = await resolve(command)
  return `usage: ${path} ${synopsis(resolved)}`.trimEnd()
}

/** The whole help of a command: what it does, usage, its commands or options, examples. */
export async function renderHelp(command: CommandDef, path: string): Promise<string> {
  const out = process.stdout
  const resolved = await resolve(command)
  const heading = (text: string) => paint(out, 'bold', text)
  const lines = [`${paint(out, 'bold', path)} — ${resolved.description}`, '']
  lines.push(heading('USAGE'), `  ${path} ${synopsis(resolved)}`.trimEnd(), '')
  const commands = Object.entries(resolved.subCommands)
  if (commands.length > 0) {
    lines.push(heading('COMMANDS'))
    const rows = await Promise.all(
      commands.map(async ([name, sub]) => [name, (await resolve(sub)).description] as const),
    )
    const width = Math.max(...rows.map(([name]) => name.length))
    for (const [name, description] of rows)
      lines.push(`  ${paint(out, 'cyan', name.padEnd(width))}  ${description}`)
    lines.push('')
  }
  const options = Object.entries(resolved.args)
  if (options.length > 0) {
    lines.push(heading('ARGUMENTS AND OPTIONS'))
    const rows = options.map(([name, arg]) => {
      const label = arg.type === 'positional' ? `<${name}>` : `--${name}`
      const about = [
        arg.description ?? '',
        arg.type === 'enum' ? `one of ${(arg.options ?? []).join(', ')}` : '',
        arg.default !== undefined && arg.type !== 'boolean' ? `default ${String(arg.default)}` : '',
        arg.type === 'boolean' && arg.negativeDescription
          ? `--no-${name}: ${arg.negativeDescription}`
          : '',
      ]
        .filter(Boolean)
        .join('; ')
      return [label, about] as const
    })
    const width = Math.max(...rows.map(([label]) => label.length))
    for (const [label, about] of rows)
      lines.push(`  ${paint(out, 'cyan', label.padEnd(width))}  ${about}`)
    lines.push('')
  }
  const examples = EXAMPLES[path] ?? []
  if (examples.length > 0) {
    lines.push(heading('EXAMPLES'), ...examples.map((example) => `  ${example}`), '')
  }
  if (commands.length > 0) lines.push(`Run \`${path} <command> --help\` for a command's options.`)
  return lines.join('\n').trimEnd()
}

/** The declared option names of a command (for unknown-option checks); null when it parses its own. */
export async function declaredOptions(command: CommandDef): Promise<Set<string> | null> {
  const resolved = await resolve(command)
  if (!command.args && Object.keys(resolved.subCommands).length === 0) return null
  const names = new Set(['help', 'h'])
  for (const [name, arg] of Object.entries(resolved.args)) {
    if (arg.type === 'positional') continue
    names.add(name)
    if (arg.type === 'boolean') names.add(`no-${name}`)
    for (const alias of [(arg as { alias?: string | string[] }).alias ?? []].flat())
      names.add(alias)
  }
  return names
}
