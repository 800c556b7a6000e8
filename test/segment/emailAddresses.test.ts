import nock from 'nock'
import { createTestEvent, createTestIntegration, defaultValues, PayloadValidationError } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'
import Destination from '../../src'
import { API, auth, isolateNetwork, newSettings, serveCheckBoxes } from './__helpers__/listrak'

const testDestination = createTestIntegration(Destination)

isolateNetwork()

type Action = 'updateEmailContactProfileFields' | 'upsertContact' | 'unsubscribeContact' | 'sendTransactionalMessage'

/** Each action with a mapping that sends its contact or message, and the route Listrak receives it at. */
const ACTIONS: Record<Action, { mapping: JSONObject; path: string }> = {
  updateEmailContactProfileFields: {
    mapping: { listId: 123, profileFieldValues: { '456': 'on' } },
    path: '/email/v1/List/123/Contact/SegmentationField'
  },
  upsertContact: { mapping: { listId: 123, profileFieldValues: { '456': 'on' } }, path: '/email/v1/List/123/Contact' },
  unsubscribeContact: { mapping: { listId: 123 }, path: '/email/v1/List/123/Contact' },
  sendTransactionalMessage: {
    mapping: { listId: 123, transactionalMessageId: 77, profileFieldValues: { '456': 'on' } },
    path: '/email/v1/List/123/TransactionalMessage/77/Message'
  }
}
const ALL = Object.keys(ACTIONS) as Action[]

const eventFrom = (email: string) => createTestEvent({ event: 'Order Completed', context: { traits: { email } } })

/** The addresses Listrak receives at the action's route, in order (an import carries several). */
function receivedAddresses(action: Action): string[] {
  const addresses: string[] = []
  nock(API)
    .post(ACTIONS[action].path, (body: { emailAddress: string } | { emailAddress: string }[]) => {
      for (const item of [body].flat()) addresses.push(item.emailAddress)
      return true
    })
    .query(true)
    .times(10)
    .reply(201, { status: 201, resourceId: 'r-1' })
  return addresses
}

function performWith(action: Action, email: string, fields: JSONObject = {}) {
  return testDestination.testAction(action, {
    event: eventFrom(email),
    settings: newSettings(),
    auth,
    useDefaultMappings: true,
    mapping: { ...ACTIONS[action].mapping, ...fields, enable_batching: false }
  })
}

/** The error `perform` throws for the event, or undefined when it throws none. */
async function refusalOf(action: Action, email: string, fields: JSONObject = {}) {
  try {
    await performWith(action, email, fields)
    return undefined
  } catch (error) {
    return error as Error
  }
}

function executeBatch(action: Action, emails: string[]) {
  return testDestination.executeBatch(action, {
    events: emails.map(eventFrom),
    settings: newSettings(),
    auth,
    mapping: { ...(defaultValues(Destination.actions[action].fields) as JSONObject), ...ACTIONS[action].mapping }
  })
}

describe.each(ALL)('%s: email addresses', (action) => {
  beforeEach(() => serveCheckBoxes(123, [456]))

  it('sends an address with spaces around it trimmed (perform)', async () => {
    const addresses = receivedAddresses(action)

    await performWith(action, ' padded@example.com ')

    expect(addresses).toEqual(['padded@example.com'])
  })

  it('sends addresses with spaces around them trimmed (performBatch)', async () => {
    const addresses = receivedAddresses(action)

    const results = await executeBatch(action, [' padded@example.com ', 'trailing@example.com '])

    expect(results.map((result) => result.status < 300)).toEqual([true, true])
    expect(addresses.sort()).toEqual(['padded@example.com', 'trailing@example.com'])
  })

  it('refuses an address that is not one, naming the field and the value as it was read', async () => {
    const addresses = receivedAddresses(action)

    const error = await refusalOf(action, ' jane@ ')

    expect(error).toBeInstanceOf(PayloadValidationError)
    expect(error?.message).toBe('Email Address " jane@ " is not a valid email address.')
    expect(addresses).toEqual([])
  })

  it('refuses the bad address of a batch alone, naming it', async () => {
    const addresses = receivedAddresses(action)

    const results = await executeBatch(action, ['jane@', ' padded@example.com '])

    expect(results[0]).toMatchObject({
      status: 400,
      errormessage: 'Email Address "jane@" is not a valid email address.'
    })
    expect(results[1].status).toBeLessThan(300)
    expect(addresses).toEqual(['padded@example.com'])
  })
})

describe('an event with a bad address and a value that does not fit its field: one message naming both', () => {
  it.each([
    ['updateEmailContactProfileFields', 'Profile Field Values'],
    ['upsertContact', 'Profile Field Values'],
    ['sendTransactionalMessage', 'Merge Values']
  ] as const)('%s', async (action, valuesField) => {
    serveCheckBoxes(123, [456])
    const addresses = receivedAddresses(action)

    const error = await refusalOf(action, 'jane@', { profileFieldValues: { '456': 'maybe' } })

    expect(error?.message).toBe(
      `Email Address "jane@" is not a valid email address. ${valuesField}: field 456 ("field_456", a check box) ` +
        'takes "on" or "off", not "maybe".'
    )
    expect(addresses).toEqual([])
  })
})

describe('Create or Update Contact: New Email Address', () => {
  it('sends a new address with spaces around it trimmed', async () => {
    let query: Record<string, string> = {}
    nock(API)
      .post(ACTIONS.upsertContact.path)
      .query((q) => {
        query = q as Record<string, string>
        return true
      })
      .reply(201, { status: 201, resourceId: 'r-1' })

    await performWith('upsertContact', 'old@example.com', {
      profileFieldValues: {},
      newEmailAddress: ' new@example.com '
    })

    expect(query.newEmailAddress).toBe('new@example.com')
  })

  it('refuses a new address that is not one, naming that field and the value as it was read', async () => {
    const error = await refusalOf('upsertContact', 'old@example.com', {
      profileFieldValues: {},
      newEmailAddress: 'new@ '
    })

    expect(error?.message).toBe('New Email Address "new@ " is not a valid email address.')
  })
})
