import type { SegmentEvent } from '@segment/actions-core'
import http from 'http'
import type { AddressInfo } from 'net'
import nock from 'nock'
import { listrakDestination } from '../../src'
import { LISTRAK_URLS } from '../../src/api/urls'
import { ACCESS_TOKEN, API, AUTH, isolateNetwork, serveProfileFields } from './fixtures'
import { accept, messagePath, runBatch, runBatchWithOAuth, runSingle, track } from './routes'

isolateNetwork()

const ACTION = 'sendTransactionalMessage'
const mapping = {
  listId: 12345,
  transactionalMessageId: 501,
  profileFieldValues: { '7001': { '@path': '$.properties.order_id' } }
}
const PATH = messagePath(12345, 501)
const order = (email: string, orderId = 'A-1') => track(email, { order_id: orderId })
const merge = (orderId: string) => [{ segmentationFieldId: 7001, value: orderId }]

describe('Send Transactional Message, one event', () => {
  it('posts the recipient and merge values as strings and returns the message', async () => {
    const received = accept(PATH)
    const result = await runSingle(ACTION, track('jane@example.com', { order_id: 1001 }), mapping)
    expect(received).toEqual([
      { query: {}, body: { emailAddress: 'jane@example.com', segmentationFieldValues: merge('1001') } }
    ])
    expect(result).toEqual({ listId: 12345, status: 201, resourceId: 'r-1' })
  })

  it('sends an empty array when there are no merge values, as Listrak asks', async () => {
    const received = accept(PATH)
    await runSingle(ACTION, track('jane@example.com'), { listId: 12345, transactionalMessageId: 501 })
    expect(received[0].body).toEqual({ emailAddress: 'jane@example.com', segmentationFieldValues: [] })
  })

  it.each([
    ['429', (i: nock.Interceptor) => i.reply(429, {}), 'RetryableError', 429],
    ['503', (i: nock.Interceptor) => i.reply(503, 'Service Unavailable'), 'RetryableError', 503],
    ['ECONNREFUSED', (i: nock.Interceptor) => i.replyWithError(econn('ECONNREFUSED')), 'RetryableError', 500],
    ['500', (i: nock.Interceptor) => i.reply(500, {}), 'IntegrationError', 424],
    ['ECONNRESET', (i: nock.Interceptor) => i.replyWithError(econn('ECONNRESET')), 'IntegrationError', 424],
    ['401', (i: nock.Interceptor) => i.reply(401, {}), 'InvalidAuthenticationError', 401],
    ['400', (i: nock.Interceptor) => i.reply(400, {}), 'IntegrationError', 400]
  ])('throws for %s the actions-core error that stands for it', async (_, reply, name, status) => {
    reply(nock(API).post(PATH))
    await expect(runSingle(ACTION, order('jane@example.com'), mapping)).rejects.toMatchObject({ name, status })
  })

  it('throws an unknown outcome with the code OUTCOME_UNKNOWN', async () => {
    nock(API).post(PATH).replyWithError(econn('ECONNRESET', 'socket hang up'))
    await expect(runSingle(ACTION, order('jane@example.com'), mapping)).rejects.toMatchObject({
      code: 'OUTCOME_UNKNOWN',
      message: expect.stringContaining('may or may not have been sent')
    })
  })
})

describe('Send Transactional Message, batches', () => {
  it('sends one message per event, never merging two for one address', async () => {
    const received = accept(PATH)
    const results = await runBatch(
      ACTION,
      [order('jane@example.com', 'A-1'), order('JANE@example.com', 'A-2'), order('john@example.com', 'A-3')],
      mapping
    )
    expect(results.map((r) => r.status)).toEqual([201, 201, 201])
    expect(received.map((r) => r.body)).toHaveLength(3)
    expect(received.map((r) => r.body)).toEqual(
      expect.arrayContaining([
        { emailAddress: 'jane@example.com', segmentationFieldValues: merge('A-1') },
        { emailAddress: 'JANE@example.com', segmentationFieldValues: merge('A-2') },
        { emailAddress: 'john@example.com', segmentationFieldValues: merge('A-3') }
      ])
    )
    expect(results[1].sent).toEqual({
      listId: 12345,
      transactionalMessageId: 501,
      emailAddress: 'JANE@example.com',
      segmentationFieldValues: merge('A-2')
    })
  })

  it('answers good and bad events per event; bad ones are never sent', async () => {
    serveProfileFields(12345, [[7001, 'order_id', 'Text', 5]])
    const received = accept(PATH)
    const results = await runBatch(
      ACTION,
      [
        order('ann@example.com', 'A-1'),
        order('nope', 'A-2'),
        order('bob@example.com', 'A-1234567'),
        order('cid@example.com')
      ],
      mapping
    )
    expect(results.map((r) => r.status)).toEqual([201, 400, 400, 201])
    expect(results[2].errormessage).toBe(
      'Merge Values: field 7001 ("order_id", a Text field) holds at most 5 characters; the value "A-1234567" has 9.'
    )
    expect(received).toHaveLength(2)
  })

  it('classifies each failure on its own: retried only when the message surely was not taken', async () => {
    const byRecipient: Record<string, (i: nock.Interceptor) => nock.Scope> = {
      'ok@example.com': (i) => i.reply(201, { status: 201, resourceId: 'm-1' }),
      'limited@example.com': (i) => i.reply(429, { status: 429, error: 'ERROR_TOO_MANY_REQUESTS', message: 'Later.' }),
      'unavailable@example.com': (i) => i.reply(503, 'Service Unavailable'),
      'refused@example.com': (i) => i.replyWithError(econn('ECONNREFUSED')),
      'failed@example.com': (i) => i.reply(500, { status: 500, error: 'ERROR_UNHANDLED_EXCEPTION', message: 'Oops.' }),
      'dropped@example.com': (i) => i.replyWithError(econn('ECONNRESET', 'socket hang up')),
      'banned@example.com': (i) => i.reply(400, { status: 400, error: 'ERROR_INVALID_PARAMETER', message: 'No.' })
    }
    for (const [email, reply] of Object.entries(byRecipient)) {
      reply(nock(API).post(PATH, (body: { emailAddress: string }) => body.emailAddress === email))
    }
    const results = await runBatch(
      ACTION,
      Object.keys(byRecipient).map((email) => order(email)),
      mapping
    )
    expect(results.map((r) => [r.status, r.errortype ?? 'ok'])).toEqual([
      [201, 'ok'],
      [429, 'TOO_MANY_REQUESTS'],
      [503, 'SERVICE_UNAVAILABLE'],
      [500, 'RETRYABLE_ERROR'],
      [424, 'OUTCOME_UNKNOWN'],
      [424, 'OUTCOME_UNKNOWN'],
      [400, 'BAD_REQUEST']
    ])
    expect(results[3].errormessage).toContain('nothing was sent; it will be retried')
    for (const unknown of [results[4], results[5]]) {
      expect(unknown.errormessage).toContain(
        "may or may not have been sent. Check the transactional message's activity in Listrak before sending it again"
      )
    }
  })

  it('has at most Requests in Flight messages in flight at once', async () => {
    let inFlight = 0
    let most = 0
    nock(API)
      .post(PATH)
      .times(6)
      .reply(async () => {
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setTimeout(resolve, 20))
        inFlight--
        return [201, { status: 201 }]
      })
    const events = Array.from({ length: 6 }, (_, i) => order(`user${i}@example.com`))
    const results = await runBatch(ACTION, events, { ...mapping, max_concurrent_requests: 3 })
    expect(results.every((r) => r.status === 201)).toBe(true)
    expect(most).toBe(3)
  })
})

describe("Send Transactional Message through actions-core's Destination, with OAuth", () => {
  const onBatch = (events: Partial<SegmentEvent>[]) => runBatchWithOAuth(ACTION, events, mapping)
  const unauthorized = {
    status: 401,
    error: 'ERROR_UNAUTHORIZED',
    message: 'Authorization was denied for this request.'
  }

  it('does not send an accepted message again when another message of the batch got a 401', async () => {
    let sentToEarly = 0
    nock(API)
      .post(PATH, (body: { emailAddress: string }) => body.emailAddress === 'early@example.com')
      .times(2)
      .reply(() => {
        sentToEarly++
        return [201, { status: 201, resourceId: 'm-1' }]
      })
    nock(API)
      .post(PATH, (body: { emailAddress: string }) => body.emailAddress === 'late@example.com')
      .reply(401, unauthorized)
    const token = nock(AUTH).post('/OAuth2/Token').reply(200, { access_token: 'fresh-token' })

    const results = await onBatch([order('early@example.com'), order('late@example.com')])

    expect(sentToEarly).toBe(1)
    expect(token.isDone()).toBe(false)
    expect(results.map((r) => [r.status, r.errortype ?? 'ok'])).toEqual([
      [201, 'ok'],
      [500, 'RETRYABLE_ERROR']
    ])
    expect(results[1].errormessage).toContain('retried on its own')
  })

  it('does not send a message of unknown outcome again when another message got a 401 and none was accepted', async () => {
    let sentToFailed = 0
    nock(API)
      .post(PATH, (body: { emailAddress: string }) => body.emailAddress === 'failed@example.com')
      .times(2)
      .reply(() => {
        sentToFailed++
        return [500, { status: 500, error: 'ERROR_UNHANDLED_EXCEPTION', message: 'Oops.' }]
      })
    const late = (body: { emailAddress: string }) => body.emailAddress === 'late@example.com'
    nock(API).post(PATH, late).matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`).reply(401, unauthorized)
    nock(API).post(PATH, late).matchHeader('authorization', 'Bearer fresh-token').reply(201, { status: 201 })
    const token = nock(AUTH).post('/OAuth2/Token').reply(200, { access_token: 'fresh-token' })

    const results = await onBatch([order('failed@example.com'), order('late@example.com')])

    expect(sentToFailed).toBe(1)
    expect(token.isDone()).toBe(false)
    expect(results.map((r) => [r.status, r.errortype ?? 'ok'])).toEqual([
      [424, 'OUTCOME_UNKNOWN'],
      [500, 'RETRYABLE_ERROR']
    ])
    expect(results[1].errormessage).toContain('retried on its own')
  })

  it('keeps a 401 when nothing of the batch was sent, so actions-core gets a new token and sends it', async () => {
    nock(API).post(PATH).matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`).reply(401, unauthorized)
    nock(AUTH).post('/OAuth2/Token').reply(200, { access_token: 'fresh-token' })
    const fresh = nock(API)
      .post(PATH)
      .matchHeader('authorization', 'Bearer fresh-token')
      .reply(201, { status: 201, resourceId: 'm-1' })

    const results = await onBatch([order('jane@example.com')])

    expect(fresh.isDone()).toBe(true)
    expect(results).toEqual([expect.objectContaining({ status: 201 })])
  })
})

describe('Send Transactional Message over real connections on loopback', () => {
  let server: http.Server | undefined

  beforeEach(() => nock.enableNetConnect('127.0.0.1'))
  afterEach(async () => {
    nock.disableNetConnect()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    server = undefined
  })

  const listen = async (handler: http.RequestListener) => {
    server = http.createServer(handler)
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    return (server?.address() as AddressInfo).port
  }
  /** The destination with its Email API at the server on `port`. */
  const pointAt = (port: number) =>
    listrakDestination({ auth: LISTRAK_URLS.auth, api: `http://127.0.0.1:${port}/email/v1` })

  it('retries a refused connection: nothing was sent', async () => {
    const port = await listen(() => undefined)
    await new Promise<void>((resolve) => server?.close(() => resolve()))
    server = undefined
    const [result] = await runBatch(ACTION, [order('jane@example.com')], mapping, pointAt(port))
    expect(result).toMatchObject({ status: 500, errortype: 'RETRYABLE_ERROR' })
    expect(result.errormessage).toContain('ECONNREFUSED')
    expect(result.errormessage).toContain('nothing was sent')
  })

  it('does not retry a connection dropped after the request was read: the outcome is unknown', async () => {
    let sends = 0
    const definition = pointAt(
      await listen((request) => {
        // The reads of the list's profile fields come here too, and are dropped as well.
        if (request.method === 'POST') sends++
        request.resume()
        request.on('end', () => request.socket.destroy())
      })
    )
    const [result] = await runBatch(ACTION, [order('jane@example.com')], mapping, definition)
    expect(sends).toBe(1)
    expect(result).toMatchObject({ status: 424, errortype: 'OUTCOME_UNKNOWN' })
    expect(result.errormessage).toContain('ECONNRESET')
  })
})

function econn(code: string, message = `connect ${code} 203.0.113.1:443`) {
  return Object.assign(new Error(message), { code })
}
