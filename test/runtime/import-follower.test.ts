import type { SegmentEvent } from '@segment/actions-core'
import { createRequestClient } from '@segment/actions-core'
import { once } from 'events'
import http from 'http'
import type { AddressInfo } from 'net'
import pino from 'pino'
import { Writable } from 'stream'
import { withUrls } from '../../src/api/client'
import { ImportFollower } from '../../runtime/imports/follower'
import { TokenCache } from '../../runtime/pipeline/tokens'
import type { DeadLetterInput } from '../../runtime/queue'
import type { FollowUpInput } from '../../runtime/queue/follow-ups'
import { MemoryFollowUps } from '../../runtime/queue/memory-follow-ups'
import { RuntimeStats } from '../../runtime/stats'
import { waitFor } from '../wait'

/**
 * The follower against a stand-in for Listrak's list-import reads on loopback (Status, and Contact page by page),
 * scripted per import: how many polls it stays Queued, what each read answers, and its per-contact results.
 */

interface Script {
  /** Polls of its status answered Queued before it is Completed (Infinity: never). */
  queuedPolls?: number
  /** Statuses for the first reads (of either route), before the script's own answers. */
  failFirst?: number[]
  results?: { emailAddress: string; importResult: string }[]
  pageSize?: number
  unknown?: boolean
  /** Never answered: a Listrak that hangs. */
  hang?: boolean
}

async function fakeListrak(scripts: Record<string, Script>) {
  const polls = new Map<string, number>()
  const reads: string[] = []
  const tokens: string[] = []
  const answered: number[] = []
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    reads.push(`${request.method} ${url.pathname}${url.search}`)
    tokens.push(request.headers.authorization ?? '')
    const answer = (status: number, body?: unknown) => {
      answered.push(status)
      response.writeHead(status, { 'content-type': 'application/json' })
      response.end(body === undefined ? '' : JSON.stringify(body))
    }
    const match = /^\/List\/(\d+)\/ListImport\/(\w+)\/(Status|Contact)$/.exec(url.pathname)
    const script = match ? scripts[match[2]] : undefined
    if (!match || !script || script.unknown) return answer(404, { status: 404, error: 'ERROR_RESOURCE_NOT_FOUND' })
    if (script.hang) return
    const failure = script.failFirst?.shift()
    if (failure === 401) return answer(401, { status: 401, error: 'ERROR_UNAUTHORIZED' })
    if (failure) return answer(failure, { status: failure, error: 'ERROR_UNHANDLED_EXCEPTION' })
    if (match[3] === 'Status') {
      const n = (polls.get(match[2]) ?? 0) + 1
      polls.set(match[2], n)
      const done = n > (script.queuedPolls ?? 0)
      return answer(200, {
        status: 200,
        data: {
          startDate: '2026-12-04T15:00:00Z',
          endDate: done ? '2026-12-04T15:00:05Z' : null,
          status: done ? 'Completed' : 'Queued'
        }
      })
    }
    const size = script.pageSize ?? 5000
    const start = url.searchParams.get('cursor') === 'Start' ? 0 : Number(url.searchParams.get('cursor'))
    const results = script.results ?? []
    const next = start + size < results.length ? `${url.pathname}?cursor=${start + size}&count=${size}` : null
    return answer(200, { status: 200, nextPageCursor: next, data: results.slice(start, start + size) })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    polls,
    reads,
    tokens,
    answered,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

const event = (email: string) =>
  ({ type: 'identify', messageId: `m-${email}`, traits: { email } }) as unknown as SegmentEvent

const followUp = (importFileId: string, emails: string[]): FollowUpInput => ({
  listId: 12345,
  importFileId,
  importType: 'AddSubscribersAndSegmentationData',
  rows: emails.map((email, position) => ({ position, emailAddress: email, event: event(email), attempts: 1 }))
})

function setup(apiUrl: string, options: { followUpMaxMs?: number; durable?: boolean } = {}) {
  const letters: DeadLetterInput[] = []
  const store = new MemoryFollowUps(async (written) => {
    letters.push(...written)
  })
  let issued = 0
  const tokens = new TokenCache(async () => ({ accessToken: `token-${++issued}`, expiresIn: 3600 }))
  const stats = new RuntimeStats()
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk))
      done()
    }
  })
  const follower = new ImportFollower(store, tokens, stats, pino({ level: 'info' }, sink), {
    firstPollMs: 20,
    maxPollMs: 80,
    followUpMaxMs: options.followUpMaxMs ?? 5000,
    durable: options.durable ?? true,
    connect: (token) =>
      withUrls(createRequestClient({ headers: { authorization: `Bearer ${token}` } }), { auth: '', api: apiUrl })
  })
  const record = (input: FollowUpInput) => {
    store.record('signups', [input], new Date().toISOString())
    follower.recorded('signups', [input])
  }
  return { store, follower, stats, letters, logs, record }
}

const following = (store: MemoryFollowUps) => store.following()

describe('the list-import follower', () => {
  let stop: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const each of stop.reverse()) await each()
    stop = []
  })

  it('dead-letters exactly the rows Listrak refused, by address without case, and leaves no follow-up', async () => {
    const listrak = await fakeListrak({
      '4': {
        queuedPolls: 1,
        results: [
          { emailAddress: 'jane@example.com', importResult: 'Subscribed' },
          { emailAddress: 'BAD@@example.com', importResult: 'InvalidEmail' },
          { emailAddress: 'max@example.com', importResult: 'Banned' },
          { emailAddress: 'ann@example.com', importResult: 'AlreadySubscribed' }
        ],
        pageSize: 2
      }
    })
    stop.push(listrak.stop)
    const h = setup(listrak.url)
    stop.push(() => h.follower.stop())
    h.follower.start()
    h.record(followUp('4', ['jane@example.com', 'bad@@example.com', 'max@example.com', 'ann@example.com']))

    await waitFor(
      'the import finished',
      () => h.store.finished(),
      (done) => done.length === 1
    )
    expect(h.letters.map((l) => [l.event.messageId, l.status, l.reason, l.listId, l.subscription])).toEqual([
      [
        'm-bad@@example.com',
        400,
        'Listrak refused bad@@example.com in list import 4 on list 12345: InvalidEmail',
        12345,
        'signups'
      ],
      [
        'm-max@example.com',
        400,
        'Listrak refused max@example.com in list import 4 on list 12345: Banned',
        12345,
        'signups'
      ]
    ])
    expect(await following(h.store)).toEqual([])
    expect((await h.store.finished())[0]).toMatchObject({
      outcome: 'completed',
      status: 'Completed',
      rows: 4,
      refused: 2
    })
    // Both pages of results were read, 5,000 at a time as Listrak allows, from Start.
    expect(listrak.reads.filter((r) => r.includes('/Contact'))).toEqual([
      'GET /List/12345/ListImport/4/Contact?cursor=Start&count=5000',
      'GET /List/12345/ListImport/4/Contact?cursor=2&count=2'
    ])
    expect(h.stats.listImports).toEqual({
      following: 0,
      followed: 1,
      completed: 1,
      refusedRows: 2,
      timedOut: 0,
      notFound: 0,
      failed: 0,
      unknownRows: 0
    })
    expect(h.logs.join('')).toContain('Listrak refused addresses; their events are dead-lettered')
  })

  it('follows a slow import with backoff until it completes, and dead-letters nothing when every address was taken', async () => {
    const listrak = await fakeListrak({
      '7': { queuedPolls: 4, results: [{ emailAddress: 'jane@example.com', importResult: 'Subscribed' }] }
    })
    stop.push(listrak.stop)
    const h = setup(listrak.url)
    stop.push(() => h.follower.stop())
    h.follower.start()
    const began = Date.now()
    h.record(followUp('7', ['jane@example.com']))
    await waitFor(
      'the import finished',
      () => h.store.finished(),
      (done) => done.length === 1
    )
    // Waits of 20, 20, 40, 80 and 80 ms (capped): at least 240 ms before the fifth poll.
    expect(Date.now() - began).toBeGreaterThanOrEqual(200)
    expect(listrak.polls.get('7')).toBe(5)
    expect(h.letters).toEqual([])
    expect(await following(h.store)).toEqual([])
    expect(h.stats.listImports).toMatchObject({ completed: 1, refusedRows: 0, following: 0 })
  })

  it('reports an import that does not complete within the bound as never completed: every row dead-lettered', async () => {
    const listrak = await fakeListrak({ '9': { queuedPolls: Infinity } })
    stop.push(listrak.stop)
    const h = setup(listrak.url, { followUpMaxMs: 250 })
    stop.push(() => h.follower.stop())
    h.follower.start()
    h.record(followUp('9', ['a@example.com', 'b@example.com']))
    await waitFor(
      'the import given up',
      () => h.store.finished(),
      (done) => done.length === 1,
      { timeoutMs: 3000 }
    )
    expect(h.letters.map((l) => [l.event.messageId, l.status])).toEqual([
      ['m-a@example.com', 504],
      ['m-b@example.com', 504]
    ])
    expect(h.letters[0].reason).toBe(
      "List import 9 on list 12345 did not complete within imports.followUpMaxMs (250 ms; Listrak's last status: " +
        'Queued): whether Listrak took this address is unknown; dead-letters retry sends the event again, which ' +
        'sets the same values.'
    )
    expect((await h.store.finished())[0]).toMatchObject({ outcome: 'timed-out', deadLettered: 2 })
    expect(h.stats.listImports).toMatchObject({ timedOut: 1, unknownRows: 2, completed: 0 })
  })

  it('retries reads that fail (5xx), renews a refused token, and dead-letters an import Listrak does not know', async () => {
    const listrak = await fakeListrak({
      '11': { failFirst: [503, 401, 500], results: [{ emailAddress: 'x@example.com', importResult: 'Suppressed' }] },
      '12': { unknown: true }
    })
    stop.push(listrak.stop)
    const h = setup(listrak.url)
    stop.push(() => h.follower.stop())
    h.follower.start()
    h.record(followUp('11', ['x@example.com']))
    h.record(followUp('12', ['y@example.com']))
    await waitFor(
      'both imports finished',
      () => h.store.finished(),
      (done) => done.length === 2
    )
    const byImport = Object.fromEntries(h.letters.map((l) => [l.event.messageId, [l.status, l.reason]]))
    expect(byImport).toEqual({
      'm-x@example.com': [400, 'Listrak refused x@example.com in list import 11 on list 12345: Suppressed'],
      'm-y@example.com': [
        404,
        expect.stringMatching(
          /^Listrak does not know list import 12 on list 12345 \(HTTP 404 ERROR_RESOURCE_NOT_FOUND\): whether/
        )
      ]
    })
    // The token refused was renewed: every read after the 401 carried the new one.
    const refusedAt = listrak.answered.indexOf(401)
    expect(listrak.tokens[refusedAt]).toBe('Bearer token-1')
    expect(new Set(listrak.tokens.slice(refusedAt + 1))).toEqual(new Set(['Bearer token-2']))
    expect(h.stats.listImports).toMatchObject({ completed: 1, notFound: 1, refusedRows: 1, unknownRows: 1 })
    // No log line carries a token.
    expect(h.logs.join('')).not.toMatch(/token-\d/)
  })

  it('stops without waiting and keeps the follow-up in a durable queue; in memory, dead-letters it as unknown', async () => {
    const listrak = await fakeListrak({ '20': { queuedPolls: Infinity }, '21': { queuedPolls: Infinity } })
    stop.push(listrak.stop)
    const durable = setup(listrak.url)
    durable.follower.start()
    durable.record(followUp('20', ['a@example.com']))
    await waitFor(
      'a poll',
      () => listrak.polls.get('20') ?? 0,
      (n) => n >= 1
    )
    expect(await durable.follower.stop()).toEqual([{ subscription: 'signups', listId: 12345, importFileId: '20' }])
    expect((await following(durable.store)).map((f) => [f.importFileId, f.status])).toEqual([['20', 'Queued']])
    expect(durable.letters).toEqual([])

    const memory = setup(listrak.url, { durable: false })
    memory.follower.start()
    memory.record(followUp('21', ['b@example.com']))
    await waitFor(
      'a poll',
      () => listrak.polls.get('21') ?? 0,
      (n) => n >= 1
    )
    expect(await memory.follower.stop()).toEqual([{ subscription: 'signups', listId: 12345, importFileId: '21' }])
    expect(memory.letters.map((l) => [l.event.messageId, l.status])).toEqual([['m-b@example.com', 503]])
    expect(await following(memory.store)).toEqual([])
  })

  it('does not wait out a read Listrak does not answer: a stop ends at once, and the follow-up stays', async () => {
    const listrak = await fakeListrak({ '40': { hang: true } })
    stop.push(listrak.stop)
    const h = setup(listrak.url)
    h.follower.start()
    h.record(followUp('40', ['a@example.com']))
    await waitFor(
      'a read under way',
      () => listrak.reads.length,
      (n) => n >= 1
    )
    const began = Date.now()
    await h.follower.stop()
    expect(Date.now() - began).toBeLessThan(500)
    expect((await following(h.store)).map((f) => f.importFileId)).toEqual(['40'])
    expect(h.letters).toEqual([])
  })

  it('waits, when asked to, for the imports it recorded before it stops', async () => {
    const listrak = await fakeListrak({ '30': { queuedPolls: 2, results: [] } })
    stop.push(listrak.stop)
    const h = setup(listrak.url)
    h.follower.start()
    h.record(followUp('30', ['a@example.com']))
    expect(await h.follower.stop(5000)).toEqual([])
    expect((await h.store.finished()).map((f) => f.outcome)).toEqual(['completed'])
  })
})
