import nock from 'nock'
import { createTestEvent, createTestIntegration, defaultValues, PayloadValidationError } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import Destination from '../../../../src'

const testDestination = createTestIntegration(Destination)

const API = 'https://api.listrak.com'
const IMPORT_PATH = '/email/v1/List/123/Contact/SegmentationField'
const auth = { accessToken: 'test-access-token', refreshToken: '' }

let clients = 0

/** Settings with a client ID no other test uses: the destination keeps each list's fields per client and list. */
function newSettings() {
  clients += 1
  return { client_id: `test-client-${clients}`, client_secret: 'test-client-secret' }
}

/** Answers the reads of list 123's profile fields: one group of check boxes with the given IDs. */
function serveCheckBoxes(fieldIds: number[]) {
  nock(API)
    .get('/email/v1/List/123/SegmentationFieldGroup')
    .reply(200, { status: 200, data: [{ segmentationFieldGroupId: 1, segmentationFieldGroupName: 'Fields' }] })
    .get('/email/v1/List/123/SegmentationFieldGroup/1/SegmentationField')
    .reply(200, {
      status: 200,
      data: fieldIds.map((id) => ({
        segmentationFieldId: id,
        segmentationFieldName: `field_${id}`,
        dataType: 'CheckBox',
        maxLength: 3
      }))
    })
}

/** Records each import posted to list 123 and answers it with 201. */
function acceptImports() {
  const received: unknown[] = []
  nock(API)
    .post(IMPORT_PATH, (body) => {
      received.push(body)
      return true
    })
    .times(5)
    .reply(201, { status: 201, resourceId: 'import-1' })
  return received
}

/** A contact as Listrak's import receives it. */
const contact = (emailAddress: string, ...values: [fieldId: number, value: string][]) => ({
  emailAddress,
  segmentationFieldValues: values.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
})

/** A track event for a contact, as Engage sends it for an audience, with `overrides` on top. */
const audienceEvent = (email: string, overrides: Partial<SegmentEvent> = {}) =>
  createTestEvent({
    event: 'Audience Entered',
    properties: { audience_key: 'listrak_audience', listrak_audience: true },
    context: {
      traits: { email },
      personas: { computation_key: 'listrak_audience', computation_class: 'audience' }
    },
    ...overrides
  })

/** Sends one event through `perform`, to list 123 with the given values. */
const perform = (event: SegmentEvent, profileFieldValues: JSONObject) =>
  testDestination.testAction('updateEmailContactProfileFields', {
    event,
    settings: newSettings(),
    auth,
    useDefaultMappings: true,
    mapping: { listId: 123, profileFieldValues, enable_batching: false }
  })

/** Sends events through `performBatch`, to list 123 with the given values; answers one result per event. */
const executeBatch = (events: SegmentEvent[], profileFieldValues: JSONObject) =>
  testDestination.executeBatch('updateEmailContactProfileFields', {
    events,
    settings: newSettings(),
    auth,
    mapping: {
      ...(defaultValues(Destination.actions.updateEmailContactProfileFields.fields) as JSONObject),
      listId: 123,
      profileFieldValues
    }
  })

describe('Update Email Contact Profile Fields, one event', () => {
  it('starts one import with the contact and its field values', async () => {
    serveCheckBoxes([456, 457])
    const received = acceptImports()

    await perform(audienceEvent('jane@example.com'), { '456': 'on', '457': 'off' })

    expect(received).toEqual([[contact('jane@example.com', [456, 'on'], [457, 'off'])]])
  })

  it('answers with the status of the import Listrak started', async () => {
    serveCheckBoxes([456])
    nock(API).post(IMPORT_PATH).reply(201, { status: 201, resourceId: 'import-1' })

    const responses = await testDestination.testAction('updateEmailContactProfileFields', {
      event: audienceEvent('jane@example.com'),
      settings: newSettings(),
      auth,
      useDefaultMappings: true,
      mapping: { listId: 123, profileFieldValues: { '456': 'on' } }
    })

    expect(responses.find((r) => r.options.method === 'POST')?.status).toBe(201)
  })

  it('sends true and false as on and off', async () => {
    serveCheckBoxes([456, 457])
    const received = acceptImports()

    await perform(audienceEvent('jane@example.com'), { '456': true, '457': false })

    expect(received).toEqual([[contact('jane@example.com', [456, 'on'], [457, 'off'])]])
  })

  it('refuses an address longer than 254 characters without calling the import', async () => {
    const scope = nock(API).post(IMPORT_PATH).reply(201, {})
    const tooLong = `${'a'.repeat(243)}@example.com`

    await expect(perform(audienceEvent(tooLong), { '456': 'on' })).rejects.toThrow(
      `Email Address ${JSON.stringify(tooLong).slice(0, 60)}… has 255 characters; an email address has at most 254.`
    )
    expect(scope.isDone()).toBe(false)
  })
})

describe('useAudienceKey', () => {
  it('turns the field on when the audience key is true in the properties', async () => {
    serveCheckBoxes([456])
    const received = acceptImports()
    const event = audienceEvent('jane@example.com', {
      event: 'Some Event',
      properties: { audience_key: 'listrak_audience', listrak_audience: true }
    })

    await perform(event, { '456': 'useAudienceKey' })

    expect(received).toEqual([[contact('jane@example.com', [456, 'on'])]])
  })

  it('turns the field off when the audience key is false in the properties', async () => {
    serveCheckBoxes([456])
    const received = acceptImports()
    const event = audienceEvent('jane@example.com', {
      event: 'Some Event',
      properties: { audience_key: 'listrak_audience', listrak_audience: false }
    })

    await perform(event, { '456': 'useAudienceKey' })

    expect(received).toEqual([[contact('jane@example.com', [456, 'off'])]])
  })

  it('turns the field on for Audience Entered when the properties hold no membership', async () => {
    serveCheckBoxes([456])
    const received = acceptImports()
    const event = audienceEvent('jane@example.com', {
      event: 'Audience Entered',
      properties: { audience_key: 'listrak_audience' }
    })

    await perform(event, { '456': 'useAudienceKey' })

    expect(received).toEqual([[contact('jane@example.com', [456, 'on'])]])
  })

  it('turns the field off for Audience Exited when the properties hold no membership', async () => {
    serveCheckBoxes([456])
    const received = acceptImports()
    const event = audienceEvent('jane@example.com', {
      event: 'Audience Exited',
      properties: { audience_key: 'listrak_audience' }
    })

    await perform(event, { '456': 'useAudienceKey' })

    expect(received).toEqual([[contact('jane@example.com', [456, 'off'])]])
  })

  it('refuses an event without a membership instead of sending "useAudienceKey"', async () => {
    serveCheckBoxes([456])
    const received = acceptImports()
    const event = audienceEvent('jane@example.com', { event: 'Some Event', properties: {} })

    await expect(perform(event, { '456': 'useAudienceKey' })).rejects.toThrow(
      'Profile Field Values: field 456: "useAudienceKey" needs the event\'s audience membership, but the event has no ' +
        'true/false value at "listrak_audience" in its properties or traits, and it is not an "Audience Entered" or ' +
        '"Audience Exited" event.'
    )
    expect(received).toEqual([])
  })
})

describe('Update Email Contact Profile Fields: email addresses', () => {
  /** The addresses of the contacts Listrak receives, in order. */
  const addressesOf = (imports: unknown[]) =>
    (imports as { emailAddress: string }[][]).flat().map((received) => received.emailAddress)

  beforeEach(() => serveCheckBoxes([456]))

  it('sends an address with spaces around it trimmed (perform)', async () => {
    const received = acceptImports()

    await perform(audienceEvent(' padded@example.com '), { '456': 'on' })

    expect(addressesOf(received)).toEqual(['padded@example.com'])
  })

  it('sends addresses with spaces around them trimmed (performBatch)', async () => {
    const received = acceptImports()

    const results = await executeBatch(
      [audienceEvent(' padded@example.com '), audienceEvent('trailing@example.com ')],
      { '456': 'on' }
    )

    expect(results.map((result) => result.status < 300)).toEqual([true, true])
    expect(addressesOf(received).sort()).toEqual(['padded@example.com', 'trailing@example.com'])
  })

  it('refuses an address that is not one, naming the field and the value as it was read', async () => {
    const received = acceptImports()

    const refusal = perform(audienceEvent(' jane@ '), { '456': 'on' })

    await expect(refusal).rejects.toBeInstanceOf(PayloadValidationError)
    await expect(refusal).rejects.toThrow(new Error('Email Address " jane@ " is not a valid email address.'))
    expect(received).toEqual([])
  })

  it('refuses the bad address of a batch alone, naming it', async () => {
    const received = acceptImports()

    const results = await executeBatch([audienceEvent('jane@'), audienceEvent(' padded@example.com ')], {
      '456': 'on'
    })

    expect(results[0]).toMatchObject({
      status: 400,
      errormessage: 'Email Address "jane@" is not a valid email address.'
    })
    expect(results[1].status).toBeLessThan(300)
    expect(addressesOf(received)).toEqual(['padded@example.com'])
  })

  it('names a bad address and a value that does not fit its field in one message', async () => {
    const received = acceptImports()

    await expect(perform(audienceEvent('jane@'), { '456': 'maybe' })).rejects.toThrow(
      new Error(
        'Email Address "jane@" is not a valid email address. Profile Field Values: field 456 ("field_456", a check ' +
          'box) takes "on" or "off", not "maybe".'
      )
    )
    expect(received).toEqual([])
  })
})
