import { Destination, fieldsToJsonSchema, transform, validateSchema } from '@segment/actions-core'
import type { InputField, Preset, SegmentEvent } from '@segment/actions-core'
import { parseFql, validate } from '@segment/destination-subscriptions'
import { ast, lex } from '@segment/fql-ts'
import nock from 'nock'
import destination from '../../src'
import { audienceIdentify, audienceTrack } from '../engage-events'
import { ACCESS_TOKEN, API, isolateNetwork, settings } from '../destination/fixtures'

isolateNetwork()

const presets = destination.presets ?? []
const automatic = (preset: Preset) => {
  if (preset.type !== 'automatic') throw new Error(`${preset.name} is not an automatic preset`)
  return preset
}
const named = (name: string) => automatic(presets.find((p) => p.name === name) as Preset)

/** What the user picks after adding a preset: the IDs of their own account. */
const CHOSEN = { listId: 12345, transactionalMessageId: 501 }

const SYNC_AUDIENCE = 'Sync Engage audience to a check-box field'
const SUBSCRIBE = 'Subscribe contacts who enter an audience'
const UNSUBSCRIBE = 'Unsubscribe on Unsubscribed track events'
const SEND_MESSAGE = 'Send a transactional message on Order Completed'

const order = {
  type: 'track',
  event: 'Order Completed',
  userId: 'u1',
  properties: { order_id: 'A-1' },
  context: { traits: { email: 'jane@example.com' } }
} as Partial<SegmentEvent>
const unsubscribed = { ...order, event: 'Unsubscribed', properties: {} }

/** Each preset, an event it must match, and one it must not. */
const samples: [string, Partial<SegmentEvent>, Partial<SegmentEvent>][] = [
  [SYNC_AUDIENCE, audienceTrack('jane@example.com', 'vip_customers', true), order],
  [SUBSCRIBE, audienceTrack('jane@example.com', 'vip_customers', true), audienceTrack('j@example.com', 'vip', false)],
  [UNSUBSCRIBE, unsubscribed, order],
  [SEND_MESSAGE, order, unsubscribed]
]

describe('presets', () => {
  it('are the four one-click mappings, one per action', () => {
    expect(presets.map((p) => [p.name, p.partnerAction])).toEqual([
      [SYNC_AUDIENCE, 'updateEmailContactProfileFields'],
      [SUBSCRIBE, 'upsertContact'],
      [UNSUBSCRIBE, 'unsubscribeContact'],
      [SEND_MESSAGE, 'sendTransactionalMessage']
    ])
  })

  it.each(presets.map((p) => [p.name, p]))('%s: its FQL parses', (_, preset) => {
    const { subscribe } = automatic(preset as Preset)
    expect(ast(lex(subscribe).tokens).error).toBeUndefined()
    expect(parseFql(subscribe)).not.toHaveProperty('error')
  })

  it.each(samples)('%s: its FQL matches its event and not another', (name, match, other) => {
    const fql = parseFql(named(name).subscribe)
    expect(validate(fql, match)).toBe(true)
    expect(validate(fql, other)).toBe(false)
  })

  it('Sync Engage audience: matches Engage identify events too, and no event outside an audience', () => {
    const fql = parseFql(named(SYNC_AUDIENCE).subscribe)
    expect(validate(fql, audienceIdentify('jane@example.com', 'vip', true))).toBe(true)
    expect(validate(fql, { type: 'identify', traits: { email: 'jane@example.com' } })).toBe(false)
  })

  it.each(presets.map((p) => [p.name, p]))("%s: its mapping has only its action's fields", (_, preset) => {
    const { partnerAction, mapping } = preset as Preset
    const fields = Object.keys(destination.actions[partnerAction].fields)
    expect(Object.keys(mapping ?? {}).filter((key) => !fields.includes(key))).toEqual([])
  })

  it.each(samples)(
    '%s: its mapping validates against its action once the account IDs are chosen, and lacks only those',
    (name, event) => {
      const { partnerAction, mapping } = named(name)
      const fields = destination.actions[partnerAction].fields as Record<string, InputField>
      const schema = fieldsToJsonSchema(fields)
      const chosen = Object.fromEntries(Object.entries(CHOSEN).filter(([key]) => key in fields))
      const payload = (extra: object) => transform({ ...mapping, ...extra }, event as never)
      expect(validateSchema(payload(chosen), schema, { throwIfInvalid: false })).toBe(true)
      for (const key of Object.keys(chosen)) {
        const without = { ...chosen, [key]: undefined }
        expect(() => validateSchema(payload(without), schema)).toThrow(
          `The root value is missing the required field '${key}'`
        )
      }
    }
  )
})

describe("presets run through actions-core's Destination", () => {
  /** One event through the preset's subscription, as Segment would run it once the IDs are chosen. */
  const run = async (name: string, event: Partial<SegmentEvent>) => {
    const { subscribe, partnerAction, mapping } = named(name)
    const results = await new Destination(destination).onEvent(
      event as SegmentEvent,
      {
        ...settings,
        oauth: { access_token: ACCESS_TOKEN },
        subscription: { subscribe, partnerAction, mapping: { ...mapping, ...CHOSEN, enable_batching: false } }
      } as never
    )
    return results.find((r) => r.output === 'Action Executed')?.data
  }
  /** Records the bodies posted to `path` and answers 201. */
  const record = (path: string) => {
    const bodies: unknown[] = []
    nock(API)
      .post(path, (body: unknown) => (bodies.push(body), true))
      .query(true)
      .reply(201, { status: 201, resourceId: 'r-1' })
    return bodies
  }

  it('Sync Engage audience: turns on the check box named like the audience', async () => {
    nock(API)
      .get('/email/v1/List/12345/SegmentationFieldGroup')
      .times(2)
      .reply(200, { status: 200, data: [{ segmentationFieldGroupId: 1, segmentationFieldGroupName: 'Audiences' }] })
      .get('/email/v1/List/12345/SegmentationFieldGroup/1/SegmentationField')
      .times(2)
      .reply(200, {
        status: 200,
        data: [
          { segmentationFieldId: 6790, segmentationFieldName: 'VIP Customers', dataType: 'CheckBox', maxLength: 3 }
        ]
      })
    const bodies = record('/email/v1/List/12345/Contact/SegmentationField')
    await run(SYNC_AUDIENCE, audienceTrack('jane@example.com', 'vip_customers', true))
    expect(bodies).toEqual([
      [{ emailAddress: 'jane@example.com', segmentationFieldValues: [{ segmentationFieldId: 6790, value: 'on' }] }]
    ])
  })

  it('Subscribe contacts who enter an audience: subscribes the contact, never overriding an unsubscribe', async () => {
    const bodies = record('/email/v1/List/12345/Contact')
    await run(SUBSCRIBE, audienceTrack('jane@example.com', 'vip_customers', true))
    expect(bodies).toEqual([
      {
        emailAddress: 'jane@example.com',
        subscriptionState: 'Subscribed',
        externalContactID: 'user-jane@example.com',
        segmentationFieldValues: []
      }
    ])
  })

  it('Subscribe contacts who enter an audience: subscribes a batch of 100 contacts in one list import', async () => {
    const { subscribe, partnerAction, mapping } = named(SUBSCRIBE)
    const files: string[] = []
    nock(API)
      .post('/email/v1/List/12345/ListImport', (body: { importType: string; fileStream: string }) => {
        files.push(`${body.importType}: ${Buffer.from(body.fileStream, 'base64').toString('utf8')}`)
        return true
      })
      .reply(201, { status: 201, resourceId: '9001' })
    const events = Array.from({ length: 100 }, (_, i) => audienceTrack(`user${i}@example.com`, 'vip_customers', true))
    const [result] = (await new Destination(destination).onBatch(
      events as SegmentEvent[],
      {
        ...settings,
        oauth: { access_token: ACCESS_TOKEN },
        subscription: { subscribe, partnerAction, mapping: { ...mapping, ...CHOSEN } }
      } as never
    )) as { multistatus: { status: number }[] }[]
    expect(files).toHaveLength(1)
    expect(files[0]).toMatch(/^AddSubscribers: Email,ExternalContactID\r\nuser0@example.com,user-user0@example.com\r\n/)
    expect(result.multistatus.map((r) => r.status)).toEqual(Array(100).fill(201))
  })

  it('Unsubscribe on Unsubscribed track events: unsubscribes the contact', async () => {
    const bodies = record('/email/v1/List/12345/Contact')
    await run(UNSUBSCRIBE, unsubscribed)
    expect(bodies).toEqual([
      { emailAddress: 'jane@example.com', subscriptionState: 'Unsubscribed', segmentationFieldValues: [] }
    ])
  })

  it('Send a transactional message on Order Completed: sends the chosen message to the customer', async () => {
    const bodies = record('/email/v1/List/12345/TransactionalMessage/501/Message')
    expect(await run(SEND_MESSAGE, order)).toEqual({ listId: 12345, status: 201, resourceId: 'r-1' })
    expect(bodies).toEqual([{ emailAddress: 'jane@example.com', segmentationFieldValues: [] }])
  })
})
