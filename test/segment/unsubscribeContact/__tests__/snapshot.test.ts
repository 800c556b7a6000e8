import { createTestEvent, createTestIntegration } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'
import nock from 'nock'
import { generateTestData } from '../../../monorepo/lib/test-data'
import destination from '../../../../src'
import type { Settings } from '../../../../src/generated-types'

const testDestination = createTestIntegration(destination)
const actionSlug = 'unsubscribeContact'
const destinationSlug = 'Listrak'
const seedName = `${destinationSlug}#${actionSlug}`

/** Listrak: every unsubscribe is accepted. */
function serveListrak() {
  nock(/.*/).persist().post(/.*/).reply(201, { status: 201, resourceId: '1' })
}

/**
 * The generated data as an event can carry it. The generator fills Email Address with a random string (the field
 * has no email format, since the action trims the address first), for which every event would be refused: the
 * event gets an address.
 */
const mappingOf = (data: JSONObject): JSONObject => ({ ...data, emailAddress: 'snapshot@example.com' })

/**
 * What Listrak receives for the generated event: the body of the last request, which sends the unsubscribe;
 * or the error with which the action refuses the event.
 */
async function received(isRequiredOnly: boolean): Promise<unknown> {
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

describe(`Testing snapshot for ${destinationSlug}'s ${actionSlug} destination action:`, () => {
  it('required fields', async () => {
    expect(await received(true)).toMatchSnapshot()
  })

  it('all fields', async () => {
    expect(await received(false)).toMatchSnapshot()
  })
})
