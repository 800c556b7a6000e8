import definition from '../../src'
import { RUNTIME_ACTIONS } from '../../runtime/pipeline/actions'
import { checkConfig } from '../../runtime/commands/check'
import { formatCheck, isProblem } from '../../runtime/commands/check/rows'
import { parseConfig, RuntimeConfigInput } from '../../runtime/config'
import { compileSubscriptions } from '../../runtime/pipeline/subscriptions'
import { useSandbox } from '../sandbox/client'
import { configFile } from './harness'

/** A config's subscriptions for the four actions: each takes its own action's defaults, and is checked by its rules. */

const demo = { client_id: 'demo-client-id', client_secret: 'demo-client-secret' }
const subscription = (partnerAction: string, mapping: Record<string, unknown>, name = partnerAction) => ({
  name,
  subscribe: 'type = "track"',
  partnerAction,
  mapping
})
const compile = (...subscriptions: ReturnType<typeof subscription>[]) =>
  compileSubscriptions(parseConfig({ subscriptions } as RuntimeConfigInput, 'test', {}))

describe('config: the four actions', () => {
  it('knows every action of the destination, and nothing else', () => {
    expect(Object.keys(RUNTIME_ACTIONS).sort()).toEqual(Object.keys(definition.actions).sort())
    expect(() => parseConfig({ subscriptions: [subscription('sendEmail', {})] }, 'c', {})).toThrow(
      'subscriptions.0.partnerAction: "sendEmail" is not an action of this destination; expected one of ' +
        'updateEmailContactProfileFields, upsertContact, unsubscribeContact, sendTransactionalMessage'
    )
  })

  it("lays each subscription's mapping over its own action's field defaults", () => {
    const [first, upsert, unsubscribe, message] = compile(
      subscription('updateEmailContactProfileFields', { listId: 12345, profileFieldValues: { '6789': 'on' } }),
      subscription('upsertContact', { listId: 12345, subscriptionState: 'Subscribed' }),
      subscription('unsubscribeContact', { listId: 12345, enable_batching: false }),
      subscription('sendTransactionalMessage', { listId: 12345, transactionalMessageId: 9001 })
    )
    const email = definition.actions.upsertContact.fields.emailAddress.default
    expect(first.mapping).toMatchObject({ audienceProfileField: 'off', batch_keys: ['listId'], emailAddress: email })
    expect(upsert.mapping).toEqual({
      listId: 12345,
      emailAddress: email,
      subscriptionState: 'Subscribed',
      externalContactID: { '@path': '$.userId' },
      overrideUnsubscribe: false,
      subscribedByContact: false,
      sendDoubleOptIn: false,
      updateType: 'Update',
      traits_or_props: definition.actions.upsertContact.fields.traits_or_props.default,
      segment_audience_key: { '@path': '$.context.personas.computation_key' },
      event_name: { '@path': '$.event' },
      enable_batching: true,
      max_concurrent_requests: 4,
      bulk_import: 'off',
      bulk_min_contacts: 100
    })
    expect(unsubscribe.mapping).toEqual({
      listId: 12345,
      emailAddress: email,
      enable_batching: false,
      max_concurrent_requests: 4,
      bulk_import: false,
      bulk_min_contacts: 100
    })
    expect(unsubscribe.batching).toBe(false)
    expect(message.mapping).toEqual({
      listId: 12345,
      transactionalMessageId: 9001,
      emailAddress: email,
      enable_batching: true,
      max_concurrent_requests: 4
    })
  })

  it('refuses a key the action has no field for, naming the subscription and the key', () => {
    expect(() =>
      compile(
        subscription('sendTransactionalMessage', { listId: 12345, transactionalMesageId: 9001 }, 'orders'),
        subscription('unsubscribeContact', { listId: 12345, audienceProfileField: 'match' }, 'leavers')
      )
    ).toThrow(
      'Invalid config:\n' +
        '  subscriptions.0.mapping.transactionalMesageId: subscription "orders" (sendTransactionalMessage): Send ' +
        'Transactional Message has no field "transactionalMesageId", so it would be dropped without a word; its keys ' +
        'are listId, transactionalMessageId, emailAddress, profileFieldValues, enable_batching, ' +
        'max_concurrent_requests, batch_size\n' +
        '  subscriptions.1.mapping.audienceProfileField: subscription "leavers" (unsubscribeContact): Unsubscribe ' +
        'Contact has no field "audienceProfileField", so it would be dropped without a word; its keys are listId, ' +
        'emailAddress, externalContactID, enable_batching, max_concurrent_requests, bulk_import, bulk_min_contacts, ' +
        'batch_size'
    )
  })

  it("refuses literal values their fields do not take, by actions-core's own validation, every one at once", () => {
    let message = ''
    try {
      compile(
        subscription(
          'upsertContact',
          { listId: 12345, subscriptionState: 'Maybe', eventIds: ['abc'], overrideUnsubscribe: 'yes' },
          'signups'
        ),
        subscription(
          'sendTransactionalMessage',
          { listId: 12345, transactionalMessageId: 'nine', batch_size: 0 },
          'orders'
        )
      )
    } catch (error) {
      message = (error as Error).message
    }
    expect(message.split('\n')).toEqual([
      'Invalid config:',
      '  subscriptions.0.mapping.subscriptionState: subscription "signups" (upsertContact): Subscription State must be one of: "Subscribed" or "Unsubscribed".',
      '  subscriptions.0.mapping.eventIds: subscription "signups" (upsertContact): The value at /eventIds/0 must be an integer but it was a string.',
      '  subscriptions.0.mapping.overrideUnsubscribe: subscription "signups" (upsertContact): Override Unsubscribe must be a boolean but it was a string.',
      '  subscriptions.1.mapping.transactionalMessageId: subscription "orders" (sendTransactionalMessage): Transactional Message ID must be an integer but it was a string.',
      '  subscriptions.1.mapping.batch_size: subscription "orders" (sendTransactionalMessage): must be a whole number from 1 to 10000, not 0'
    ])
  })

  it('takes what actions-core takes: digits for a number, directives, and a literal List ID left to the check', () => {
    const [message, contact] = compile(
      subscription('sendTransactionalMessage', {
        listId: 'abc',
        transactionalMessageId: '9001',
        profileFieldValues: { '7001': { '@path': '$.properties.store' } }
      }),
      subscription('upsertContact', {
        listId: { '@path': '$.properties.list_id' },
        eventIds: [3001, { '@path': '$.properties.event_id' }],
        subscriptionState: { '@path': '$.properties.state' },
        batch_size: 50
      })
    )
    expect(message.mapping.transactionalMessageId).toBe('9001')
    expect(contact.batchSize).toBe(50)
  })
})

describe('check: the new actions', () => {
  const { start } = useSandbox({ asListrak: true })
  beforeEach(() => start())
  const check = (input: RuntimeConfigInput) => checkConfig(parseConfig(input, 'test', {}), demo)
  const table = (rows: Awaited<ReturnType<typeof check>>) =>
    rows.map(({ subscription: s, list, field, status, reason }) => [s, list, field, status, reason])

  it.each([
    'config.upsert-contact.json',
    'config.unsubscribe.json',
    'config.transactional.json',
    'config.large-sync.json'
  ])('passes on examples/%s', async (name) => {
    const rows = await check(configFile(name))
    expect(rows.filter(isProblem)).toEqual([])
    expect(rows.length).toBeGreaterThan(0)
  })

  it('names the transactional message with its subject, and checks merge values against their fields', async () => {
    const rows = await check({
      subscriptions: [
        subscription(
          'sendTransactionalMessage',
          {
            listId: 12345,
            transactionalMessageId: 9001,
            profileFieldValues: { '7001': 'Downtown', '7003': 'lots', '6789': 'useAudienceKey', '4242': 'x' }
          },
          'orders'
        ),
        subscription('sendTransactionalMessage', { listId: 12345, transactionalMessageId: 9042 }, 'unknown message'),
        subscription('sendTransactionalMessage', { listId: 12345 }, 'no message'),
        subscription(
          'sendTransactionalMessage',
          { listId: 12345, transactionalMessageId: { '@path': '$.properties.message_id' } },
          'per event'
        )
      ]
    })
    const list = 'Newsletter (12345)'
    expect(table(rows)).toEqual([
      ['orders', list, '', 'ok', 'Send Transactional Message: the list exists'],
      ['orders', list, 'Transactional Message › Order Confirmation (9001)', 'ok', 'subject "Your order is confirmed"'],
      // Profile field IDs are object keys: they come in numeric order.
      ['orders', list, '4242', 'error', 'list 12345 has no profile field 4242'],
      [
        'orders',
        list,
        'Engage Audiences › my_audience (6789)',
        'error',
        'Merge Values take no "useAudienceKey": Send Transactional Message reads no audience membership'
      ],
      ['orders', list, 'Preferences › favorite_store (7001)', 'ok', 'Text field'],
      [
        'orders',
        list,
        'Preferences › loyalty_points (7003)',
        'error',
        'field 7003 ("loyalty_points", a Numeric field) takes a number, not "lots"'
      ],
      ['unknown message', list, '', 'ok', 'Send Transactional Message: the list exists'],
      ['unknown message', list, '9042', 'error', 'list 12345 has no transactional message 9042'],
      ['no message', list, '', 'ok', 'Send Transactional Message: the list exists'],
      ['no message', list, '', 'error', 'no Transactional Message ID is mapped (mapping.transactionalMessageId)'],
      ['per event', list, '', 'ok', 'Send Transactional Message: the list exists'],
      ['per event', list, 'Transactional Message', 'skipped', 'the message comes from each event']
    ])
  })

  it("checks each literal Event ID, Create or Update Contact's profile fields, and an unsubscribe that carries events", async () => {
    const rows = await check({
      subscriptions: [
        subscription(
          'upsertContact',
          {
            listId: 12345,
            profileFieldValues: { '6789': 'useAudienceKey', '7004': 'someday' },
            eventIds: [3001, 3999, { '@path': '$.properties.event_id' }]
          },
          'signups'
        ),
        subscription('upsertContact', { listId: 12345, subscriptionState: 'Unsubscribed', eventIds: [3002] }, 'leave'),
        subscription('unsubscribeContact', { listId: 67890 }, 'leavers'),
        subscription('unsubscribeContact', { listId: 999 }, 'nowhere'),
        subscription('upsertContact', { listId: 'abc' }, 'literal')
      ]
    })
    const list = 'Newsletter (12345)'
    expect(table(rows)).toEqual([
      ['signups', list, '', 'ok', 'Create or Update Contact: the list exists'],
      ['signups', list, 'Engage Audiences › my_audience (6789)', 'ok', 'check box'],
      [
        'signups',
        list,
        'Preferences › birthday (7004)',
        'error',
        'field 7004 ("birthday", a Date field) takes a date (YYYY-MM-DD, optionally with a time, or MM/DD/YYYY), not "someday"'
      ],
      ['signups', list, 'Event › Welcome Series (3001)', 'ok', 'raised with each contact written'],
      ['signups', list, '3999', 'error', 'list 12345 has no event 3999'],
      ['signups', list, 'Event IDs', 'skipped', 'this event comes from each event'],
      ['leave', list, '', 'ok', 'Create or Update Contact: the list exists'],
      ['leave', list, 'Event › Back in Stock (3002)', 'ok', 'raised with each contact written'],
      [
        'leave',
        list,
        'Subscription State',
        'error',
        '"Unsubscribed" comes with Event IDs, which Listrak refuses in one request (ERROR_UNSUBSCRIBE_WITH_EVENTS): ' +
          'send unsubscribes through a mapping of their own, such as Unsubscribe Contact'
      ],
      ['leavers', 'Promotions (67890)', '', 'ok', 'Unsubscribe Contact: the list exists'],
      ['nowhere', '999', '', 'error', 'list 999 does not exist for these API credentials'],
      ['literal', '"abc"', '', 'error', expect.stringContaining('"abc" is not a list ID')]
    ])
    expect(formatCheck(rows).split('\n')[0]).toMatch(/^subscription\s+list\s+field\s+status\s+reason$/)
  })
})
