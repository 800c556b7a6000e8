import nock from 'nock'
import { createTestEvent, createTestIntegration, defaultValues, PayloadValidationError } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import Destination from '../../../../src'

const testDestination = createTestIntegration(Destination)

const API = 'https://api.listrak.com'
const auth = { accessToken: 'test-access-token', refreshToken: '' }
const settings = { client_id: 'test-client', client_secret: 'test-client-secret' }

const contactPath = (listId: number) => `/email/v1/List/${listId}/Contact`

const unsubscribed = (email: string) => createTestEvent({ event: 'Unsubscribed', context: { traits: { email } } })

function executeBatch(events: SegmentEvent[], fields: JSONObject) {
  return testDestination.executeBatch('unsubscribeContact', {
    events,
    settings,
    auth,
    mapping: { ...(defaultValues(Destination.actions.unsubscribeContact.fields) as JSONObject), ...fields }
  })
}

describe('Unsubscribe Contact', () => {
  it('posts the contact as Unsubscribed with no profile fields, and nothing that could subscribe it', async () => {
    let received: unknown
    let query = ''
    nock(API)
      .post(contactPath(123), (body) => {
        received = body
        return true
      })
      .query((q) => {
        query = new URLSearchParams(q as Record<string, string>).toString()
        return true
      })
      .reply(201, { status: 201, resourceId: 'contact-1' })

    await testDestination.testAction('unsubscribeContact', {
      event: unsubscribed('jane@example.com'),
      settings,
      auth,
      useDefaultMappings: true,
      mapping: { listId: 123, enable_batching: false }
    })

    expect(received).toEqual({
      emailAddress: 'jane@example.com',
      subscriptionState: 'Unsubscribed',
      segmentationFieldValues: []
    })
    expect(query).toBe('')
  })

  it("answers a contact that is already unsubscribed with 200 and Listrak's code", async () => {
    nock(API)
      .post(contactPath(123))
      .reply(400, { status: 400, error: 'ERROR_UNSUBSCRIBED_EMAIL_ADDRESS', message: 'Already unsubscribed.' })

    const [result] = await executeBatch([unsubscribed('jane@example.com')], { listId: 123 })

    expect(result).toMatchObject({ status: 200, body: { status: 200, unchanged: 'ERROR_UNSUBSCRIBED_EMAIL_ADDRESS' } })
  })

  it('answers each event of a batch, in input order', async () => {
    nock(API).post(contactPath(123)).times(2).reply(201, { status: 201, resourceId: 'contact-1' })

    const results = await executeBatch(
      [unsubscribed('ann@example.com'), unsubscribed('not-an-email'), unsubscribed('bob@example.com')],
      { listId: 123 }
    )

    expect(results.map((r) => r.status)).toEqual([201, 400, 201])
  })

  it.each([
    [429, 429],
    [500, 500]
  ])("passes Listrak's %i on as %i, to be retried", async (status, expected) => {
    nock(API).post(contactPath(123)).reply(status, { status, error: 'ERROR_X', message: 'Not now.' })

    const [result] = await executeBatch([unsubscribed('jane@example.com')], { listId: 123 })

    expect(result.status).toBe(expected)
  })
})

describe('Unsubscribe Contact: email addresses', () => {
  /** Records the addresses of the contacts posted to list 123, in order, answering each with 201. */
  function receivedAddresses() {
    const addresses: string[] = []
    nock(API)
      .post(contactPath(123), (body: { emailAddress: string }) => {
        addresses.push(body.emailAddress)
        return true
      })
      .times(10)
      .reply(201, { status: 201, resourceId: 'contact-1' })
    return addresses
  }

  const perform = (email: string) =>
    testDestination.testAction('unsubscribeContact', {
      event: unsubscribed(email),
      settings,
      auth,
      useDefaultMappings: true,
      mapping: { listId: 123, enable_batching: false }
    })

  it('sends an address with spaces around it trimmed (perform)', async () => {
    const addresses = receivedAddresses()

    await perform(' padded@example.com ')

    expect(addresses).toEqual(['padded@example.com'])
  })

  it('sends addresses with spaces around them trimmed (performBatch)', async () => {
    const addresses = receivedAddresses()

    const results = await executeBatch([unsubscribed(' padded@example.com '), unsubscribed('trailing@example.com ')], {
      listId: 123
    })

    expect(results.map((result) => result.status < 300)).toEqual([true, true])
    expect(addresses.sort()).toEqual(['padded@example.com', 'trailing@example.com'])
  })

  it('refuses an address that is not one, naming the field and the value as it was read', async () => {
    const addresses = receivedAddresses()

    const refusal = perform(' jane@ ')

    await expect(refusal).rejects.toBeInstanceOf(PayloadValidationError)
    await expect(refusal).rejects.toThrow(new Error('Email Address " jane@ " is not a valid email address.'))
    expect(addresses).toEqual([])
  })

  it('refuses the bad address of a batch alone, naming it', async () => {
    const addresses = receivedAddresses()

    const results = await executeBatch([unsubscribed('jane@'), unsubscribed(' padded@example.com ')], { listId: 123 })

    expect(results[0]).toMatchObject({
      status: 400,
      errormessage: 'Email Address "jane@" is not a valid email address.'
    })
    expect(results[1].status).toBeLessThan(300)
    expect(addresses).toEqual(['padded@example.com'])
  })
})

describe('Unsubscribe Contact: Bulk Import Large Batches', () => {
  const importPath = (listId: number) => `/email/v1/List/${listId}/ListImport`

  it('unsubscribes the contacts of a batch in one RemoveSubscribers import, each event 201 pending', async () => {
    let received: Record<string, unknown> | undefined
    nock(API)
      .post(importPath(123), (body: Record<string, unknown>) => {
        received = body
        return true
      })
      .reply(201, { status: 201, resourceId: 'import-1' })

    const results = await executeBatch(
      [unsubscribed('ann@example.com'), unsubscribed('bob@example.com'), unsubscribed('cid@example.com')],
      { listId: 123, bulk_import: true, bulk_min_contacts: 2 }
    )

    expect(received).toMatchObject({
      importType: 'RemoveSubscribers',
      segmentationImportType: 'Update',
      fileMappings: [{ fileColumn: 0, fileColumnType: 'Email' }]
    })
    expect(Buffer.from(String(received?.fileStream), 'base64').toString('utf8')).toBe(
      'Email\r\nann@example.com\r\nbob@example.com\r\ncid@example.com\r\n'
    )
    expect(results.map((r) => [r.status, r.body])).toEqual(
      Array(3).fill([
        201,
        { status: 201, resourceId: 'import-1', via: 'ListImport', importType: 'RemoveSubscribers', outcome: 'pending' }
      ])
    )
  })

  it('sends one request per contact by default', async () => {
    const scope = nock(API).post(contactPath(123)).times(2).reply(201, { status: 201, resourceId: 'contact-1' })

    await executeBatch([unsubscribed('ann@example.com'), unsubscribed('bob@example.com')], { listId: 123 })

    expect(scope.isDone()).toBe(true)
  })
})
