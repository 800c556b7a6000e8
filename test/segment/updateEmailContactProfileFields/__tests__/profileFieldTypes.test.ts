import nock from 'nock'
import { createTestEvent, createTestIntegration } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import Destination from '../../../../src'

const testDestination = createTestIntegration(Destination)

const API = 'https://api.listrak.com'
const auth = { accessToken: 'test-access-token', refreshToken: '' }

let clients = 0

/** Settings with a client ID no other test uses: the destination keeps each list's fields per client and list. */
function newSettings() {
  clients += 1
  return { client_id: `test-client-${clients}`, client_secret: 'test-client-secret' }
}

/** A contact as Listrak's import receives it. */
const contact = (emailAddress: string, ...values: [fieldId: number, value: string][]) => ({
  emailAddress,
  segmentationFieldValues: values.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))
})

/** An event from a contact, with `properties`. */
const eventFrom = (email: string, properties: JSONObject = {}) =>
  createTestEvent({ event: 'Tier Changed', properties, context: { traits: { email } } })

const LIST = 123
const FIELDS: [number, string, number][] = [
  [456, 'CheckBox', 3],
  [501, 'Text', 10],
  [502, 'Numeric', 10],
  [503, 'Date', 30]
]

/** Sends a batch with one mapping; answers the per-event results and the contacts Listrak received. */
async function batch(events: SegmentEvent[], profileFieldValues: JSONObject) {
  nock(API)
    .get(`/email/v1/List/${LIST}/SegmentationFieldGroup`)
    .reply(200, { status: 200, data: [{ segmentationFieldGroupId: 1, segmentationFieldGroupName: 'Fields' }] })
    .get(`/email/v1/List/${LIST}/SegmentationFieldGroup/1/SegmentationField`)
    .reply(200, {
      status: 200,
      data: FIELDS.map(([id, dataType, maxLength]) => ({
        segmentationFieldId: id,
        segmentationFieldName: `field_${id}`,
        dataType,
        maxLength
      }))
    })
  const received: unknown[] = []
  nock(API)
    .post(`/email/v1/List/${LIST}/Contact/SegmentationField`, (body) => {
      received.push(body)
      return true
    })
    .reply(201, { status: 201, resourceId: 'import-1' })
  await testDestination.testBatchAction('updateEmailContactProfileFields', {
    events,
    settings: newSettings(),
    auth,
    useDefaultMappings: true,
    mapping: { listId: LIST, profileFieldValues }
  })
  const [result] = testDestination.results as { multistatus: { status: number; errormessage?: string }[] }[]
  return { results: result.multistatus, received }
}

describe('Update Email Contact Profile Fields, profile field types', () => {
  it('sends Text, Numeric and Date values as strings', async () => {
    const { results, received } = await batch([eventFrom('jane@example.com')], {
      '501': ' Gold ',
      '502': 1250,
      '503': '1990-04-01'
    })

    expect(results.map((r) => r.status)).toEqual([201])
    expect(received).toEqual([[contact('jane@example.com', [501, 'Gold'], [502, '1250'], [503, '1990-04-01'])]])
  })

  it('refuses a value that does not fit its check box for that event alone', async () => {
    const events = ['on', 'maybe'].map((choice, i) => eventFrom(`user${i}@example.com`, { choice }))

    const { results, received } = await batch(events, { '456': { '@path': '$.properties.choice' } })

    expect(results.map((r) => r.status)).toEqual([201, 400])
    expect(results[1].errormessage).toBe(
      'Profile Field Values: field 456 ("field_456", a check box) takes "on" or "off", not "maybe".'
    )
    expect(received).toEqual([[contact('user0@example.com', [456, 'on'])]])
  })

  it('refuses a Numeric value that is not a number', async () => {
    const { results } = await batch([eventFrom('jane@example.com')], { '502': 'lots' })

    expect(results[0].errormessage).toContain('field 502 ("field_502", a Numeric field) takes a number, not "lots"')
  })

  it('refuses a Date value that is not a date', async () => {
    const { results } = await batch([eventFrom('jane@example.com')], { '503': '2026-02-30' })

    expect(results[0].errormessage).toContain('field 503 ("field_503", a Date field) takes a date')
  })

  it('refuses a Text value longer than the field holds', async () => {
    const { results } = await batch([eventFrom('jane@example.com')], { '501': 'Platinum Plus' })

    expect(results[0].errormessage).toContain('holds at most 10 characters')
  })

  it('refuses a field the list does not have', async () => {
    const { results } = await batch([eventFrom('jane@example.com')], { '999': 'on' })

    expect(results[0].errormessage).toBe('Profile Field Values: list 123 has no profile field 999.')
  })
})
