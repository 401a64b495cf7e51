/** `oauth3 skills`, `secrets`, `cookies` and `types`: the registry, the owner's vault, a permit's types. */
import { readFileSync } from 'node:fs'
import { defineCommand } from 'citty'
import { checkBundle, hashBundle, readBundle } from '../skill'
import { clientFor, COMMON_ARGS, print, UsageError } from '../context'

const FOLDER = { type: 'positional', required: true, description: 'skills/<id>/<version>' } as const

const skills = defineCommand({
  meta: { name: 'skills', description: 'The skill registry, and bundles on disk' },
  subCommands: {
    list: defineCommand({
      meta: { name: 'list', description: 'Published skills' },
      args: { ...COMMON_ARGS },
      async run({ args }) {
        const { skills: list } = await (await clientFor(args)).skills.list()
        print(args, list, () =>
          list.map((skill) => `${skill.id}@${skill.latest}  ${skill.description}`).join('\n'),
        )
        return 0
      },
    }),
    show: defineCommand({
      meta: { name: 'show', description: 'A skill version: manifest and code' },
      args: {
        ...COMMON_ARGS,
        id: { type: 'positional', required: true },
        version: { type: 'positional', required: false },
      },
      async run({ args }) {
        const client = await clientFor(args)
        if (!args.version) {
          const skill = await client.skills.get(args.id)
          print(args, skill, () => JSON.stringify(skill, null, 2))
          return 0
        }
        const version = await client.skills.version(args.id, args.version)
        print(args, version, () => `${version.manifest}\n---\n${version.code}`)
        return 0
      },
    }),
    validate: defineCommand({
      meta: { name: 'validate', description: 'Check a bundle with the server’s own checks' },
      args: { folder: FOLDER, 'allow-http': { type: 'boolean' } },
      run({ args }) {
        const { manifest, capabilities } = checkBundle(readBundle(args.folder), args['allow-http'])
        console.log(
          `ok ${manifest.id}@${manifest.version}: ${capabilities.map((capability) => capability.signature).join('; ') || 'no capabilities'}`,
        )
        return 0
      },
    }),
    hash: defineCommand({
      meta: { name: 'hash', description: 'The sha256 to put in skill.yaml' },
      args: { folder: FOLDER },
      run({ args }) {
        console.log(hashBundle(readBundle(args.folder)))
        return 0
      },
    }),
    publish: defineCommand({
      meta: { name: 'publish', description: 'Check, then publish a bundle' },
      args: { ...COMMON_ARGS, folder: FOLDER, 'allow-http': { type: 'boolean' } },
      async run({ args }) {
        const bundle = readBundle(args.folder)
        checkBundle(bundle, args['allow-http'])
        const published = await (
          await clientFor(args)
        ).skills.publish({
          manifest: bundle.manifest,
          code: bundle.code,
        })
        print(args, published, () => `published ${published.id}@${published.version}`)
        return 0
      },
    }),
  },
})

const secrets = defineCommand({
  meta: { name: 'secrets', description: 'Your secrets (owner token): set, list, rm' },
  subCommands: {
    set: defineCommand({
      meta: { name: 'set', description: 'Store a secret; the value is read from stdin' },
      args: {
        ...COMMON_ARGS,
        name: { type: 'positional', required: true },
        origin: { type: 'string', description: 'the only origin it may be sent to' },
      },
      async run({ args }) {
        const value = readFileSync(0, 'utf8').replace(/\r?\n$/, '')
        if (!value) throw new UsageError('pipe the secret value on stdin')
        const stored = await (await clientFor(args)).secrets.set(args.name, value, args.origin)
        print(args, stored, () => `stored ${args.name}`)
        return 0
      },
    }),
    list: defineCommand({
      meta: { name: 'list', description: 'Names of your secrets (never values)' },
      args: { ...COMMON_ARGS },
      async run({ args }) {
        const listed = await (await clientFor(args)).secrets.list()
        print(args, listed, () => listed.secrets.join('\n') || 'no secrets')
        return 0
      },
    }),
    rm: defineCommand({
      meta: { name: 'rm', description: 'Delete a secret' },
      args: { ...COMMON_ARGS, name: { type: 'positional', required: true } },
      async run({ args }) {
        const removed = await (await clientFor(args)).secrets.delete(args.name)
        print(args, removed, () => `deleted ${args.name}`)
        return 0
      },
    }),
  },
})

const cookies = defineCommand({
  meta: { name: 'cookies', description: 'Upload a site’s cookies (owner token)' },
  subCommands: {
    upload: defineCommand({
      meta: {
        name: 'upload',
        description: 'A DevTools cookie-table paste or a JSON array, from a file',
      },
      args: {
        ...COMMON_ARGS,
        file: { type: 'positional', required: true },
        domain: { type: 'string', required: true, description: 'e.g. www.tiktok.com' },
      },
      async run({ args }) {
        const text = readFileSync(args.file, 'utf8').trim()
        const cookiesGiven = text.startsWith('[')
          ? (JSON.parse(text) as Array<Record<string, unknown>>)
          : text
        const uploaded = await (await clientFor(args)).cookies.upload(args.domain, cookiesGiven)
        print(args, uploaded, () => `stored ${uploaded.count} cookies as ${uploaded.secret_name}`)
        return 0
      },
    }),
  },
})

const types = defineCommand({
  meta: {
    name: 'types',
    description: 'A permit’s capability functions as TypeScript declarations',
  },
  args: { ...COMMON_ARGS, permit_id: { type: 'positional', required: true } },
  async run({ args }) {
    process.stdout.write(await (await clientFor(args)).capabilityTypes(args.permit_id))
    return 0
  },
})

export const registryCommands = { skills, secrets, cookies, types }
