/**
 * The notifier's wake-ups: `notify(id, news)` wakes every waiter of `id`, hands `news` to those in
 * this process (a terminal status body, so they need not read it back), and nothing to those woken
 * from another process through Redis, who read the store instead.
 */
import { randomBytes } from 'node:crypto'
import Redis from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { createLocalNotifier, createRedisNotifier, type Notifier } from '../server/store/notifier'

const REDIS_URL = process.env.REDIS_URL

describe('the local notifier', () => {
  it('hands the news to every waiter of the id it wakes, and to no other', async () => {
    const notifier = createLocalNotifier()
    const news = { request_id: 'exec_1', status: 'completed' }
    const [first, second] = [notifier.wait('exec_1', 5_000), notifier.wait('exec_1', 5_000)]
    const other = notifier.wait('exec_2', 50)
    await notifier.notify('exec_1', news)
    expect(await Promise.all([first.outcome, second.outcome])).toEqual(['woken', 'woken'])
    expect([first.news, second.news]).toEqual([news, news])
    expect(await other.outcome).toBe('timeout')
    expect(other.news).toBeUndefined()
    expect(notifier.waiting).toBe(0)
  })

  it('a wake-up without news, a timeout or a cancel carries none', async () => {
    const notifier = createLocalNotifier()
    const woken = notifier.wait('exec_1', 5_000)
    await notifier.notify('exec_1')
    expect([await woken.outcome, woken.news]).toEqual(['woken', undefined])
    const cancelled = notifier.wait('exec_1', 5_000)
    cancelled.cancel()
    await notifier.notify('exec_1', { status: 'completed' })
    expect([await cancelled.outcome, cancelled.news]).toEqual(['aborted', undefined])
  })
})

describe.skipIf(!REDIS_URL)('the Redis notifier (REDIS_URL unset: skipped)', () => {
  const connections: Redis[] = []
  const notifiers: Notifier[] = []
  afterAll(async () => {
    for (const notifier of notifiers) await notifier.close()
    for (const connection of connections) connection.disconnect()
  })
  const open = async (channel: string) => {
    const connection = new Redis(REDIS_URL!)
    connections.push(connection)
    const notifier = await createRedisNotifier(connection, channel)
    notifiers.push(notifier)
    return notifier
  }

  it('wakes waiters in both processes; only the notifying one gets the news', async () => {
    const channel = `oauth3-test-${randomBytes(6).toString('hex')}:notify`
    const [here, elsewhere] = [await open(channel), await open(channel)]
    const news = { request_id: 'exec_1', status: 'failed' }
    const local = here.wait('exec_1', 5_000)
    const remote = elsewhere.wait('exec_1', 5_000)
    await here.notify('exec_1', news)
    expect(await Promise.all([local.outcome, remote.outcome])).toEqual(['woken', 'woken'])
    expect(local.news).toEqual(news)
    expect(remote.news).toBeUndefined()
  })
})
