import nock from 'nock'
import { audienceIdentify, audienceTrack } from '../engage-events'
import { ACCESS_TOKEN, API, AUTH, isolateNetwork, serveProfileFields } from './fixtures'
import { accept, contactPath, runBatch, runBatchWithOAuth, runSingle, track } from './routes'

isolateNetwork()

const ACTION = 'upsertContact'
const mapping = { listId: 12345 }
const values = (...pairs: [number, string][]) =>
  pairs.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
const unauthorized = { status: 401, error: 'ERROR_UNAUTHORIZED', message: 'Authorization was denied for this request.' }
/** Engage identify events built with an empty properties object: traits_or_props resolves to {}. */
const identifyWithoutProperties = (email: string, member: boolean) => ({
  ...audienceIdentify(email, 'my_audience', member),
  properties: {}
})

describe('Create or Update Contact, one event', () => {
  it("posts the contact with the first action's address default and the userId as external ID", async () => {
    const received = accept(contactPath(12345))
    const result = await runSingle(ACTION, track('jane@example.com'), { ...mapping, subscriptionState: 'Subscribed' })
    expect(received).toEqual([
      {
        query: {},
        body: {
          emailAddress: 'jane@example.com',
          subscriptionState: 'Subscribed',
          externalContactID: 'user-jane@example.com',
          segmentationFieldValues: []
        }
      }
    ])
    expect(result).toEqual({ listId: 12345, status: 201, resourceId: 'r-1' })
  })

  it('leaves the subscription state out when the mapping sets none', async () => {
    const received = accept(contactPath(12345))
    await runSingle(ACTION, track('jane@example.com'), mapping)
    expect(received[0].body).not.toHaveProperty('subscriptionState')
  })

  it('sends the query options as Listrak names them, event IDs comma-separated', async () => {
    const received = accept(contactPath(12345))
    await runSingle(ACTION, track('jane@example.com'), {
      ...mapping,
      subscriptionState: 'Subscribed',
      eventIds: [3001, '3002'],
      overrideUnsubscribe: true,
      subscribedByContact: true,
      sendDoubleOptIn: true,
      updateType: 'Append'
    })
    expect(received[0].query).toEqual({
      eventIds: '3001,3002',
      overrideUnsubscribe: 'true',
      subscribedByContact: 'true',
      sendDoubleOptIn: 'true',
      updateType: 'Append'
    })
  })

  it('changes an address with newEmailAddress', async () => {
    const received = accept(contactPath(12345))
    await runSingle(ACTION, track('old@example.com', { new_email: 'new@example.com' }), {
      ...mapping,
      newEmailAddress: { '@path': '$.properties.new_email' }
    })
    expect(received[0]).toEqual({
      query: { newEmailAddress: 'new@example.com' },
      body: expect.objectContaining({ emailAddress: 'old@example.com', segmentationFieldValues: [] })
    })
  })

  it('throws PayloadValidationError for a refused event, without calling Listrak', async () => {
    const scope = nock(API).post(contactPath(12345)).query(true).reply(201, {})
    await expect(
      runSingle(ACTION, track('jane@example.com'), {
        ...mapping,
        subscriptionState: 'Unsubscribed',
        profileFieldValues: { '6789': 'on' }
      })
    ).rejects.toMatchObject({
      name: 'PayloadValidationError',
      message: expect.stringContaining('ERROR_UNSUBSCRIBE_WITH_SEGMENTATION_DATA')
    })
    expect(scope.isDone()).toBe(false)
  })

  it.each([
    [400, 'IntegrationError'],
    [401, 'InvalidAuthenticationError'],
    [404, 'IntegrationError'],
    [429, 'RetryableError'],
    [503, 'RetryableError']
  ])('throws for Listrak %i as %s with its code', async (status, name) => {
    nock(API).post(contactPath(12345)).reply(status, { status, error: 'ERROR_X', message: 'said Listrak' })
    await expect(runSingle(ACTION, track('jane@example.com'), mapping)).rejects.toMatchObject({
      name,
      message: expect.stringContaining('ERROR_X: said Listrak')
    })
  })
})

describe('Create or Update Contact, profile field values', () => {
  it("sets check boxes from Engage's membership with useAudienceKey", async () => {
    const received = accept(contactPath(12345))
    const results = await runBatch(
      ACTION,
      [audienceTrack('jane@example.com', 'vip', true), audienceTrack('john@example.com', 'vip', false)],
      { ...mapping, subscriptionState: 'Subscribed', profileFieldValues: { '6789': 'useAudienceKey' } }
    )
    expect(results.map((r) => r.status)).toEqual([201, 201])
    expect(received.map((r) => r.body)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ emailAddress: 'jane@example.com', segmentationFieldValues: values([6789, 'on']) }),
        expect.objectContaining({ emailAddress: 'john@example.com', segmentationFieldValues: values([6789, 'off']) })
      ])
    )
  })

  it("uses actions-core's resolved membership when the mapped properties carry no boolean and no audience event name", async () => {
    const received = accept(contactPath(12345))
    const results = await runBatch(
      ACTION,
      [identifyWithoutProperties('jane@example.com', false), identifyWithoutProperties('john@example.com', true)],
      { ...mapping, profileFieldValues: { '6789': 'useAudienceKey' } }
    )
    expect(results.map((r) => r.status)).toEqual([201, 201])
    expect(received.map((r) => r.body)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ emailAddress: 'jane@example.com', segmentationFieldValues: values([6789, 'off']) }),
        expect.objectContaining({ emailAddress: 'john@example.com', segmentationFieldValues: values([6789, 'on']) })
      ])
    )
  })

  it("uses actions-core's resolved membership for one event too", async () => {
    const received = accept(contactPath(12345))
    await runSingle(ACTION, identifyWithoutProperties('jane@example.com', false), {
      ...mapping,
      profileFieldValues: { '6789': 'useAudienceKey' }
    })
    expect(received.map((r) => r.body)).toEqual([
      expect.objectContaining({ emailAddress: 'jane@example.com', segmentationFieldValues: values([6789, 'off']) })
    ])
  })

  it("checks values against the list's fields and refuses one that does not fit, naming it", async () => {
    serveProfileFields(12345, [
      [6789, 'vip', 'CheckBox', 3],
      [7003, 'points', 'Numeric', 10]
    ])
    const received = accept(contactPath(12345))
    const results = await runBatch(
      ACTION,
      [track('ann@example.com', { points: 12 }), track('bob@example.com', { points: 'lots' })],
      { ...mapping, profileFieldValues: { '7003': { '@path': '$.properties.points' } } }
    )
    expect(results.map((r) => r.status)).toEqual([201, 400])
    expect(results[1].errormessage).toBe(
      'Profile Field Values: field 7003 ("points", a Numeric field) takes a number, not "lots".'
    )
    expect(received.map((r) => r.body)).toEqual([
      expect.objectContaining({ segmentationFieldValues: values([7003, '12']) })
    ])
  })
})

describe('Create or Update Contact, batches', () => {
  it('sends one request per contact and answers each event with its own', async () => {
    const received = accept(contactPath(12345))
    const results = await runBatch(ACTION, [track('a@example.com'), track('b@example.com')], mapping)
    expect(received.map((r) => (r.body as { emailAddress: string }).emailAddress).sort()).toEqual([
      'a@example.com',
      'b@example.com'
    ])
    expect(results.map((r) => r.status)).toEqual([201, 201])
    expect(results.map((r) => (r.sent as { emailAddress: string }).emailAddress)).toEqual([
      'a@example.com',
      'b@example.com'
    ])
  })

  it('merges events for one address (any case) and list in order, the later winning per field; both get its result', async () => {
    const received = accept(contactPath(12345))
    const results = await runBatch(
      ACTION,
      [
        track('Jane@Example.com', { tier: 'Gold', vip: 'on' }),
        track('other@example.com', { tier: 'Silver' }),
        track('JANE@example.com', { tier: 'Platinum' })
      ],
      {
        ...mapping,
        profileFieldValues: { '7001': { '@path': '$.properties.tier' }, '6789': { '@path': '$.properties.vip' } }
      }
    )
    expect(received).toHaveLength(2)
    const jane = received.find((r) => (r.body as { emailAddress: string }).emailAddress === 'Jane@Example.com')
    expect(jane?.body).toEqual({
      emailAddress: 'Jane@Example.com',
      externalContactID: 'user-JANE@example.com',
      segmentationFieldValues: values([6789, 'on'], [7001, 'Platinum'])
    })
    expect(results.map((r) => r.status)).toEqual([201, 201, 201])
    expect(results[0].body).toEqual(results[2].body)
    expect(results[0].body).not.toEqual(results[1].body)
  })

  it('answers a batch of good and bad events per event; the bad ones never reach Listrak', async () => {
    const received = accept(contactPath(12345))
    const results = await runBatch(
      ACTION,
      [
        track('ann@example.com', { state: 'Subscribed' }),
        track('not an email', { state: 'Subscribed' }),
        track('bob@example.com', { state: 'Unsubscribed', points: 5 }),
        track('cid@example.com', { state: 'Maybe' }),
        track('dan@example.com', { state: 'Unsubscribed' })
      ],
      {
        ...mapping,
        subscriptionState: { '@path': '$.properties.state' },
        profileFieldValues: { '7003': { '@path': '$.properties.points' } }
      }
    )
    expect(results.map((r) => [r.status, r.errortype ?? 'ok'])).toEqual([
      [201, 'ok'],
      [400, 'PAYLOAD_VALIDATION_FAILED'],
      [400, 'PAYLOAD_VALIDATION_FAILED'],
      [400, 'PAYLOAD_VALIDATION_FAILED'],
      [201, 'ok']
    ])
    expect(results[2].errormessage).toContain('(ERROR_UNSUBSCRIBE_WITH_SEGMENTATION_DATA)')
    expect(received.map((r) => (r.body as { emailAddress: string }).emailAddress).sort()).toEqual([
      'ann@example.com',
      'dan@example.com'
    ])
  })

  it("gives each contact Listrak's own answer: one refused contact does not fail the others", async () => {
    nock(API)
      .post(contactPath(12345), (body: { emailAddress: string }) => body.emailAddress === 'banned@example.com')
      .reply(400, { status: 400, error: 'ERROR_BANNED_EMAIL_ADDRESS', message: 'The email address is banned.' })
    accept(contactPath(12345))
    const results = await runBatch(ACTION, [track('banned@example.com'), track('ok@example.com')], mapping)
    expect(results[0]).toMatchObject({
      status: 400,
      errortype: 'BAD_REQUEST',
      errormessage: expect.stringContaining('ERROR_BANNED_EMAIL_ADDRESS: The email address is banned.'),
      sent: expect.objectContaining({ listId: 12345, emailAddress: 'banned@example.com' })
    })
    expect(results[1].status).toBe(201)
  })

  it.each([
    [503, 'ERROR_UNHANDLED_EXCEPTION'],
    [429, 'ERROR_TOO_MANY_REQUESTS'],
    [401, 'ERROR_UNAUTHORIZED']
  ])(
    'holds back the later request of a contact whose earlier one got %i and will be retried',
    async (status, error) => {
      nock(API).post(contactPath(12345)).reply(status, { status, error, message: 'Not now.' })
      const later = nock(API).post(contactPath(12345)).reply(201, {})
      const results = await runBatch(
        ACTION,
        [track('jane@example.com', { state: 'Unsubscribed' }), track('jane@example.com', { state: 'Subscribed' })],
        { ...mapping, subscriptionState: { '@path': '$.properties.state' } }
      )
      expect(results.map((r) => r.status)).toEqual([status, status])
      expect(results[1].errormessage).toContain('Not sent: an earlier event of this batch for the same contact')
      expect(results[0].sent).toMatchObject({ subscriptionState: 'Unsubscribed' })
      expect(results[1]).not.toHaveProperty('sent')
      expect(later.isDone()).toBe(false)
    }
  )

  it('has at most Requests in Flight requests to Listrak at once', async () => {
    let inFlight = 0
    let most = 0
    nock(API)
      .post(contactPath(12345))
      .times(8)
      .reply(async () => {
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setTimeout(resolve, 20))
        inFlight--
        return [201, { status: 201 }]
      })
    const events = Array.from({ length: 8 }, (_, i) => track(`user${i}@example.com`))
    const results = await runBatch(ACTION, events, { ...mapping, max_concurrent_requests: 2 })
    expect(results.every((r) => r.status === 201)).toBe(true)
    expect(most).toBe(2)
  })

  it('reports a 401 as a retryable 500 when an accepted contact raised events, so the batch is not sent again', async () => {
    nock(API)
      .post(contactPath(12345), (body: { emailAddress: string }) => body.emailAddress === 'late@example.com')
      .query(true)
      .reply(401, { status: 401, error: 'ERROR_UNAUTHORIZED', message: 'Authorization was denied for this request.' })
    accept(contactPath(12345))
    const results = await runBatch(ACTION, [track('early@example.com'), track('late@example.com')], {
      ...mapping,
      eventIds: [3001]
    })
    expect(results.map((r) => r.status)).toEqual([201, 500])
    expect(results[1].errormessage).toContain('ERROR_UNAUTHORIZED')
  })

  it("sends a contact's held-back request after the earlier one, both with the new token, when a 401 is retried", async () => {
    const received: string[] = []
    nock(API)
      .post(contactPath(12345))
      .times(4)
      .reply(function (_uri, body) {
        const fresh = this.req.headers.authorization === 'Bearer fresh-token'
        received.push(`${fresh ? 'fresh' : 'old'} token: ${(body as { subscriptionState: string }).subscriptionState}`)
        return fresh ? [201, { status: 201 }] : [401, unauthorized]
      })
    nock(AUTH).post('/OAuth2/Token').reply(200, { access_token: 'fresh-token' })

    const results = await runBatchWithOAuth(
      ACTION,
      [track('jane@example.com', { state: 'Unsubscribed' }), track('jane@example.com', { state: 'Subscribed' })],
      { ...mapping, subscriptionState: { '@path': '$.properties.state' } }
    )

    expect(received).toEqual(['old token: Unsubscribed', 'fresh token: Unsubscribed', 'fresh token: Subscribed'])
    expect(results.map((r) => r.status)).toEqual([201, 201])
  })

  it('reports a 401 as a retryable 500 when an accepted contact may have been sent a double opt-in, so it is not sent twice', async () => {
    let sentToEarly = 0
    nock(API)
      .post(contactPath(12345), (body: { emailAddress: string }) => body.emailAddress === 'early@example.com')
      .query({ sendDoubleOptIn: 'true' })
      .times(2)
      .reply(() => {
        sentToEarly++
        return [201, { status: 201, resourceId: 'r-1' }]
      })
    const late = (body: { emailAddress: string }) => body.emailAddress === 'late@example.com'
    nock(API)
      .post(contactPath(12345), late)
      .query(true)
      .matchHeader('authorization', `Bearer ${ACCESS_TOKEN}`)
      .reply(401, unauthorized)
    nock(API)
      .post(contactPath(12345), late)
      .query(true)
      .matchHeader('authorization', 'Bearer fresh-token')
      .reply(201, { status: 201 })
    const token = nock(AUTH).post('/OAuth2/Token').reply(200, { access_token: 'fresh-token' })

    const results = await runBatchWithOAuth(ACTION, [track('early@example.com'), track('late@example.com')], {
      ...mapping,
      subscriptionState: 'Subscribed',
      sendDoubleOptIn: true
    })

    expect(sentToEarly).toBe(1)
    expect(token.isDone()).toBe(false)
    expect(results.map((r) => [r.status, r.errortype ?? 'ok'])).toEqual([
      [201, 'ok'],
      [500, 'RETRYABLE_ERROR']
    ])
    expect(results[1].errormessage).toContain('ERROR_UNAUTHORIZED')
    expect(results[1].errormessage).toContain('retried on its own')
  })
})
