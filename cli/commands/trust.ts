/**
 * `oauth3 quote|attest|receipt verify`: the offline verifier (cli/verify.ts parses their options);
 * `oauth3 build digest`: the digest of a local build, to compare with the one a server reports.
 */
import { existsSync } from 'node:fs'
import { defineCommand } from 'citty'
import { buildDigest } from '../../scripts/build-digest.mjs'
import { UsageError } from '../context'
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
    'Verify a TDX quote file: <file> [--report-data hex] [--compose-hash hex] [--collateral file | --pccs url] [--accept-tcb statuses] [--os-image-hash hex|file] [--at time] [--json]',
    quoteVerify,
  ),
  attest: verifying(
    'attest',
    "Verify a server's attestation: --url <server> [--compose file | --compose-hash hex] [--build-digest hex] [--collateral file | --pccs url] [--accept-tcb statuses] [--os-image-hash hex|file] [--at time] [--json]",
    attestVerify,
  ),
  receipt: verifying(
    'receipt',
    "Verify a result's receipt: <file> (--url <server> | --key hex) [--json]",
    receiptVerify,
  ),
  build: defineCommand({
    meta: { name: 'build', description: 'Reproducible builds (docs/reproduce.md)' },
    subCommands: {
      digest: defineCommand({
        meta: {
          name: 'digest',
          description: 'The build digest of a build tree: [dir] (default .output)',
        },
        args: { dir: { type: 'positional', required: false, description: 'default .output' } },
        run({ args }) {
          const dir = args.dir ?? '.output'
          if (!existsSync(dir)) throw new UsageError(`${dir} does not exist: build first`)
          console.log(buildDigest(dir))
          return 0
        },
      }),
    },
  }),
}
