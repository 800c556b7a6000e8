import nock from 'nock'
import { API, AUTH, isolateNetwork } from './fixtures'
import { accept, contactPath, runBatch, runBatchWithOAuth, runSingle, track } from './routes'

isolateNetwork()

const ACTION = 'unsubscribeContact'
const mapping = { listId: 12345 }

describe('Unsubscribe Contact', () => {
  it('posts the contact as Unsubscribed, with no profile fields and no query', async () => {
    const received = accept(contactPath(12345))
    const result = await runSingle(ACTION, track('jane@example.com', {}, 'Unsubscribed'), mapping)
    expect(received).toEqual([
      {
        query: {},
        body: { emailAddress: 'jane@example.com', subscriptionState: 'Unsubscribed', segmentationFieldValues: [] }
      }
    ])
    expect(result).toEqual({ listId: 12345, status: 201, resourceId: 'r-1' })
  })

  it('sends the external contact ID when the mapping gives one', async () => {
    const received = accept(contactPath(12345))
    await runSingle(ACTION, track('jane@example.com'), { ...mapping, externalContactID: { '@path': '$.userId' } })
    expect(received[0].body).toMatchObject({ externalContactID: 'user-jane@example.com' })
  })

  it('never subscribes: keys a mapping may carry over from Create or Update Contact are ignored', async () => {
    const received = accept(contactPath(12345))
    await runSingle(ACTION, track('jane@example.com'), {
      ...mapping,
      subscriptionState: 'Subscribed',
      overrideUnsubscribe: true,
      eventIds: [3001],
      profileFieldValues: { '6789': 'on' }
    })
    expect(received).toEqual([
      {
        query: {},
        body: { emailAddress: 'jane@example.com', subscriptionState: 'Unsubscribed', segmentationFieldValues: [] }
      }
    ])
  })

  it.each(['ERROR_UNSUBSCRIBED_EMAIL_ADDRESS', 'ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS'])(
    'counts a contact Listrak says is not subscribed (%s) as done: 200, with the code',
    async (error) => {
      nock(API).post(contactPath(12345)).reply(400, { status: 400, error, message: 'Not subscribed.' })
      const [result] = await runBatch(ACTION, [track('jane@example.com')], mapping)
      expect(result).toMatchObject({ status: 200, body: { status: 200, unchanged: error } })
    }
  )

  it("keeps Listrak's other refusals", async () => {
    nock(API)
      .post(contactPath(12345))
      .reply(400, { status: 400, error: 'ERROR_INVALID_PARAMETER', message: 'Bad address.' })
    const [result] = await runBatch(ACTION, [track('jane@example.com')], mapping)
    expect(result).toMatchObject({ status: 400, errortype: 'BAD_REQUEST' })
    expect(result.errormessage).toContain('ERROR_INVALID_PARAMETER: Bad address.')
  })

  it('answers a batch per event: a bad address is refused alone, two events for one contact go once', async () => {
    const received = accept(contactPath(12345))
    const results = await runBatch(
      ACTION,
      [track('ann@example.com'), track('nope'), track('ANN@example.com'), track('bob@example.com')],
      mapping
    )
    expect(results.map((r) => r.status)).toEqual([201, 400, 201, 201])
    expect(received).toHaveLength(2)
  })

  it('says what a 404 means for a contact: the list', async () => {
    nock(API)
      .post(contactPath(12345))
      .reply(404, { status: 404, error: 'ERROR_UNABLE_TO_LOCATE_RESOURCE', message: 'No list.' })
    const [result] = await runBatch(ACTION, [track('jane@example.com')], mapping)
    expect(result.errormessage).toBe(
      'Listrak answered HTTP 404 ERROR_UNABLE_TO_LOCATE_RESOURCE: No list. for the contact on list 12345: the list ' +
        'does not exist for these API credentials. Check the List ID.'
    )
  })

  it("keeps a 401 on every event of the contact's one request, and sends that request again once with the new token", async () => {
    const received: string[] = []
    nock(API)
      .post(contactPath(12345))
      .times(4)
      .reply(function (_uri, body) {
        const fresh = this.req.headers.authorization === 'Bearer fresh-token'
        received.push(`${fresh ? 'fresh' : 'old'} token: ${(body as { emailAddress: string }).emailAddress}`)
        if (fresh) return [201, { status: 201 }]
        return [
          401,
          { status: 401, error: 'ERROR_UNAUTHORIZED', message: 'Authorization was denied for this request.' }
        ]
      })
    const token = nock(AUTH).post('/OAuth2/Token').reply(200, { access_token: 'fresh-token' })

    const results = await runBatchWithOAuth(
      ACTION,
      [track('jane@example.com'), track('JANE@example.com'), track('bob@example.com')],
      mapping
    )

    expect(token.isDone()).toBe(true)
    expect(received.filter((r) => r.startsWith('old')).sort()).toEqual([
      'old token: bob@example.com',
      'old token: jane@example.com'
    ])
    expect(received.filter((r) => r.startsWith('fresh')).sort()).toEqual([
      'fresh token: bob@example.com',
      'fresh token: jane@example.com'
    ])
    expect(results.map((r) => r.status)).toEqual([201, 201, 201])
  })
})
