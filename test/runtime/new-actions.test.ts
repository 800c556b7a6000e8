import { readFileSync } from 'fs'
import path from 'path'
import type { RuntimeConfigInput } from '../../runtime/config'
import { LmdbQueue } from '../../runtime/queue/lmdb/queue'
import { startSandbox, Sandbox } from '../../sandbox'
import { waitFor } from '../wait'
import { configFile, startTestRuntime } from './harness'

/**
 * Create or Update Contact, Unsubscribe Contact and Send Transactional Message through the runtime: events posted
 * to the Tracking API, the sandbox's state read back over HTTP.
 */

type Harness = Awaited<ReturnType<typeof startTestRuntime>>
let h: Harness | undefined
const sandboxes: Sandbox[] = []

afterEach(async () => {
  await h?.runtime.stop()
  h = undefined
  for (const sandbox of sandboxes.splice(0)) await sandbox.stop()
})

const fast = { delivery: { flushIntervalMs: 20, retryBaseMs: 10, retryMaxMs: 50 } }
const demo = { client_id: 'demo-client-id', client_secret: 'demo-client-secret' }

const personas = { computation_key: 'my_audience', computation_class: 'audience', computation_id: 'aud_1' }
const entered = (email: string, traits: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Audience Entered',
  userId: `user-${email.split('@')[0]}`,
  properties: { audience_key: 'my_audience', my_audience: true },
  context: { traits: { email, ...traits }, personas }
})
const unsubscribed = (email?: string) => ({
  type: 'track',
  event: 'Unsubscribed',
  userId: `user-${email?.split('@')[0] ?? 'nobody'}`,
  context: { traits: email ? { email } : {} }
})
const order = (email: string, id: string, properties: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Order Completed',
  userId: `user-${email.split('@')[0]}`,
  messageId: `order-${id}`,
  properties: { order_id: id, store: 'Downtown', points_earned: 85, ...properties },
  context: { traits: { email } }
})

/** The three example configs' subscriptions in one config. */
const everyNewAction = (): RuntimeConfigInput => ({
  subscriptions: ['config.upsert-contact.json', 'config.unsubscribe.json', 'config.transactional.json'].flatMap(
    (name) => configFile(name).subscriptions
  ),
  ...fast
})

interface Contact {
  emailAddress: string
  subscriptionState: string
  unsubscribeMethod: string | null
  externalContactID: string | null
  events: { eventId: number }[]
  fields: Record<string, string>
}

interface Messages {
  total: number
  perRecipient: Record<string, number>
  data: { emailAddress: string; transactionalMessageId: number; segmentationFieldValues: unknown[] }[]
}

const sandboxJson = async <T>(url: string, route: string) => (await (await fetch(`${url}${route}`)).json()) as T

async function contactsOf(url: string): Promise<Record<string, Contact>> {
  const { contacts } = await sandboxJson<{ contacts: Contact[] }>(url, '/_sandbox/lists/12345/contacts?detail=full')
  return Object.fromEntries(contacts.map((c) => [c.emailAddress, c]))
}

const messagesOf = (url: string) => sandboxJson<Messages>(url, '/_sandbox/messages')

const sandboxUrl = () => h?.runtime.sandbox?.url as string

describe('Create or Update Contact through the runtime', () => {
  it('subscribes each contact with its external ID and profile fields, and raises the Welcome Series once', async () => {
    h = await startTestRuntime({ ...configFile('config.upsert-contact.json'), ...fast })
    expect((await h.post('/v1/track', entered('jane@example.com', { favorite_store: 'Downtown' }))).status).toBe(200)
    await h.post('/v1/batch', {
      batch: [entered('john@example.com', { favorite_store: 'Uptown' }), entered('ana@example.com')]
    })
    const stats = await h.settled(3)
    expect(stats).toMatchObject({ accepted: 3, delivered: 3, deadLettered: 0 })
    const contacts = await contactsOf(sandboxUrl())
    expect(Object.keys(contacts).sort()).toEqual(['ana@example.com', 'jane@example.com', 'john@example.com'])
    expect(contacts['jane@example.com']).toMatchObject({
      subscriptionState: 'Subscribed',
      externalContactID: 'user-jane',
      fields: { '6789': 'on', '7001': 'Downtown' },
      events: [expect.objectContaining({ eventId: 3001 })]
    })
    expect(contacts['ana@example.com']).toMatchObject({ externalContactID: 'user-ana', fields: { '6789': 'on' } })
    expect((stats.perList as unknown as Record<string, { delivered: number }>)['12345'].delivered).toBe(3)
    const line = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'delivery')
    expect(line).toMatchObject({ action: 'upsertContact', listId: '12345', statuses: { '201': expect.any(Number) } })
  })
})

describe('Unsubscribe Contact through the runtime', () => {
  it('unsubscribes, counts a contact already unsubscribed or never subscribed as unchanged, never re-subscribes', async () => {
    h = await startTestRuntime({
      subscriptions: [
        ...configFile('config.upsert-contact.json').subscriptions,
        ...configFile('config.unsubscribe.json').subscriptions
      ],
      ...fast
    })
    const url = sandboxUrl()
    await h.post('/v1/batch', { batch: [entered('jane@example.com'), entered('john@example.com')] })
    await h.settled(2)
    // One after another: the runtime keeps order per subscription, not across them.
    await h.post('/v1/batch', { batch: [unsubscribed('jane@example.com'), unsubscribed('sam@example.com')] })
    await h.settled(4)
    await h.post('/v1/track', unsubscribed('jane@example.com'))
    await h.settled(5)
    let contacts = await contactsOf(url)
    expect(contacts['jane@example.com']).toMatchObject({ subscriptionState: 'Unsubscribed', unsubscribeMethod: 'API' })
    expect(contacts['john@example.com'].subscriptionState).toBe('Subscribed')
    // Unsubscribing someone who was never subscribed creates no contact.
    expect(contacts['sam@example.com']).toBeUndefined()

    // Jane enters the audience again: the subscribe mapping (no override) cannot bring her back.
    await h.post('/v1/track', entered('jane@example.com'))
    const stats = await h.settled(6)
    contacts = await contactsOf(url)
    expect(contacts['jane@example.com'].subscriptionState).toBe('Unsubscribed')
    expect(contacts['jane@example.com'].events).toHaveLength(1)
    expect(stats).toMatchObject({ delivered: 5, refused: 1, deadLettered: 1 })
    expect(stats.unchanged).toEqual({ ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS: 1, ERROR_UNSUBSCRIBED_EMAIL_ADDRESS: 1 })
    const [letter] = await h.waitForDeadLetters(1)
    expect(letter).toMatchObject({
      subscription: 'my_audience entered → subscribe to list 12345',
      status: 400,
      listId: 12345,
      reason: expect.stringContaining('ERROR_UPDATE_UNSUBSCRIBE_WITH_EVENTS')
    })
  })
})

describe('Send Transactional Message through the runtime', () => {
  it('sends one message per Order Completed event, with its merge values', async () => {
    h = await startTestRuntime({ ...configFile('config.transactional.json'), ...fast })
    await h.post('/v1/track', order('jane@example.com', 'A-1'))
    await h.post('/v1/batch', {
      batch: [
        order('john@example.com', 'A-2', { store: 'Uptown', points_earned: '20' }),
        order('ana@example.com', 'A-3')
      ]
    })
    const stats = await h.settled(3)
    expect(stats).toMatchObject({ delivered: 3, deadLettered: 0, messagesPerList: { '12345': 3 } })
    const messages = await messagesOf(sandboxUrl())
    expect(messages.total).toBe(3)
    expect(messages.perRecipient).toEqual({ 'jane@example.com': 1, 'john@example.com': 1, 'ana@example.com': 1 })
    const john = messages.data.find((m) => m.emailAddress === 'john@example.com')
    expect(john).toMatchObject({
      transactionalMessageId: 9001,
      segmentationFieldValues: [
        { segmentationFieldId: 7001, value: 'Uptown' },
        { segmentationFieldId: 7003, value: '20' }
      ]
    })
  })

  it.each([
    ['the durable queue', {}],
    ['the in-memory queue', { memory: true }]
  ])('sends nothing twice when a file is posted twice (messageId dedup, %s)', async (_, queue) => {
    h = await startTestRuntime({ ...configFile('config.transactional.json'), ...fast, queue })
    const file = path.join(__dirname, '..', '..', 'examples', 'events', 'order-completed.ndjson')
    const batch = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as unknown)
    // Posted twice at once (a client retrying a request it thinks failed), then once more after delivery.
    const answers = await Promise.all([h.post('/v1/batch', { batch }), h.post('/v1/batch', { batch })])
    expect(answers.map((a) => a.status)).toEqual([200, 200])
    await h.settled(3)
    await h.post('/v1/batch', { batch })
    const stats = await h.settled(3)
    expect(stats).toMatchObject({ accepted: 3, duplicates: 6, delivered: 3, matched: 3 })
    const messages = await messagesOf(sandboxUrl())
    expect(messages.total).toBe(3)
    expect(Object.values(messages.perRecipient)).toEqual([1, 1, 1])
  })

  it('dead-letters as OUTCOME_UNKNOWN, never sends again, a batch in flight when the runtime stopped', async () => {
    const sandbox = await startSandbox()
    sandboxes.push(sandbox)
    const input: RuntimeConfigInput = {
      ...configFile('config.transactional.json'),
      settings: demo,
      listrak: { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl },
      ...fast
    }
    h = await startTestRuntime(input)
    const queue = { ...h.config.queue }
    // Every request to Listrak takes a second: the messages are still on their way when the drain is cut short.
    sandbox.state.faults.set({ latencyMs: 1000 })
    await h.post('/v1/batch', {
      batch: [order('jane@example.com', 'B-1'), order('john@example.com', 'B-2'), order('ana@example.com', 'B-3')]
    })
    // The batch is stored as being sent before it goes.
    const reader = new LmdbQueue({ ...queue, role: 'reader' })
    try {
      await waitFor(
        'the batch stored as being sent',
        () => reader.read('Order Completed → Order Confirmation', -1, 10),
        (page) => page.length === 3 && page.every((item) => item.attempts === -1),
        { timeoutMs: 10_000 }
      )
    } finally {
      await reader.close()
    }
    await waitFor(
      'the messages in flight',
      () => sandbox.state.stats.inFlight,
      (n) => n >= 3,
      { timeoutMs: 10_000 }
    )
    // A second signal: the drain stops at once; the store keeps what was not settled.
    const stopping = h.runtime.stop()
    h.runtime.interrupt()
    const first = await stopping
    expect(first).toMatchObject({ delivered: 0, deadLettered: 0, interrupted: true })
    // Listrak took them: the answers came back to nobody.
    await waitFor(
      '3 messages sent',
      () => sandbox.state.messagesSent({}).total,
      (n) => n === 3
    )
    sandbox.state.faults.clear()

    h = await startTestRuntime({ ...input, queue })
    const stats = await h.settled(3)
    expect(stats).toMatchObject({ resumed: 3, delivered: 0, refused: 3, deadLettered: 3 })
    expect(Object.keys(stats.reasons)).toEqual(['424 OUTCOME_UNKNOWN'])
    const letters = await h.waitForDeadLetters(3)
    for (const letter of letters) {
      expect(letter).toMatchObject({ status: 424, attempts: 1, listId: 12345 })
      expect(letter.reason).toMatch(/^The runtime stopped .*may or may not have been sent.* not retried/)
    }
    expect(sandbox.state.messagesSent({}).total).toBe(3)
    expect(sandbox.state.messagesSent({}).perRecipient).toEqual({
      'jane@example.com': 1,
      'john@example.com': 1,
      'ana@example.com': 1
    })
  }, 30_000)
})

describe('one event at a time (enable_batching false)', () => {
  it('counts an unchanged unsubscribe, and dead-letters a lost answer as OUTCOME_UNKNOWN without a retry', async () => {
    const unbatched = (name: string) =>
      configFile(name).subscriptions.map((s) => ({ ...s, mapping: { ...s.mapping, enable_batching: false } }))
    h = await startTestRuntime({
      subscriptions: [...unbatched('config.unsubscribe.json'), ...unbatched('config.transactional.json')],
      ...fast
    })
    await h.post('/v1/track', unsubscribed('sam@example.com'))
    await h.settled(1)
    h.runtime.sandbox?.state.faults.set({ dropAfterRate: 1 })
    await h.post('/v1/track', order('jane@example.com', 'D-1'))
    const stats = await h.settled(2)
    expect(stats).toMatchObject({ delivered: 1, refused: 1, retried: 0, deadLettered: 1 })
    expect(stats.unchanged).toEqual({ ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS: 1 })
    // Sent to list 12345, though nobody knows whether it went: counted there, not under "(not sent)".
    expect(stats.perList).toEqual({ '12345': expect.objectContaining({ delivered: 1, refused: 1, deadLettered: 1 }) })
    const [letter] = await h.waitForDeadLetters(1)
    expect(letter).toMatchObject({ status: 424, attempts: 1, listId: 12345 })
    expect(letter.reason).toMatch(/^No answer from Listrak for transactional message 9001 on list 12345 .* not retried/)
    expect((await messagesOf(sandboxUrl())).perRecipient).toEqual({ 'jane@example.com': 1 })
  })
})

describe('a batch mixing bad and good events for every new action', () => {
  it('answers for each event: the good ones delivered, the bad ones refused with their reasons, in /stats and dead letters', async () => {
    h = await startTestRuntime(everyNewAction())
    const answer = await h.post('/v1/batch', {
      batch: [
        entered('jane@example.com', { favorite_store: 'Downtown' }),
        entered('not-an-email'),
        { type: 'track', event: 'Order Completed', properties: {} },
        order('john@example.com', 'C-1'),
        order('ana@example.com', 'C-2', { points_earned: 'lots' }),
        unsubscribed('sam@example.com'),
        unsubscribed()
      ]
    })
    expect(answer.status).toBe(200)
    expect(await answer.json()).toEqual({
      success: true,
      accepted: 6,
      refused: [{ index: 2, reason: expect.stringContaining('userId or anonymousId') }]
    })
    const stats = (await h.settled(6)) as unknown as Record<string, unknown> & Record<string, number>
    expect(stats).toMatchObject({ accepted: 6, invalid: 1, delivered: 3, refused: 3, deadLettered: 3 })
    expect(stats.perSubscription).toEqual({
      'my_audience entered → subscribe to list 12345': expect.objectContaining({
        matched: 2,
        delivered: 1,
        refused: 1
      }),
      'Unsubscribed → unsubscribe from list 12345': expect.objectContaining({ matched: 2, delivered: 1, refused: 1 }),
      'Order Completed → Order Confirmation': expect.objectContaining({ matched: 2, delivered: 1, refused: 1 })
    })
    expect(stats.perList).toMatchObject({
      '12345': { delivered: 3, refused: 0 },
      '(not sent)': { delivered: 0, refused: 3, deadLettered: 3 }
    })
    expect(stats.unchanged).toEqual({ ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS: 1 })
    expect(stats.messagesPerList).toEqual({ '12345': 1 })

    const letters = await h.waitForDeadLetters(3)
    const bySubscription = Object.fromEntries(letters.map((l) => [l.subscription, l]))
    expect(bySubscription['my_audience entered → subscribe to list 12345']).toMatchObject({
      status: 400,
      listId: 12345,
      reason: expect.stringContaining('Email Address')
    })
    expect(bySubscription['Order Completed → Order Confirmation']).toMatchObject({
      status: 400,
      listId: 12345,
      reason: expect.stringContaining('field 7003 ("loyalty_points", a Numeric field) takes a number, not "lots"')
    })
    expect(bySubscription['Unsubscribed → unsubscribe from list 12345']).toMatchObject({
      status: 400,
      reason: expect.stringContaining('emailAddress')
    })
    // What the sandbox holds is the good events', and only theirs.
    expect(Object.keys(await contactsOf(sandboxUrl()))).toEqual(['jane@example.com'])
    expect((await messagesOf(sandboxUrl())).perRecipient).toEqual({ 'john@example.com': 1 })
  })
})
