import type { Sandbox } from '../../sandbox'
import { configFile, startTestRuntime } from './harness'

/** Segment's actions CLI `serve` routes for Create or Update Contact, Unsubscribe Contact, Send Transactional Message. */

let h: Awaited<ReturnType<typeof startTestRuntime>>
let sandbox: Sandbox
beforeAll(async () => {
  h = await startTestRuntime(configFile('config.json'))
  sandbox = h.runtime.sandbox as Sandbox
})
afterAll(() => h.runtime.stop())
afterEach(() => sandbox.state.faults.clear())

const demo = { client_id: 'demo-client-id', client_secret: 'demo-client-secret' }
const json = async (response: Response) => (await response.json()) as Record<string, unknown>
const values = (answer: Record<string, unknown>) => (answer.choices as { value: string }[]).map((c) => c.value)

interface Exchange {
  request: { method: string; url: string; headers: Record<string, string>; body: string }
  response: { statusCode: number; body: unknown }
}
const route = (e: Exchange) => {
  const url = new URL(e.request.url)
  return `${e.request.method} ${url.pathname}${url.search}`
}

const track = (email: string, event: string, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event,
  userId: `user-${email.split('@')[0]}`,
  context: { traits: { email } },
  ...extra
})

describe('GET /manifest', () => {
  it('lists every action with its fields', async () => {
    const manifest = (await json(await fetch(`${h.runtime.url}/manifest`))) as {
      actions: Record<string, { title: string; fields: Record<string, unknown> }>
    }
    expect(Object.keys(manifest.actions)).toEqual([
      'updateEmailContactProfileFields',
      'upsertContact',
      'unsubscribeContact',
      'sendTransactionalMessage'
    ])
    expect(manifest.actions.upsertContact.title).toBe('Create or Update Contact')
    expect(Object.keys(manifest.actions.upsertContact.fields)).toEqual(
      expect.arrayContaining(['listId', 'subscriptionState', 'externalContactID', 'eventIds'])
    )
    expect(manifest.actions.unsubscribeContact.title).toBe('Unsubscribe Contact')
    expect(manifest.actions.sendTransactionalMessage).toMatchObject({
      title: 'Send Transactional Message',
      fields: { transactionalMessageId: expect.objectContaining({ type: 'integer', required: true }) }
    })
  })
})

describe('POST /<action>', () => {
  it('/upsertContact runs a batch: one result per event, and the exchanges without credentials', async () => {
    const { data } = (await json(await h.post('/refreshAccessToken', { settings: demo }))) as {
      data: { accessToken: string }
    }
    const answer = await json(
      await h.post('/upsertContact', {
        payload: [
          track('jane@example.com', 'Audience Entered', { userId: 'user-jane' }),
          track('bad', 'Audience Entered')
        ],
        settings: demo,
        mapping: { listId: 12345, subscriptionState: 'Subscribed', eventIds: [3001] },
        auth: { accessToken: data.accessToken }
      })
    )
    expect(answer.multistatus).toEqual([
      expect.objectContaining({ status: 201, sent: expect.objectContaining({ externalContactID: 'user-jane' }) }),
      expect.objectContaining({ status: 400 })
    ])
    const exchanges = answer.exchanges as Exchange[]
    expect(exchanges.map(route)).toEqual(['POST /email/v1/List/12345/Contact?eventIds=3001'])
    expect(exchanges[0].request.headers.authorization).toBe('<redacted>')
    expect(JSON.parse(exchanges[0].request.body)).toEqual({
      emailAddress: 'jane@example.com',
      subscriptionState: 'Subscribed',
      externalContactID: 'user-jane',
      segmentationFieldValues: []
    })
    expect(JSON.stringify(answer)).not.toContain(data.accessToken)
  })

  it('/unsubscribeContact runs one event through perform, fetching no token itself', async () => {
    const answer = await json(
      await h.post('/unsubscribeContact', {
        payload: track('nobody@example.com', 'Unsubscribed'),
        settings: demo,
        mapping: { listId: 12345 }
      })
    )
    // Without auth the request goes unauthenticated and Listrak refuses it: the route shows that exchange.
    const exchanges = answer.exchanges as Exchange[]
    expect(exchanges.map(route)).toEqual(['POST /email/v1/List/12345/Contact'])
    expect(JSON.parse(exchanges[0].request.body)).toMatchObject({ subscriptionState: 'Unsubscribed' })
    expect(answer.error).toMatchObject({ statusCode: 401 })
  })

  it('/sendTransactionalMessage reports an answer lost after sending as a final 424 OUTCOME_UNKNOWN', async () => {
    const { data } = (await json(await h.post('/refreshAccessToken', { settings: demo }))) as {
      data: { accessToken: string }
    }
    const before = sandbox.state.messagesSent({ email: 'lost@example.com' }).matched
    const mapping = { listId: 12345, transactionalMessageId: 9001, profileFieldValues: { '7001': 'Downtown' } }
    const sent = await json(
      await h.post('/sendTransactionalMessage', {
        payload: [track('kept@example.com', 'Order Completed')],
        settings: demo,
        mapping,
        auth: { accessToken: data.accessToken }
      })
    )
    expect(sent.multistatus).toEqual([expect.objectContaining({ status: 201 })])
    expect((sent.exchanges as Exchange[]).map(route)).toContain(
      'POST /email/v1/List/12345/TransactionalMessage/9001/Message'
    )

    sandbox.state.faults.set({ dropAfterRate: 1 })
    const lost = await json(
      await h.post('/sendTransactionalMessage', {
        payload: [track('lost@example.com', 'Order Completed')],
        settings: demo,
        mapping,
        auth: { accessToken: data.accessToken }
      })
    )
    expect(lost.multistatus).toEqual([
      expect.objectContaining({
        status: 424,
        errortype: 'OUTCOME_UNKNOWN',
        errormessage: expect.stringMatching(/may or may not have been sent.*not retried/)
      })
    ])
    const single = await json(
      await h.post('/sendTransactionalMessage', {
        payload: track('lost@example.com', 'Order Completed'),
        settings: demo,
        mapping,
        auth: { accessToken: data.accessToken }
      })
    )
    expect(single.error).toMatchObject({ statusCode: 424, message: expect.stringContaining('may or may not') })
    // The sandbox took both: sent once per call, never twice for one.
    expect(sandbox.state.messagesSent({ email: 'lost@example.com' }).matched).toBe(before + 2)
  })
})

describe('dynamic-field routes', () => {
  const dynamic = (path: string, payload: Record<string, unknown> = {}, selectedKey?: string) =>
    h
      .post(path, { settings: demo, payload, ...(selectedKey ? { dynamicFieldContext: { selectedKey } } : {}) })
      .then(json)

  it('offer the lists for every new action', async () => {
    for (const action of ['upsertContact', 'unsubscribeContact', 'sendTransactionalMessage']) {
      expect(values(await dynamic(`/${action}/listId`))).toEqual(['12345', '67890'])
    }
  })

  it("/upsertContact/eventIds offers the chosen list's events, and asks for a list first", async () => {
    expect(await dynamic('/upsertContact/eventIds', { listId: 12345 })).toEqual({
      choices: [
        { label: 'Welcome Series (3001)', value: '3001' },
        { label: 'Back in Stock (3002)', value: '3002' }
      ]
    })
    expect(await dynamic('/upsertContact/eventIds')).toMatchObject({
      choices: [],
      error: { message: expect.stringContaining('Choose a List ID first') }
    })
  })

  it('/upsertContact/profileFieldValues offers keys, and values with useAudienceKey for a check box', async () => {
    expect(values(await dynamic('/upsertContact/profileFieldValues', { listId: 12345 }))).toEqual([
      '6789',
      '6790',
      '7001',
      '7002',
      '7003',
      '7004'
    ])
    expect(values(await dynamic('/upsertContact/profileFieldValues', { listId: 12345 }, '6789'))).toEqual([
      'on',
      'off',
      'useAudienceKey'
    ])
  })

  it('/sendTransactionalMessage/transactionalMessageId names each message with its subject', async () => {
    expect(await dynamic('/sendTransactionalMessage/transactionalMessageId', { listId: 12345 })).toEqual({
      choices: [
        { label: 'Order Confirmation: "Your order is confirmed" (9001)', value: '9001' },
        { label: 'Password Reset: "Reset your password" (9002)', value: '9002' }
      ]
    })
  })

  it('/sendTransactionalMessage/profileFieldValues offers merge values without useAudienceKey', async () => {
    expect(values(await dynamic('/sendTransactionalMessage/profileFieldValues', { listId: 12345 }, '6789'))).toEqual([
      'on',
      'off'
    ])
    expect(values(await dynamic('/sendTransactionalMessage/profileFieldValues', { listId: 12345 }, '7003'))).toEqual([
      '0'
    ])
  })

  it('has no route for a field an action does not have', async () => {
    expect((await h.post('/unsubscribeContact/eventIds', { settings: demo, payload: {} })).status).toBe(404)
  })
})
