import nock from 'nock'
import { createTestEvent, createTestIntegration, defaultValues } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import Destination from '../../src'
import { API, auth, isolateNetwork, newSettings } from './__helpers__/listrak'

const testDestination = createTestIntegration(Destination)

isolateNetwork()

const contactPath = (listId: number) => `/email/v1/List/${listId}/Contact`

const unsubscribed = (email: string) => createTestEvent({ event: 'Unsubscribed', context: { traits: { email } } })

function executeBatch(events: SegmentEvent[], fields: JSONObject) {
  return testDestination.executeBatch('unsubscribeContact', {
    events,
    settings: newSettings(),
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
      settings: newSettings(),
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
