import type { RootDatabase } from 'lmdb'
import { audienceTrack } from '../engage-events'
import { waitFor } from '../wait'
import { startTestRuntime } from './harness'

/**
 * A 200 from ingest means the event is synced to disk. A killed process cannot show it (the page cache outlives
 * it), so this looks at the store itself: LMDB is opened so that a commit resolves only once synced, and ingest
 * answers only once that commit has resolved. The store is the real LMDB; its commits can be held back here.
 */

/** Every store opened, with its options. */
const mockOpened: { options: Record<string, unknown> }[] = []
/** A commit of the store started while this is set resolves (or rejects) only when this does, after it is done. */
let mockHold: Promise<void> | undefined
/** The commits held back, and whether LMDB has finished each (committed and synced) meanwhile. */
const mockHeld: { done: boolean }[] = []

jest.mock('lmdb', () => {
  const actual = jest.requireActual('lmdb')
  return {
    ...actual,
    open: (options: Record<string, unknown>) => {
      const root = actual.open(options) as RootDatabase
      const batch = root.batch.bind(root)
      root.batch = ((write: () => void) => {
        const hold = mockHold
        mockHold = undefined
        const committed = batch(write)
        if (!hold) return committed
        const held = { done: false }
        mockHeld.push(held)
        return committed.then(async (result) => {
          held.done = true
          await hold
          return result
        })
      }) as RootDatabase['batch']
      mockOpened.push({ options })
      return root
    }
  }
})

const subscription = {
  name: 'my_audience → list 12345',
  subscribe: 'context.personas.computation_key = "my_audience"',
  partnerAction: 'updateEmailContactProfileFields',
  mapping: { listId: 12345, profileFieldValues: { '6789': 'useAudienceKey' } }
}

type Harness = Awaited<ReturnType<typeof startTestRuntime>>
let h: Harness | undefined

afterEach(async () => {
  await h?.runtime.stop()
  h = undefined
  mockHeld.length = 0
})

/** Holds the next commit of the store until the returned `release` or `fail` is called. */
function holdNextCommit() {
  let release!: () => void
  let fail!: (error: Error) => void
  mockHold = new Promise<void>((resolve, reject) => {
    release = resolve
    fail = reject
  })
  return { release, fail }
}

describe('the durable queue syncs an event before ingest answers 200', () => {
  it('opens LMDB so that a commit resolves once synced: no noSync, noMetaSync, mapAsync or overlapping sync', async () => {
    h = await startTestRuntime({ subscriptions: [subscription] })
    expect(mockOpened).toHaveLength(1)
    const { options } = mockOpened[0]
    expect(options.overlappingSync).toBe(false)
    for (const flag of ['noSync', 'noMetaSync', 'mapAsync', 'useWritemap', 'separateFlushed'])
      expect(options[flag] ?? false).toBe(false)
  })

  it('answers only once the commit holding the event has resolved', async () => {
    h = await startTestRuntime({ subscriptions: [subscription] })
    const { release } = holdNextCommit()
    let answered = false
    const answer = h.post('/v1/track', audienceTrack('jane@example.com', 'my_audience', true)).then((response) => {
      answered = true
      return response
    })
    await waitFor(
      'LMDB to have committed and synced the event, its commit held back',
      () => mockHeld.length === 1 && mockHeld[0].done,
      (done) => done
    )
    expect(answered).toBe(false)
    release()
    expect((await answer).status).toBe(200)
  })

  it('answers 503 with Retry-After when that commit fails: nothing was acknowledged before it', async () => {
    h = await startTestRuntime({ subscriptions: [subscription] })
    const { fail } = holdNextCommit()
    const answer = h.post('/v1/track', audienceTrack('jane@example.com', 'my_audience', true))
    await waitFor(
      'the commit of the event to be held back',
      () => mockHeld.length,
      (held) => held === 1
    )
    fail(new Error('MDB_PANIC: a sync that failed'))
    const response = await answer
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('1')
    expect(await response.json()).toEqual({
      success: false,
      message: expect.stringContaining('The queue store could not store the events: MDB_PANIC: a sync that failed')
    })
  })
})
