import { mkdtempSync, rmSync } from 'fs'
import os from 'os'
import path from 'path'
import { parseConfig, RuntimeConfig } from '../../runtime/config'
import { LmdbQueue } from '../../runtime/queue/lmdb/queue'
import { listrakReader } from '../../runtime/commands/dead-letters'
import { reconcile } from '../../runtime/commands/reconcile'
import { startSandbox, Sandbox } from '../../sandbox'
import { configFile } from './harness'
import { deadLetter, order, sendThroughListrak } from './unknown-letters'

/**
 * `reconcile` against the sandbox over loopback: dead letters of unknown outcome in a real store, the sandbox's
 * activity of the message, and what is stored of each letter.
 */

const DELAY_MS = 60_000
const MARGIN_MS = 1000

let sandbox: Sandbox
let dir: string
let config: RuntimeConfig
let store: LmdbQueue

beforeEach(async () => {
  sandbox = await startSandbox()
  dir = mkdtempSync(path.join(os.tmpdir(), 'reconcile-'))
  config = parseConfig(
    {
      ...configFile('config.transactional.json'),
      settings: { client_id: 'demo-client-id', client_secret: 'demo-client-secret' },
      listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
      queue: { path: path.join(dir, 'queue') },
      reconcile: { activityDelayMs: DELAY_MS, windowMarginMs: MARGIN_MS }
    },
    'test config',
    {}
  )
  store = new LmdbQueue({ ...config.queue, role: 'owner' })
})

afterEach(async () => {
  await store.close()
  await sandbox.stop()
  rmSync(dir, { recursive: true, force: true })
})

const connect = () => listrakReader(config)
const byMessageId = () => Object.fromEntries([...store.deadLetters()].map((l) => [l.messageId, l]))

it("settles a message Listrak's activity shows as sent, at once, and one it does not only once the delay has passed", async () => {
  const received = Date.now() - 1000
  await sendThroughListrak(sandbox, ['sent@example.com'])
  await deadLetter(store, [order('sent@example.com', received), order('lost@example.com', received)])
  const now = Date.now()

  const first = await reconcile(store, config, {}, connect, now)
  expect(first).toMatchObject({ found: 2, sent: 1, notSent: 0 })
  expect(first.unsettled).toEqual([
    {
      letter: expect.objectContaining({ messageId: 'order-lost@example.com' }),
      why: expect.stringMatching(/^too recent: .* run reconcile again after \d{4}-/)
    }
  ])
  const [activity] = sandbox.state.messageActivity(12345, 9001, { emailAddress: 'sent@example.com' })
  expect(byMessageId()['order-sent@example.com']).toMatchObject({
    reason: expect.stringMatching(/^Reconciled: sent\./),
    reconciled: { outcome: 'sent', sendDate: activity.sendDate, checkedAt: new Date(now).toISOString() }
  })
  expect(byMessageId()['order-lost@example.com'].reconciled).toBeUndefined()

  // Past the end of its window and the delay: no send shown means none was made. The one settled is not asked again.
  const later = await reconcile(store, config, {}, connect, now + MARGIN_MS + DELAY_MS)
  expect(later).toMatchObject({ found: 1, sent: 0, notSent: 1, unsettled: [] })
  expect(byMessageId()['order-lost@example.com']).toMatchObject({
    reason: expect.stringMatching(/^Reconciled: not sent\./),
    reconciled: { outcome: 'not-sent', was: expect.stringContaining('may or may not have been sent') }
  })
  // One question per message and recipient, and nothing sent.
  expect(sandbox.state.messagesSent({}).total).toBe(1)
})

it('asks once for the letters of one message to one recipient, and settles them all when as many sends show', async () => {
  const received = Date.now() - 1000
  await sendThroughListrak(sandbox, ['twice@example.com', 'twice@example.com'])
  const events = [order('twice@example.com', received), order('twice@example.com', received)]
  events[1].messageId = 'order-again'
  await deadLetter(store, events)
  const report = await reconcile(store, config, {}, connect, Date.now())
  expect(report).toMatchObject({ found: 2, sent: 2, notSent: 0, unsettled: [] })
  const asked = sandbox.state.requests.all.filter((r) => r.path.includes('/Activity'))
  expect(asked).toHaveLength(1)
})

it("does not take a send of another of the list's messages for the letter's", async () => {
  const received = Date.now() - 1000
  await sendThroughListrak(sandbox, ['jane@example.com'], 9002)
  await deadLetter(store, [order('jane@example.com', received)])
  const report = await reconcile(store, config, {}, connect, Date.now() + MARGIN_MS + DELAY_MS)
  expect(report).toMatchObject({ found: 1, sent: 0, notSent: 1 })
})

it('leaves a letter unsettled, saying why, when it cannot be checked or Listrak cannot be read', async () => {
  const received = Date.now() - 1000
  await deadLetter(store, [order('gone@example.com', received)], { subscription: 'gone' })
  await deadLetter(store, [order('jane@example.com', received)])
  await deadLetter(store, [order('refused@example.com', received)], { status: 400 })
  const report = await reconcile(
    store,
    config,
    {},
    async () => {
      const request = await connect()
      // Listrak goes away once the token is had.
      await sandbox.stop()
      return request
    },
    Date.now() + MARGIN_MS + DELAY_MS
  )
  expect(report).toMatchObject({ found: 2, sent: 0, notSent: 0 })
  expect(report.unsettled.map(({ why }) => why)).toEqual([
    'cannot be checked: its subscription "gone" is not in the config, so its message and recipient are not known',
    expect.stringMatching(/^Listrak's activity could not be read: no answer from Listrak \(ECONN(REFUSED|RESET)\)$/)
  ])
  expect([...store.deadLetters()].every((letter) => letter.reconciled === undefined)).toBe(true)
})
