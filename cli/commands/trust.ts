/** `oauth3 quote|attest|receipt verify`: the offline verifier (cli/verify.ts parses their options). */
import { defineCommand } from 'citty'
import { attestVerify, quoteVerify, receiptVerify } from '../verify'

const verifying = (
  name: string,
  description: string,
  verify: (argv: string[]) => Promise<number>,
) =>
  defineCommand({
    meta: { name, description },
    subCommands: {
      verify: defineCommand({
        meta: { name: 'verify', description },
        run: ({ rawArgs }) => verify(rawArgs),
      }),
    },
  })

export const trustCommands = {
  quote: verifying(
    'quote',
    'Verify a TDX quote file: <file> [--report-data hex] [--compose-hash hex] [--at time] [--json]',
    quoteVerify,
  ),
  attest: verifying(
    'attest',
    "Verify a server's attestation: --url <server> [--compose file | --compose-hash hex] [--json]",
    attestVerify,
  ),
  receipt: verifying(
    'receipt',
    "Verify a result's receipt: <file> (--url <server> | --key hex) [--json]",
    receiptVerify,
  ),
}
