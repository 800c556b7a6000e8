import { listFieldCache } from '../../src/profile-fields/definitions'
import { useSandbox } from '../sandbox/client'
import { listrakApi } from '../sandbox/listrak-api'
import { ActionSlug, runBatch, runEvent, track } from './actions'

/**
 * Email addresses in every action through actions-core's real Destination (mapping, validation, perform and
 * performBatch), against the sandbox over loopback: spaces around an address are trimmed, then the destination
 * checks it, and a refusal names the field and the value as it was read.
 */

const { current, start } = useSandbox({ asListrak: true })

beforeEach(() => listFieldCache.clear())

async function setup() {
  await start()
  const token = await current.api.token()
  return { token, api: listrakApi(current.sandbox, token) }
}

const MAPPINGS: Record<ActionSlug, Record<string, unknown>> = {
  updateEmailContactProfileFields: { listId: 12345, profileFieldValues: { '6789': 'on' } },
  upsertContact: { listId: 12345, profileFieldValues: { '6789': 'on' } },
  unsubscribeContact: { listId: 12345 },
  sendTransactionalMessage: { listId: 12345, transactionalMessageId: 9001 }
}
const ACTIONS = Object.keys(MAPPINGS) as ActionSlug[]

/** Subscribed contacts, so that unsubscribing them shows in the sandbox. */
async function subscribe(token: string, emails: string[]) {
  const results = await runBatch(
    'upsertContact',
    emails.map((email) => track(email)),
    MAPPINGS.upsertContact,
    token
  )
  expect(results.map((r) => r.status)).toEqual(emails.map(() => 201))
}

/** Whom the action reached in the sandbox: the list's contacts, those unsubscribed, or the messages' recipients. */
async function reached(action: ActionSlug, api: ReturnType<typeof listrakApi>): Promise<string[]> {
  if (action === 'sendTransactionalMessage') {
    return Object.keys((await api.messages()).perRecipient as Record<string, number>).sort()
  }
  const contacts = Object.values(await api.contactDetails()) as { emailAddress: string; subscriptionState: string }[]
  const unsubscribed = contacts.filter((c) => action !== 'unsubscribeContact' || c.subscriptionState === 'Unsubscribed')
  return unsubscribed.map((c) => c.emailAddress).sort()
}

const PADDED = [' padded@example.com ', 'trailing@example.com ']
const TRIMMED = ['padded@example.com', 'trailing@example.com']

describe.each(ACTIONS)('%s: email addresses through Destination', (action) => {
  it('delivers a batch of addresses with spaces around them, trimmed (onBatch)', async () => {
    const { token, api } = await setup()
    if (action === 'unsubscribeContact') await subscribe(token, TRIMMED)

    const results = await runBatch(
      action,
      PADDED.map((email) => track(email)),
      MAPPINGS[action],
      token
    )

    expect(results.map((r) => [r.status < 300, r.errormessage])).toEqual([
      [true, undefined],
      [true, undefined]
    ])
    expect(await reached(action, api)).toEqual(TRIMMED)
  })

  it('delivers one event whose address has spaces around it, trimmed (onEvent)', async () => {
    const { token, api } = await setup()
    if (action === 'unsubscribeContact') await subscribe(token, ['padded@example.com'])

    const result = await runEvent(action, track(' padded@example.com '), MAPPINGS[action], token)

    expect(result.ok).toBe(true)
    expect(await reached(action, api)).toEqual(['padded@example.com'])
  })

  it('refuses an address that is not one, naming the field and the value as it was read; it reaches no one', async () => {
    const { token, api } = await setup()

    const [refused] = await runBatch(action, [track(' jane@ ')], MAPPINGS[action], token)
    const single = await runEvent(action, track('jane@example'), MAPPINGS[action], token)

    expect(refused).toMatchObject({
      status: 400,
      errortype: 'PAYLOAD_VALIDATION_FAILED',
      errormessage: 'Email Address " jane@ " is not a valid email address.'
    })
    expect(single).toMatchObject({
      ok: false,
      error: { status: 400, message: 'Email Address "jane@example" is not a valid email address.' }
    })
    expect(await reached(action, api)).toEqual([])
  })
})

describe('an event with a bad address and a value that does not fit its field, through Destination', () => {
  it.each([
    ['updateEmailContactProfileFields', 'Profile Field Values'],
    ['upsertContact', 'Profile Field Values'],
    ['sendTransactionalMessage', 'Merge Values']
  ] as const)('%s: one message names both', async (action, valuesField) => {
    const { token, api } = await setup()

    const [result] = await runBatch(
      action,
      [track('jane@', { points: 'lots' })],
      { ...MAPPINGS[action], profileFieldValues: { '7003': { '@path': '$.properties.points' } } },
      token
    )

    expect(result).toMatchObject({
      status: 400,
      errormessage:
        `Email Address "jane@" is not a valid email address. ${valuesField}: field 7003 ("loyalty_points", a ` +
        'Numeric field) takes a number, not "lots".'
    })
    expect(await reached(action, api)).toEqual([])
  })
})

describe('Create or Update Contact: New Email Address through Destination', () => {
  it('changes the address to the new one, trimmed', async () => {
    const { token, api } = await setup()
    await subscribe(token, ['old@example.com'])

    const result = await runEvent(
      'upsertContact',
      track(' old@example.com ', { to: ' new@example.com ' }),
      { listId: 12345, newEmailAddress: { '@path': '$.properties.to' } },
      token
    )

    expect(result.ok).toBe(true)
    expect(await reached('upsertContact', api)).toEqual(['new@example.com'])
  })

  it('refuses a new address that is not one, naming that field and the value as it was read', async () => {
    const { token } = await setup()

    const [result] = await runBatch(
      'upsertContact',
      [track('old@example.com', { to: 'new@ ' })],
      { listId: 12345, newEmailAddress: { '@path': '$.properties.to' } },
      token
    )

    expect(result).toMatchObject({
      status: 400,
      errormessage: 'New Email Address "new@ " is not a valid email address.'
    })
  })
})
