/**
 * The SDK as people install it: `npm pack` of sdk/, checked by @arethetypeswrong/cli, installed
 * into a fresh folder and type-checked by a consumer under moduleResolution nodenext and bundler —
 * strictly, without skipLibCheck, so the declarations themselves must hold — and through the
 * README's relative import of sdk/dist/index.js. The consumer fails to compile if an answer is
 * loosely typed or if ExecuteParams accepts a request with neither code nor a skill.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const resolve = createRequire(import.meta.url).resolve
const tsc = resolve('typescript/bin/tsc')
const attw = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js')

/** Code that compiles only against precise declarations. */
const consumer = (
  from: string,
) => `import { OAuth3, verdictOf, type ExecutionStatus, type Tenant } from '${from}'

export async function use(url: string): Promise<string> {
  const client = new OAuth3({ url, token: 'oa3_agent_x' })
  const status: ExecutionStatus = await client.executeAndWait({ skill_code: "console.log('hi')" })
  const stdout: string | undefined = status.result?.stdout
  const exit: 0 | 1 | 124 | 137 | undefined = status.result?.exitCode
  const me: Tenant = await client.me()
  const role: 'agent' | 'owner' = me.role
  const history = await client.history(5)
  const first: string | undefined = history.executions[0]?.status_url
  const skills = await client.skills.list()
  const latest: string | undefined = skills.skills[0]?.latest
  const permit = await client.requestPermit({
    description: 'File issues',
    capabilities: [{ name: 'github.createIssue', endpoint: 'https://api.github.com/x', method: 'POST' }],
  })
  const approval: string = permit.approval_url
  const proof = await client.verify({ osImageHashes: [] })
  const summary: string = proof.verdict.summary
  // @ts-expect-error code or a skill is required
  await client.execute({ permit_id: 'permit_x' })
  void verdictOf
  return [stdout, exit, role, first, latest, approval, summary].join()
}
`

const tsconfig = (moduleResolution: 'NodeNext' | 'Bundler', lib: string[]) =>
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: moduleResolution === 'NodeNext' ? 'NodeNext' : 'ESNext',
      moduleResolution,
      lib,
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      // Node's own types from this repository: a Node consumer has them installed.
      typeRoots: [join(root, 'node_modules', '@types')],
      types: lib.includes('DOM') ? [] : ['node'],
    },
    files: ['consumer.ts'],
  })

function typecheck(folder: string): string {
  try {
    execFileSync(process.execPath, [tsc, '-p', folder], { stdio: 'pipe' })
    return ''
  } catch (error) {
    return String((error as { stdout?: Buffer }).stdout ?? error)
  }
}

describe('the SDK package', () => {
  let work: string
  let tarball: string
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'oauth3-sdk-package-'))
    const packed = execFileSync('npm', ['pack', join(root, 'sdk'), '--pack-destination', work], {
      cwd: work,
      encoding: 'utf8',
    })
    tarball = join(work, packed.trim().split('\n').at(-1)!)
  })
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('passes @arethetypeswrong/cli as an ESM-only package', () => {
    // Exit code 1 on any problem the profile counts; a CommonJS require of an ESM-only package
    // is the one it leaves out.
    const run = () =>
      execFileSync(process.execPath, [attw, tarball, '--profile', 'esm-only', '--format', 'json'], {
        encoding: 'utf8',
      })
    expect(run).not.toThrow()
    const { problems } = JSON.parse(run()) as { problems?: Record<string, unknown> }
    expect(Object.keys(problems ?? {})).toEqual(['CJSResolvesToESM'])
  })

  it('installed from its tarball, types a consumer under nodenext and bundler, strictly', () => {
    const app = join(work, 'app')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module' }))
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], {
      cwd: app,
      stdio: 'pipe',
    })
    writeFileSync(join(app, 'consumer.ts'), consumer('@oauth3/sdk'))
    for (const [resolution, lib] of [
      ['NodeNext', ['ES2022']],
      ['Bundler', ['ES2022', 'DOM']],
    ] as const) {
      writeFileSync(join(app, 'tsconfig.json'), tsconfig(resolution, [...lib]))
      expect(typecheck(app), resolution).toBe('')
    }
    // The same consumer with a loose declaration would compile too: prove it does not.
    writeFileSync(
      join(app, 'consumer.ts'),
      consumer('@oauth3/sdk').replace(': Tenant =', ': number ='),
    )
    expect(typecheck(app)).toMatch(/TS2322/)
  })

  it("types the README's relative import of sdk/dist/index.js", () => {
    const app = join(work, 'relative')
    mkdirSync(app)
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'relative', type: 'module' }))
    const relative = join(root, 'sdk', 'dist', 'index.js')
    writeFileSync(join(app, 'consumer.ts'), consumer(relative))
    writeFileSync(join(app, 'tsconfig.json'), tsconfig('NodeNext', ['ES2022']))
    expect(typecheck(app)).toBe('')
  })
})
