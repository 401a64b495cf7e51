/**
 * The `oauth3` command (package bin; `npm run build` bundles it to .output/cli/oauth3.mjs):
 * verify a TDX quote, a server's attestation, or an execution receipt, offline; and validate,
 * hash or publish skill bundles. Exit codes: 0 proved (or done), 1 not proved (or failed),
 * 2 wrong usage.
 */
import { isOAuth3Error } from '../core/errors'
import { SKILL_USAGE, skillCommand } from './skill'
import { attestVerify, quoteVerify, receiptVerify, UsageError } from './verify'

const USAGE = `usage:
  oauth3 quote verify <file> [--report-data <hex>] [--compose-hash <hex>] [--at <time>] [--json]
  oauth3 attest verify --url <server> [--compose <app-compose.json> | --compose-hash <hex>] [--json]
  oauth3 receipt verify <file> (--url <server> | --key <hex>) [--json]
  ${SKILL_USAGE}`

const VERIFY: Record<string, (argv: string[]) => Promise<number>> = {
  quote: quoteVerify,
  attest: attestVerify,
  receipt: receiptVerify,
}

async function main(argv: string[]): Promise<number> {
  const [noun, verb, ...rest] = argv
  if (noun === 'skill') return skillCommand(argv.slice(1))
  if (noun && Object.hasOwn(VERIFY, noun) && verb === 'verify') return VERIFY[noun](rest)
  if (noun === 'help' || noun === '--help' || noun === '-h') {
    console.log(USAGE)
    return 0
  }
  console.error(USAGE)
  return 2
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError) {
      console.error(`oauth3: ${error.message}\n${USAGE}`)
      process.exit(2)
    }
    if (isOAuth3Error(error)) {
      const details = error.details ? ` ${JSON.stringify(error.details)}` : ''
      console.error(`${error.code}: ${error.message}${details}`)
    } else {
      console.error(`error: ${(error as Error).message}`)
    }
    process.exit(1)
  },
)
