/**
 * Following this process's live feed of an execution (server/executions/events.ts): the past
 * first, then the rest, the end last — even when the end is pushed while the past is still being
 * written, the race a reconnecting client met (it got the end alone, the events before it lost).
 */
import { describe, expect, it } from 'vitest'
import { followLiveFeed } from '../server/executions/events'
import { createLiveFeeds, type LiveEvent } from '../server/executions/live'

/** A stream whose writes complete a little later, as a real one's do while nobody reads it. */
function slowStream() {
  const written: string[] = []
  let closedAfter: number | null = null
  return {
    written,
    closedAfter: () => closedAfter,
    send: (event: LiveEvent) => {
      if (closedAfter === null) written.push(event.type)
      return new Promise((resolve) => setTimeout(resolve, 1))
    },
    close: () => {
      closedAfter ??= written.length
    },
  }
}

describe('following a live feed', () => {
  it('an end pushed while the past is being written comes after all of it', async () => {
    const feeds = createLiveFeeds()
    feeds.open('exec_1')
    feeds.push('exec_1', { type: 'stdout', data: 'before\n' })
    feeds.push('exec_1', { type: 'call', data: { status: 200 } })
    feeds.push('exec_1', { type: 'stdout', data: 'after\n' })
    const stream = slowStream()
    const following = followLiveFeed(feeds, 'exec_1', stream.send, stream.close)
    // The execution's end, stored and pushed in the very next microtask.
    await Promise.resolve()
    feeds.push('exec_1', { type: 'end', data: { status: 'completed' } })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(stream.written).toEqual(['stdout', 'call', 'stdout', 'end'])
    expect(stream.closedAfter()).toBe(4)
    expect(following).not.toBeNull()
  })

  it('an ended feed: the whole story, then closed; live events after a stop are not sent', () => {
    const feeds = createLiveFeeds()
    feeds.open('exec_2')
    feeds.push('exec_2', { type: 'stdout', data: 'hi\n' })
    const stream = slowStream()
    const following = followLiveFeed(feeds, 'exec_2', stream.send, stream.close)!
    following.stop()
    feeds.push('exec_2', { type: 'stderr', data: 'late\n' })
    expect(stream.written).toEqual(['stdout'])
    expect(stream.closedAfter()).toBeNull()

    feeds.push('exec_2', { type: 'end', data: {} })
    const ended = slowStream()
    followLiveFeed(feeds, 'exec_2', ended.send, ended.close)
    expect(ended.written).toEqual(['stdout', 'stderr', 'end'])
    expect(ended.closedAfter()).toBe(3)
  })

  it('no feed here: null, so the record answers', () => {
    expect(
      followLiveFeed(
        createLiveFeeds(),
        'exec_3',
        () => {},
        () => {},
      ),
    ).toBeNull()
  })
})
