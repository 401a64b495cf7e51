/**
 * The deployment files, read the way Docker and dstack read them (Docker cannot run here): the
 * Dockerfile builds with what CI runs and ships only .output on one maintained Node LTS, as a
 * non-root user, with a HEALTHCHECK that really works against the built server; the dstack compose
 * pins the image by digest, mounts the guest agent's socket and a data volume, and carries nothing
 * that would weaken the attestation.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { startServer } from './helpers/server'

const read = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../${path}`, import.meta.url)), 'utf8')
const dockerfile = read('Dockerfile')
// Continuation lines joined: one instruction per line.
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
const stages = instructions.reduce<string[][]>((all, line) => {
  if (line.startsWith('FROM ')) all.push([])
  all.at(-1)?.push(line)
  return all
}, [])
const runtime = stages.at(-1)!

describe('Dockerfile', () => {
  it('builds in stages from one maintained Node LTS image', () => {
    const image = /^ARG NODE_IMAGE=(node:(\d+)-[a-z]+-slim)$/.exec(instructions[0])
    expect(image, 'ARG NODE_IMAGE=node:<major>-<debian>-slim first').not.toBeNull()
    const major = Number(image![2])
    // Even majors become LTS; 20 left maintenance in April 2026.
    expect(major % 2).toBe(0)
    expect(major).toBeGreaterThanOrEqual(22)
    expect(stages).toHaveLength(2)
    expect(stages.map((stage) => stage[0].split(' ')[1])).toEqual([
      '${NODE_IMAGE}',
      '${NODE_IMAGE}',
    ])
  })

  it('runs the build CI runs, and ships only .output', () => {
    expect(stages[0]).toContain('RUN npm ci')
    expect(stages[0].some((line) => /^RUN npm run build( |$)/.test(line))).toBe(true)
    // Reproducible: the commit and its time come in as build arguments (docs/reproduce.md).
    expect(stages[0]).toContain('ARG SOURCE_COMMIT')
    expect(stages[0].some((line) => line.startsWith('ARG SOURCE_DATE_EPOCH'))).toBe(true)
    const copies = runtime.filter((line) => line.startsWith('COPY'))
    expect(copies).toEqual(['COPY --from=build /app/.output ./.output'])
    // CI runs the same build on the image's Node (24), checks a second clean build on Node 20
    // gives the same digest, then the README's test command on both.
    const ci = read('.ci/run')
    expect(ci).toMatch(
      /on "\$node24" npm ci && on "\$node24" npm run build &&\s+on "\$node24" bash \.ci\/reproducible-build/,
    )
    expect(ci).toMatch(/on "\$node24" npm test/)
    expect(ci).toMatch(/\n {2}npm test /)
    const image = /^ARG NODE_IMAGE=node:(\d+)-/.exec(instructions[0])
    expect(ci).toContain(`node${image![1]}=$(bash .ci/node ${image![1]})`)
  })

  it('runs as a non-root user, with a data volume and a health check', () => {
    const user = runtime.find((line) => line.startsWith('USER '))
    expect(user).toBeDefined()
    expect(user).not.toMatch(/USER (root|0)\b/)
    expect(runtime.indexOf(user!)).toBeLessThan(
      runtime.findIndex((line) => line.startsWith('CMD ')),
    )
    expect(runtime).toContain('VOLUME ["/data"]')
    expect(runtime.some((line) => line.startsWith('HEALTHCHECK '))).toBe(true)
  })

  it('its HEALTHCHECK command passes against the built server and fails without one', async () => {
    const line = runtime.find((entry) => entry.startsWith('HEALTHCHECK '))!
    const command = JSON.parse(line.slice(line.indexOf('CMD ') + 4)) as string[]
    expect(command[0]).toBe('node')
    const check = (port: number) =>
      spawnSync(process.execPath, command.slice(1), {
        env: { PATH: process.env.PATH, PORT: String(port) },
        timeout: 30_000,
      }).status
    const server = await startServer()
    try {
      expect(check(server.port)).toBe(0)
    } finally {
      await server.stop()
    }
    expect(check(server.port)).toBe(1)
  })
})

describe('dstack/docker-compose.yml', () => {
  const compose = parse(read('dstack/docker-compose.yml')) as {
    services: Record<string, Record<string, any>>
    volumes?: Record<string, unknown>
  }
  const services = Object.values(compose.services)
  const oauth3 = compose.services.oauth3

  it('pins every image by digest', () => {
    for (const service of services) expect(service.image).toMatch(/@sha256:[0-9a-f]{64}$/)
  })

  it("mounts the guest agent's socket and a named data volume", () => {
    expect(oauth3.volumes).toContain('/var/run/dstack.sock:/var/run/dstack.sock')
    const data = oauth3.volumes.find((volume: string) => volume.endsWith(':/data'))
    expect(data).toBeDefined()
    expect(Object.keys(compose.volumes ?? {})).toContain(data.split(':')[0])
    expect(oauth3.environment.NITRO_DATA_DIR).toBe('/data')
    expect(oauth3.environment.NITRO_KEY_PROVIDER).toBe('dstack')
  })

  it('carries nothing that weakens the attestation', () => {
    expect(services).toHaveLength(1)
    for (const service of services) {
      expect(service.privileged).not.toBe(true)
      expect(service.cap_add).toBeUndefined()
      expect(service.network_mode).not.toBe('host')
      expect(String(service.image)).not.toMatch(/ssh/i)
      expect(JSON.stringify(service.environment ?? {})).not.toMatch(/NITRO_UPSTREAM_MAP/)
      expect(JSON.stringify(service.volumes ?? [])).not.toMatch(/docker\.sock/)
    }
  })
})
