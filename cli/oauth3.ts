/**
 * The `oauth3` command (the package's bin; `npm run build` bundles it to .output/cli/oauth3.mjs):
 * every step of the product from a terminal, and the offline verifier. Results go to stdout
 * (`--json` for programs: always one JSON document, a failure's too), waiting and progress to
 * stderr. Exit codes: 0 done (an execution completed, everything asked proved), 1 not (failed,
 * denied, not proved, refused), 2 wrong usage — one line saying what, and the command's usage.
 */
import { defineCommand, runCommand, type CommandDef } from 'citty'
import { login, signup } from './commands/account'
import { exec, history, logs, run, status } from './commands/executions'
import { approve, permit } from './commands/permits'
import { registryCommands } from './commands/registry'
import { trustCommands } from './commands/trust'
import { reportFailure, UsageError } from './failure'
import { declaredOptions, renderHelp, usageLine } from './usage'

const main = defineCommand({
  meta: {
    name: 'oauth3',
    description: 'Attested execution for AI agents, from a terminal',
  },
  subCommands: {
    signup,
    login,
    permit,
    approve,
    exec,
    run,
    status,
    logs,
    history,
    ...registryCommands,
    ...trustCommands,
  },
})

/**
 * Each command's `run` answers its exit code; citty does not pass a subcommand's result up, so the
 * code is kept here as each runs.
 */
let exitCode = 0
async function answerExitCodes(command: CommandDef): Promise<CommandDef> {
  const subCommands = (await command.subCommands) as Record<string, CommandDef> | undefined
  for (const sub of Object.values(subCommands ?? {})) await answerExitCodes(sub)
  const run = command.run
  if (run) {
    command.run = async (context) => {
      const code = await run(context)
      exitCode = typeof code === 'number' ? code : 0
    }
  }
  return command
}

/** The (sub)command the leading words name, and its path (`oauth3 skills list`). */
async function commandAt(rawArgs: string[]) {
  let command: CommandDef = main
  let path = 'oauth3'
  let depth = 0
  for (const word of rawArgs) {
    if (word.startsWith('-')) break
    const subCommands = (await command.subCommands) as Record<string, CommandDef> | undefined
    if (!subCommands || !Object.hasOwn(subCommands, word)) break
    command = subCommands[word]
    path += ` ${word}`
    depth++
  }
  return { command, path, rest: rawArgs.slice(depth) }
}

/** Options the command does not declare are usage errors, not silently ignored. */
async function checkOptions(command: CommandDef, rest: string[]) {
  const declared = await declaredOptions(command)
  if (!declared) return
  for (const word of rest) {
    if (word === '--') break
    const match = /^--?([^=]+)/.exec(word)
    if (!match || /^-\d/.test(word)) continue
    const name = match[1]
    if (!declared.has(name)) throw new UsageError(`unknown option ${word.split('=')[0]}`)
  }
}

async function start(rawArgs: string[]): Promise<number> {
  const json = rawArgs.includes('--json')
  const { command, path, rest } = await commandAt(rawArgs)
  const wantsHelp = rawArgs.includes('--help') || rawArgs.includes('-h') || rawArgs[0] === 'help'
  if (rawArgs.length === 0 || wantsHelp) {
    const target = rawArgs[0] === 'help' ? await commandAt(rawArgs.slice(1)) : { command, path }
    console.log(await renderHelp(target.command, target.path))
    return rawArgs.length === 0 ? 2 : 0
  }
  try {
    const subCommands = (await command.subCommands) as Record<string, CommandDef> | undefined
    if (subCommands && !command.run) {
      throw new UsageError(
        rest[0] && !rest[0].startsWith('-')
          ? `unknown command ${path} ${rest[0]}`
          : `${path} needs a command: ${Object.keys(subCommands).join(', ')}`,
      )
    }
    await checkOptions(command, rest)
    await runCommand(await answerExitCodes(main), { rawArgs })
    return exitCode
  } catch (error) {
    const usage = `${await usageLine(command, path)}\nRun \`${path} --help\` for details and examples.`
    return reportFailure(error, { json, usage })
  }
}

process.exitCode = await start(process.argv.slice(2))
