import nock from 'nock'
import { createTestIntegration } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import Destination from '../../src'
import {
  API,
  audienceEvent,
  auth,
  contact,
  importPath,
  isolateNetwork,
  newSettings,
  serveCheckBoxes
} from './__helpers__/listrak'

const testDestination = createTestIntegration(Destination)

isolateNetwork()

/** Sends one event through `perform` and answers with the contacts Listrak received, or the error thrown. */
async function performWith(event: SegmentEvent, profileFieldValues: JSONObject) {
  serveCheckBoxes(123, [456, 457])
  let received: unknown
  nock(API)
    .post(importPath(123), (body) => {
      received = body
      return true
    })
    .reply(201, { status: 201, resourceId: 'import-1' })
  await testDestination.testAction('updateEmailContactProfileFields', {
    event,
    settings: newSettings(),
    auth,
    useDefaultMappings: true,
    mapping: { listId: 123, profileFieldValues, enable_batching: false }
  })
  return received
}

describe('Update Email Contact Profile Fields, one event', () => {
  it('starts one import with the contact and its field values', async () => {
    const event = audienceEvent('jane@example.com', 'listrak_audience')

    const received = await performWith(event, { '456': 'on', '457': 'off' })

    expect(received).toEqual([contact('jane@example.com', [456, 'on'], [457, 'off'])])
  })

  it('answers with the status of the import Listrak started', async () => {
    serveCheckBoxes(123, [456])
    nock(API).post(importPath(123)).reply(201, { status: 201, resourceId: 'import-1' })

    const responses = await testDestination.testAction('updateEmailContactProfileFields', {
      event: audienceEvent('jane@example.com', 'listrak_audience'),
      settings: newSettings(),
      auth,
      useDefaultMappings: true,
      mapping: { listId: 123, profileFieldValues: { '456': 'on' } }
    })

    expect(responses.find((r) => r.options.method === 'POST')?.status).toBe(201)
  })

  it('sends true and false as on and off', async () => {
    const event = audienceEvent('jane@example.com', 'listrak_audience')

    const received = await performWith(event, { '456': true, '457': false })

    expect(received).toEqual([contact('jane@example.com', [456, 'on'], [457, 'off'])])
  })

  it('refuses an address longer than 254 characters without calling the import', async () => {
    const scope = nock(API).post(importPath(123)).reply(201, {})
    const tooLong = `${'a'.repeat(243)}@example.com`

    await expect(
      testDestination.testAction('updateEmailContactProfileFields', {
        event: audienceEvent(tooLong, 'listrak_audience'),
        settings: newSettings(),
        auth,
        useDefaultMappings: true,
        mapping: { listId: 123, profileFieldValues: { '456': 'on' } }
      })
    ).rejects.toThrow(
      `Email Address ${JSON.stringify(tooLong).slice(0, 60)}… has 255 characters; an email address has at most 254.`
    )
    expect(scope.isDone()).toBe(false)
  })
})

describe('useAudienceKey', () => {
  it('turns the field on when the audience key is true in the properties', async () => {
    const event = audienceEvent('jane@example.com', 'listrak_audience', {
      event: 'Some Event',
      properties: { audience_key: 'listrak_audience', listrak_audience: true }
    })

    const received = await performWith(event, { '456': 'useAudienceKey' })

    expect(received).toEqual([contact('jane@example.com', [456, 'on'])])
  })

  it('turns the field off when the audience key is false in the properties', async () => {
    const event = audienceEvent('jane@example.com', 'listrak_audience', {
      event: 'Some Event',
      properties: { audience_key: 'listrak_audience', listrak_audience: false }
    })

    const received = await performWith(event, { '456': 'useAudienceKey' })

    expect(received).toEqual([contact('jane@example.com', [456, 'off'])])
  })

  it('turns the field on for Audience Entered when the properties hold no membership', async () => {
    const event = audienceEvent('jane@example.com', 'listrak_audience', {
      event: 'Audience Entered',
      properties: { audience_key: 'listrak_audience' }
    })

    const received = await performWith(event, { '456': 'useAudienceKey' })

    expect(received).toEqual([contact('jane@example.com', [456, 'on'])])
  })

  it('turns the field off for Audience Exited when the properties hold no membership', async () => {
    const event = audienceEvent('jane@example.com', 'listrak_audience', {
      event: 'Audience Exited',
      properties: { audience_key: 'listrak_audience' }
    })

    const received = await performWith(event, { '456': 'useAudienceKey' })

    expect(received).toEqual([contact('jane@example.com', [456, 'off'])])
  })

  it('refuses an event without a membership instead of sending "useAudienceKey"', async () => {
    const event = audienceEvent('jane@example.com', 'listrak_audience', {
      event: 'Some Event',
      properties: {}
    })

    await expect(performWith(event, { '456': 'useAudienceKey' })).rejects.toThrow(
      'Profile Field Values: field 456: "useAudienceKey" needs the event\'s audience membership, but the event has no ' +
        'true/false value at "listrak_audience" in its properties or traits, and it is not an "Audience Entered" or ' +
        '"Audience Exited" event.'
    )
  })
})
