import nock from 'nock'
import { createTestEvent, createTestIntegration, defaultValues } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import Destination from '../../src'
import { API, auth, isolateNetwork, newSettings } from './__helpers__/listrak'

const testDestination = createTestIntegration(Destination)

isolateNetwork()

const messagePath = '/email/v1/List/123/TransactionalMessage/77/Message'
const mapping = {
  listId: 123,
  transactionalMessageId: 77,
  profileFieldValues: { '501': { '@path': '$.properties.order_id' } }
}

const orderCompleted = (email: string, orderId = 'A-1') =>
  createTestEvent({ event: 'Order Completed', properties: { order_id: orderId }, context: { traits: { email } } })

/** No profile field definitions to check against: the merge values go unchecked. */
const withoutDefinitions = () => nock(API).get('/email/v1/List/123/SegmentationFieldGroup').reply(403, {}).persist()

function executeBatch(events: SegmentEvent[], fields: JSONObject = mapping) {
  return testDestination.executeBatch('sendTransactionalMessage', {
    events,
    settings: newSettings(),
    auth,
    mapping: { ...(defaultValues(Destination.actions.sendTransactionalMessage.fields) as JSONObject), ...fields }
  })
}

describe('Send Transactional Message, one event', () => {
  it('sends the message to the recipient with the merge values', async () => {
    withoutDefinitions()
    let received: unknown
    nock(API)
      .post(messagePath, (body) => {
        received = body
        return true
      })
      .reply(201, { status: 201, resourceId: 'message-1' })

    await testDestination.testAction('sendTransactionalMessage', {
      event: orderCompleted('jane@example.com', 'A-1001'),
      settings: newSettings(),
      auth,
      useDefaultMappings: true,
      mapping: { ...mapping, enable_batching: false }
    })

    expect(received).toEqual({
      emailAddress: 'jane@example.com',
      segmentationFieldValues: [{ segmentationFieldId: 501, value: 'A-1001' }]
    })
  })

  it('throws a final error when the connection drops after sending: the message may have gone out', async () => {
    withoutDefinitions()
    nock(API)
      .post(messagePath)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))

    await expect(
      testDestination.testAction('sendTransactionalMessage', {
        event: orderCompleted('jane@example.com'),
        settings: newSettings(),
        auth,
        useDefaultMappings: true,
        mapping: { ...mapping, enable_batching: false }
      })
    ).rejects.toMatchObject({ name: 'IntegrationError', code: 'OUTCOME_UNKNOWN', status: 424 })
  })
})

describe('Send Transactional Message, batches', () => {
  it('sends one message per event, even two for the same recipient', async () => {
    withoutDefinitions()
    const scope = nock(API).post(messagePath).times(2).reply(201, { status: 201, resourceId: 'message-1' })

    const results = await executeBatch([
      orderCompleted('jane@example.com', 'A-1'),
      orderCompleted('jane@example.com', 'A-2')
    ])

    expect(results.map((r) => r.status)).toEqual([201, 201])
    expect(scope.isDone()).toBe(true)
  })

  it('answers each event in input order, refusing a bad one alone', async () => {
    withoutDefinitions()
    nock(API).post(messagePath).times(2).reply(201, { status: 201, resourceId: 'message-1' })

    const results = await executeBatch([
      orderCompleted('ann@example.com'),
      orderCompleted('not-an-email'),
      orderCompleted('bob@example.com')
    ])

    expect(results.map((r) => r.status)).toEqual([201, 400, 201])
  })

  it.each([
    ['429', 429, 429, 'TOO_MANY_REQUESTS'],
    ['503', 503, 503, 'SERVICE_UNAVAILABLE'],
    ['500', 500, 424, 'OUTCOME_UNKNOWN'],
    ['502', 502, 424, 'OUTCOME_UNKNOWN']
  ])('answers Listrak %s with %i %s', async (_, status, expected, errortype) => {
    withoutDefinitions()
    nock(API).post(messagePath).reply(status, { status, error: 'ERROR_X', message: 'Listrak says so.' })

    const [result] = await executeBatch([orderCompleted('jane@example.com')])

    expect(result).toMatchObject({ status: expected, errortype })
  })

  it('retries a refused connection, since nothing was sent', async () => {
    withoutDefinitions()
    nock(API)
      .post(messagePath)
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))

    const [result] = await executeBatch([orderCompleted('jane@example.com')])

    expect(result).toMatchObject({ status: 500, errortype: 'RETRYABLE_ERROR' })
  })
})
