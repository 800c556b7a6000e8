import { createTestEvent, createTestIntegration } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'
import nock from 'nock'
import { generateTestData } from '../../monorepo/lib/test-data'
import destination from '../../../src'
import type { Settings } from '../../../src/generated-types'

const testDestination = createTestIntegration(destination)
const destinationSlug = 'actions-listrak'

/** The profile field every list has here: a Text field, since the generated values are text. */
const TEXT_FIELD_ID = 501

/** Listrak: every list has one group holding the Text field, and every POST (import, contact, message) is accepted. */
function serveListrak() {
  nock(/.*/)
    .persist()
    .get(/\/SegmentationFieldGroup$/)
    .reply(200, { status: 200, data: [{ segmentationFieldGroupId: 1, segmentationFieldGroupName: 'Segment' }] })
  nock(/.*/)
    .persist()
    .get(/\/SegmentationFieldGroup\/1\/SegmentationField$/)
    .reply(200, {
      status: 200,
      data: [{ segmentationFieldId: TEXT_FIELD_ID, segmentationFieldName: 'Tier', dataType: 'Text', maxLength: 500 }]
    })
  nock(/.*/).persist().post(/.*/).reply(201, { status: 201, resourceId: '1' })
}

/**
 * The generated data as an event can carry it. The generator fills Email Address with a random string (the field
 * has no email format, since the actions trim the address first) and keys an object "testType", which is no profile
 * field ID and is left out: every event would be refused for its address, and no value would be sent. So the event
 * gets an address, and the generated value goes to the Text field as well.
 */
function mappingOf(data: JSONObject): JSONObject {
  const values = data.profileFieldValues as JSONObject | undefined
  return {
    ...data,
    emailAddress: 'snapshot@example.com',
    ...(values ? { profileFieldValues: { ...values, [TEXT_FIELD_ID]: Object.values(values)[0] } } : {})
  }
}

/**
 * What Listrak receives for the generated event: the body of the last request, which sends the contact or the
 * message once the list's profile fields are read; or the error with which the action refuses the event.
 */
async function received(actionSlug: string, isRequiredOnly: boolean): Promise<unknown> {
  const seedName = `${destinationSlug}#${actionSlug}`
  const action = destination.actions[actionSlug]
  const [eventData, settingsData] = generateTestData(seedName, destination, action, isRequiredOnly) as [
    JSONObject,
    Settings
  ]
  serveListrak()
  const event = createTestEvent({ properties: mappingOf(eventData) })
  const responses = await testDestination
    .testAction(actionSlug, { event, mapping: event.properties, settings: settingsData, auth: undefined })
    .catch((error: Error) => error)
  if (responses instanceof Error) return responses
  const sent = responses[responses.length - 1].request
  expect(sent.method).toBe('POST')
  return JSON.parse(await sent.text())
}

describe(`Testing snapshot for ${destinationSlug} destination:`, () => {
  for (const actionSlug of Object.keys(destination.actions)) {
    it(`${actionSlug} action - required fields`, async () => {
      expect(await received(actionSlug, true)).toMatchSnapshot()
    })

    it(`${actionSlug} action - all fields`, async () => {
      expect(await received(actionSlug, false)).toMatchSnapshot()
    })
  }
})
