/**
 * The product page's SDK snippet, as a real client written only against the wire protocol:
 *
 *   const client = await OAuth3.create()
 *   await client.executeAndWait({ skill_id: "hello", skill_code: "console.log('hi')" })
 *
 * `create()` reads ~/.oauth3/config.json, or signs up (reading `jwt` and `tee_url`, as the
 * published SDK does) and saves it with mode 0600; waiting is a bare `fetch(status_url)` loop.
 * It imports nothing from the server: it is what an agent's own code does.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

const STOP_ON = ['completed', 'failed', 'denied', 'expired']

type Answer = { status: string; status_url: string } & Record<string, any>

interface Config {
  jwt: string
  tee_url: string
  tenant_id: string
}

export class SnippetClient {
  static signups = 0

  private constructor(readonly config: Config) {}

  static async create(options: { baseUrl: string; home: string }): Promise<SnippetClient> {
    const file = join(options.home, '.oauth3', 'config.json')
    if (existsSync(file)) return new SnippetClient(JSON.parse(readFileSync(file, 'utf8')))
    const response = await fetch(`${options.baseUrl}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'agent' }),
    })
    if (!response.ok) throw new Error(`Signup failed: ${response.status}`)
    const { jwt, tee_url, tenant_id } = (await response.json()) as Config
    SnippetClient.signups++
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, JSON.stringify({ jwt, tee_url, tenant_id }), { mode: 0o600 })
    return new SnippetClient({ jwt, tee_url, tenant_id })
  }

  async executeAndWait(params: Record<string, unknown>) {
    return this.waitFor(await this.post('/execute', params))
  }

  async requestPermit(spec: Record<string, unknown>) {
    return this.post('/permit', spec)
  }

  /** Long-poll a status_url exactly as given: no header, no added parameter. */
  async waitFor(answer: Answer): Promise<Answer> {
    let data: Answer = answer
    while (!STOP_ON.includes(data.status)) {
      const response = await fetch(answer.status_url)
      if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`)
      data = (await response.json()) as Answer
    }
    return data
  }

  private async post(path: string, body: unknown): Promise<Answer> {
    const response = await fetch(`${this.config.tee_url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.config.jwt}`,
        'content-type': 'application/json',
        'x-oauth3-sdk-version': '0.3.0',
      },
      body: JSON.stringify(body),
    })
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`)
    return (await response.json()) as Answer
  }
}
