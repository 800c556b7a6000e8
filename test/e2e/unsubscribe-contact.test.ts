import { useSandbox } from '../sandbox/client'
import { listrakApi } from '../sandbox/listrak-api'
import { runBatch, runEvent, track } from './actions'

/** Unsubscribe Contact through actions-core's real Destination, against the sandbox over loopback. */

const { current, start } = useSandbox({ asListrak: true })

async function setup() {
  await start()
  const token = await current.api.token()
  return { token, api: listrakApi(current.sandbox, token) }
}

/** The paths of the requests to the contact route, query included. */
const contactRequests = () =>
  current.sandbox.state.requests.all
    .filter((r) => r.method === 'POST' && /^\/email\/v1\/List\/12345\/Contact(\?|$)/.test(r.path))
    .map((r) => r.path)
const contactPosts = () => contactRequests().length

/** Subscribed contacts with a profile field, made as Create or Update Contact makes them. */
async function subscribe(token: string, ...emails: string[]) {
  const results = await runBatch(
    'upsertContact',
    emails.map((email) => track(email)),
    { listId: 12345, subscriptionState: 'Subscribed', profileFieldValues: { '7001': 'Downtown' } },
    token
  )
  expect(results.every((r) => r.status === 201)).toBe(true)
}

const unsubscribed = (emailAddress: string) => ({
  listId: 12345,
  emailAddress,
  subscriptionState: 'Unsubscribed',
  segmentationFieldValues: []
})

describe('Unsubscribe Contact, one event (perform)', () => {
  it('unsubscribes a subscribed contact and leaves its profile fields as they are', async () => {
    const { token, api } = await setup()
    await subscribe(token, 'jane@example.com')
    const result = await runEvent('unsubscribeContact', track('jane@example.com'), { listId: 12345 }, token)
    expect(result).toEqual({ ok: true, data: { listId: 12345, status: 201, resourceId: 'jane@example.com' } })
    const read = await api.getContact('jane@example.com', '?segmentationFieldIds=7001')
    expect(read.json.data).toMatchObject({
      subscriptionState: 'Unsubscribed',
      unsubscribeDate: expect.any(String),
      unsubscribeMethod: 'API',
      segmentationFieldValues: [expect.objectContaining({ segmentationFieldId: 7001, value: 'Downtown' })]
    })
  })

  it('counts a contact the list does not have as done (200, unchanged) and creates no one', async () => {
    const { token, api } = await setup()
    const result = await runEvent('unsubscribeContact', track('nobody@example.com'), { listId: 12345 }, token)
    expect(result).toEqual({
      ok: true,
      data: { listId: 12345, status: 200, unchanged: 'ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS' }
    })
    expect((await api.getContact('nobody@example.com')).status).toBe(404)
  })

  it('counts an already unsubscribed contact as done (200, unchanged); its unsubscribe date stays', async () => {
    const { token, api } = await setup()
    await subscribe(token, 'jane@example.com')
    await runEvent('unsubscribeContact', track('jane@example.com'), { listId: 12345 }, token)
    const before = (await api.getContact('jane@example.com')).json.data as unknown as { unsubscribeDate: string }

    const again = await runEvent('unsubscribeContact', track('jane@example.com'), { listId: 12345 }, token)
    expect(again).toEqual({
      ok: true,
      data: { listId: 12345, status: 200, unchanged: 'ERROR_UNSUBSCRIBED_EMAIL_ADDRESS' }
    })
    expect((await api.getContact('jane@example.com')).json.data).toMatchObject({
      subscriptionState: 'Unsubscribed',
      unsubscribeDate: before.unsubscribeDate
    })
  })

  it('throws for a bad address before sending, and for an unknown list with what the 404 means', async () => {
    const { token } = await setup()
    const badEmail = await runEvent('unsubscribeContact', track('not-an-email'), { listId: 12345 }, token)
    expect(badEmail).toMatchObject({ ok: false, error: { status: 400 } })
    expect(contactPosts()).toBe(0)

    const unknownList = await runEvent('unsubscribeContact', track('jane@example.com'), { listId: 99999 }, token)
    expect(unknownList).toMatchObject({
      ok: false,
      error: { name: 'IntegrationError', status: 404, message: expect.stringContaining('Check the List ID') }
    })
  })
})

describe('Unsubscribe Contact, batches (performBatch)', () => {
  it('answers each event: unsubscribed, not subscribed, already unsubscribed, refused; one request per address', async () => {
    const { token, api } = await setup()
    await subscribe(token, 'ann@example.com', 'bob@example.com', 'gone@example.com')
    await runEvent('unsubscribeContact', track('gone@example.com'), { listId: 12345 }, token)
    const postsBefore = contactPosts()

    const results = await runBatch(
      'unsubscribeContact',
      [
        track('ann@example.com'),
        track('nobody@example.com'),
        track('not-an-email'),
        track('gone@example.com'),
        track('ANN@example.com'),
        track('bob@example.com')
      ],
      { listId: 12345, externalContactID: { '@path': '$.userId' } },
      token
    )
    const annSent = { ...unsubscribed('ann@example.com'), externalContactID: 'user-ANN@example.com' }
    expect(results).toEqual([
      { status: 201, sent: annSent, body: { status: 201, resourceId: 'ann@example.com' } },
      {
        status: 200,
        sent: { ...unsubscribed('nobody@example.com'), externalContactID: 'user-nobody@example.com' },
        body: { status: 200, unchanged: 'ERROR_NOT_SUBSCRIBED_EMAIL_ADDRESS' }
      },
      expect.objectContaining({ status: 400, errortype: 'PAYLOAD_VALIDATION_FAILED' }),
      {
        status: 200,
        sent: { ...unsubscribed('gone@example.com'), externalContactID: 'user-gone@example.com' },
        body: { status: 200, unchanged: 'ERROR_UNSUBSCRIBED_EMAIL_ADDRESS' }
      },
      { status: 201, sent: annSent, body: { status: 201, resourceId: 'ann@example.com' } },
      expect.objectContaining({ status: 201, sent: expect.objectContaining({ emailAddress: 'bob@example.com' }) })
    ])
    // ann's two events went as one request; the bad address never left.
    expect(contactPosts() - postsBefore).toBe(4)

    const details = await api.contactDetails()
    expect(details['nobody@example.com']).toBeUndefined()
    for (const email of ['ann@example.com', 'bob@example.com', 'gone@example.com']) {
      expect(details[email]).toMatchObject({ subscriptionState: 'Unsubscribed', fields: { '7001': 'Downtown' } })
    }
    expect(details['ann@example.com'].externalContactID).toBe('user-ANN@example.com')
  })

  it('never subscribes anyone, whatever else its mapping carries', async () => {
    const { token, api } = await setup()
    await subscribe(token, 'jane@example.com')
    await runEvent('unsubscribeContact', track('jane@example.com'), { listId: 12345 }, token)

    // Keys of Create or Update Contact, as a mapping copied from it might carry them: none of them is sent.
    const carriedOver = {
      listId: 12345,
      subscriptionState: 'Subscribed',
      overrideUnsubscribe: true,
      sendDoubleOptIn: true,
      eventIds: [3001],
      profileFieldValues: { '7001': 'Uptown' }
    }
    const results = await runBatch(
      'unsubscribeContact',
      [track('jane@example.com'), track('new@example.com')],
      carriedOver,
      token
    )
    expect(results.map((r) => [r.status, r.sent])).toEqual([
      [200, unsubscribed('jane@example.com')],
      [200, unsubscribed('new@example.com')]
    ])
    const details = await api.contactDetails()
    expect(details['jane@example.com']).toMatchObject({
      subscriptionState: 'Unsubscribed',
      resubscribeDate: null,
      events: [],
      fields: { '7001': 'Downtown' }
    })
    expect(details['new@example.com']).toBeUndefined()
    expect(contactRequests().filter((path) => path.includes('?'))).toEqual([])
  })
})
