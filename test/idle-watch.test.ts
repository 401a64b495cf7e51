/**
 * Rule 4a's clock: a guest whose code returned is blamed for leaving work running only once it
 * has spent CPU time without proving itself idle — never because a loaded machine kept it off a
 * core. Real processes: one spinning, one stopped (SIGSTOP: no CPU at all, however long), one
 * stopped and then let go.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { watchCpuSpent } from '../runtime/limits'

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})

function spinner(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
  children.push(child)
  return child
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('watchCpuSpent', () => {
  it('a process that burns CPU is overdue once it has spent the budget', async () => {
    const child = spinner()
    const overdue = new Promise<void>((resolve) => watchCpuSpent(child.pid, 100, resolve))
    await expect(overdue).resolves.toBeUndefined()
  })

  it('a stopped process spends no CPU, so is never overdue however long the wait; let go, it is', async () => {
    const child = spinner()
    child.kill('SIGSTOP')
    let fired = false
    watchCpuSpent(child.pid, 100, () => (fired = true))
    // Ten times the budget in wall time, and more: wall time alone never trips it.
    await pause(1_000)
    expect(fired).toBe(false)
    child.kill('SIGCONT')
    while (!fired) await pause(20)
  })

  it('stopping the watch means it never fires', async () => {
    const child = spinner()
    let fired = false
    const stop = watchCpuSpent(child.pid, 100, () => (fired = true))
    stop()
    await pause(500)
    expect(fired).toBe(false)
  })
})
