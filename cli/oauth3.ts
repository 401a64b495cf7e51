/**
 * The `oauth3` command (the package's bin; `npm run build` bundles it to .output/cli/oauth3.mjs):
 * every step of the product from a terminal, and the offline verifier. Results go to stdout
 * (`--json` for programs), waiting and progress to stderr. Exit codes: 0 done (an execution
 * completed, everything asked proved), 1 not (failed, denied, not proved), 2 wrong usage.
 */
import { defineCommand, renderUsage, runCommand, type CommandDef } from 'citty'
import { OAuth3Error } from '../sdk/src/index'
import { isOAuth3Error } from '../core/errors'
import { login, signup } from './commands/account'
import { exec, history, run, status } from './commands/executions'
import { approve, permit } from './commands/permits'
import { registryCommands } from './commands/registry'
import { trustCommands } from './commands/trust'
import { UsageError } from './context'
import { UsageError as VerifyUsageError } from './verify'

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

/** The (sub)command the arguments name, for --help. */
async function commandAt(rawArgs: string[]) {
  let command = main
  for (const word of rawArgs) {
    const subCommands = (await command.subCommands) as Record<string, typeof main> | undefined
    if (!subCommands || !Object.hasOwn(subCommands, word)) break
    command = subCommands[word]
  }
  return command
}

async function start(rawArgs: string[]): Promise<number> {
  if (
    rawArgs.length === 0 ||
    rawArgs.includes('--help') ||
    rawArgs.includes('-h') ||
    rawArgs[0] === 'help'
  ) {
    console.log(await renderUsage(await commandAt(rawArgs.filter((word) => !word.startsWith('-')))))
    return rawArgs.length === 0 ? 2 : 0
  }
  try {
    await runCommand(await answerExitCodes(main), { rawArgs })
    return exitCode
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof VerifyUsageError ||
      (error as Error).name === 'CLIError'
    ) {
      console.error(`oauth3: ${(error as Error).message}`)
      console.error(`usage: ${await renderUsage(await commandAt(rawArgs))}`)
      return 2
    }
    if (error instanceof OAuth3Error) {
      console.error(`${error.code}: ${error.message}`)
      return 1
    }
    if (isOAuth3Error(error)) {
      const details = error.details ? ` ${JSON.stringify(error.details)}` : ''
      console.error(`${error.code}: ${error.message}${details}`)
      return 1
    }
    console.error(`error: ${(error as Error).message}`)
    return 1
  }
}

process.exitCode = await start(process.argv.slice(2))
