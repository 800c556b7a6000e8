import nock from 'nock'
import { createTestEvent, createTestIntegration, defaultValues } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import Destination from '../../../../src'

const testDestination = createTestIntegration(Destination)

const API = 'https://api.listrak.com'
const auth = { accessToken: 'test-access-token', refreshToken: '' }
const importPath = (listId: number) => `/email/v1/List/${listId}/Contact/SegmentationField`

let clients = 0

/** Settings with a client ID no other test uses: the destination keeps each list's fields per client and list. */
function newSettings() {
  clients += 1
  return { client_id: `test-client-${clients}`, client_secret: 'test-client-secret' }
}

/** Answers the reads of a list's profile fields: one group of check boxes with the given IDs. */
function serveCheckBoxes(listId: number, fieldIds: number[]) {
  nock(API)
    .get(`/email/v1/List/${listId}/SegmentationFieldGroup`)
    .reply(200, { status: 200, data: [{ segmentationFieldGroupId: 1, segmentationFieldGroupName: 'Fields' }] })
    .get(`/email/v1/List/${listId}/SegmentationFieldGroup/1/SegmentationField`)
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

/** Records each import posted to a list and answers it with 201. */
function acceptImports(listId: number) {
  const received: unknown[] = []
  nock(API)
    .post(importPath(listId), (body) => {
      received.push(body)
      return true
    })
    .times(5)
    .reply(201, { status: 201, resourceId: `import-${listId}` })
  return received
}

function executeBatch(events: SegmentEvent[], fields: JSONObject) {
  return testDestination.executeBatch('updateEmailContactProfileFields', {
    events,
    settings: newSettings(),
    auth,
    mapping: { ...(defaultValues(Destination.actions.updateEmailContactProfileFields.fields) as JSONObject), ...fields }
  })
}

/** An event whose field 456 takes the value at `properties.value`. */
const valueEvent = (email: string, value: string, listId = 123) =>
  audienceEvent(email, { properties: { value, listId } })
const byValue = { listId: 123, profileFieldValues: { '456': { '@path': '$.properties.value' } } }

describe('Update Email Contact Profile Fields, batches', () => {
  it('answers each event in input order, refusing a bad email alone while the others go in one import', async () => {
    serveCheckBoxes(123, [456])
    const received = acceptImports(123)
    const events = [
      valueEvent('ann@example.com', 'on'),
      valueEvent('not-an-email', 'on'),
      valueEvent('bob@example.com', 'off')
    ]

    const results = await executeBatch(events, byValue)

    expect(results.map((r) => r.status)).toEqual([201, 400, 201])
    expect(results[1]).toMatchObject({ errortype: 'PAYLOAD_VALIDATION_FAILED' })
    expect(received).toEqual([[contact('ann@example.com', [456, 'on']), contact('bob@example.com', [456, 'off'])]])
  })

  it('merges events for the same address, in any case, into one contact; the later event wins per field', async () => {
    serveCheckBoxes(123, [456, 457])
    const received = acceptImports(123)
    const events = [
      audienceEvent('jane@example.com', { properties: { a: 'on', b: 'on' } }),
      audienceEvent('Jane@Example.com', { properties: { a: 'off' } })
    ]
    const mapping = {
      listId: 123,
      profileFieldValues: { '456': { '@path': '$.properties.a' }, '457': { '@path': '$.properties.b' } }
    }

    const results = await executeBatch(events, mapping)

    expect(results.map((r) => r.status)).toEqual([201, 201])
    expect(received).toEqual([[contact('jane@example.com', [456, 'off'], [457, 'on'])]])
  })

  it('sends one import per list, each with its own events', async () => {
    serveCheckBoxes(123, [456])
    serveCheckBoxes(789, [456])
    const list123 = acceptImports(123)
    const list789 = acceptImports(789)
    const events = [
      valueEvent('ann@example.com', 'on', 123),
      valueEvent('bob@example.com', 'on', 789),
      valueEvent('cat@example.com', 'off', 123)
    ]

    const results = await executeBatch(events, { ...byValue, listId: { '@path': '$.properties.listId' } })

    expect(results.map((r) => r.status)).toEqual([201, 201, 201])
    expect(list123).toEqual([[contact('ann@example.com', [456, 'on']), contact('cat@example.com', [456, 'off'])]])
    expect(list789).toEqual([[contact('bob@example.com', [456, 'on'])]])
  })

  it("keeps one list's failure from failing another list's events", async () => {
    serveCheckBoxes(123, [456])
    serveCheckBoxes(789, [456])
    acceptImports(123)
    nock(API).post(importPath(789)).reply(500, { status: 500, error: 'ERROR_INTERNAL', message: 'Try again.' })
    const events = [valueEvent('ann@example.com', 'on', 123), valueEvent('bob@example.com', 'on', 789)]

    const results = await executeBatch(events, { ...byValue, listId: { '@path': '$.properties.listId' } })

    expect(results.map((r) => r.status)).toEqual([201, 500])
  })
})

describe("Listrak's answers, per event", () => {
  it.each([
    [400, 'ERROR_INVALID_PARAMETER'],
    [401, 'ERROR_UNAUTHORIZED'],
    [404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE'],
    [429, 'ERROR_TOO_MANY_REQUESTS'],
    [500, 'ERROR_INTERNAL'],
    [503, 'ERROR_SERVICE_UNAVAILABLE']
  ])("Listrak's %i (%s) becomes the status of every event in the import", async (status, code) => {
    serveCheckBoxes(123, [456])
    nock(API).post(importPath(123)).reply(status, { status, error: code, message: 'Listrak says no.' })
    const events = [valueEvent('ann@example.com', 'on'), valueEvent('bob@example.com', 'off')]

    const results = await executeBatch(events, byValue)

    expect(results.map((r) => r.status)).toEqual([status, status])
    expect(results[0]).toMatchObject({ errormessage: expect.stringContaining('list 123') })
  })

  it("keeps Listrak's error code and message for a 400", async () => {
    serveCheckBoxes(123, [456])
    nock(API)
      .post(importPath(123))
      .reply(400, { status: 400, error: 'ERROR_INVALID_PARAMETER', message: 'Email address is invalid.' })

    const [result] = await executeBatch([valueEvent('ann@example.com', 'on')], byValue)

    expect(result).toMatchObject({
      status: 400,
      errormessage: expect.stringContaining('ERROR_INVALID_PARAMETER: Email address is invalid.')
    })
  })
})

describe('useAudienceKey in a batch', () => {
  it('sets each contact from its own event: the properties, else Audience Entered or Exited', async () => {
    serveCheckBoxes(123, [456])
    const received = acceptImports(123)
    const events = [
      audienceEvent('ann@example.com', {
        event: 'Some Event',
        properties: { listrak_audience: false }
      }),
      audienceEvent('bob@example.com', { event: 'Audience Entered', properties: {} }),
      audienceEvent('cat@example.com', { event: 'Audience Exited', properties: {} })
    ]

    const results = await executeBatch(events, { listId: 123, profileFieldValues: { '456': 'useAudienceKey' } })

    expect(results.map((r) => r.status)).toEqual([201, 201, 201])
    expect(received).toEqual([
      [
        contact('ann@example.com', [456, 'off']),
        contact('bob@example.com', [456, 'on']),
        contact('cat@example.com', [456, 'off'])
      ]
    ])
  })
})
