import { fieldsToJsonSchema, transform, validateSchema } from '@segment/actions-core'
import type { InputField, JSONLikeObject } from '@segment/actions-core'
import { enableBatching, maxConcurrentRequests } from '../../src/mapping/one-per-request'
import { PHONE_DEFAULT } from '../../src/mapping/sms-fields'
import { fields as sendFields } from '../../src/sendSmsTransactionalMessage/fields'
import { fields as unsubscribeFields } from '../../src/unsubscribeSmsContact/fields'
import { fields as upsertFields } from '../../src/upsertSmsContact/fields'

/** The payload a mapping of `fields`' defaults gives for an event, with `mapping` on top. */
const mapped = (fields: Record<string, InputField>, event: object, mapping: object = {}) => {
  const defaults = Object.fromEntries(
    Object.entries(fields).flatMap(([key, field]) => (field.default === undefined ? [] : [[key, field.default]]))
  )
  return transform({ ...defaults, ...mapping } as JSONLikeObject, event as never)
}

const valid = (fields: Record<string, InputField>, payload: object) =>
  validateSchema(payload, fieldsToJsonSchema(fields), { throwIfInvalid: false })

describe('PHONE_DEFAULT', () => {
  it.each([
    [
      'context.traits.phone first',
      { context: { traits: { phone: '1' } }, properties: { phone: '2' }, traits: { phone: '3' } },
      '1'
    ],
    ['then properties.phone', { properties: { phone: '2' }, traits: { phone: '3' } }, '2'],
    ['then traits.phone', { traits: { phone: '3' } }, '3']
  ])('reads %s', (_what, event, phone) => {
    expect(transform({ phone: PHONE_DEFAULT }, event as never)).toEqual({ phone })
  })

  it('gives no phone when the event has none', () => {
    expect(transform({ phone: PHONE_DEFAULT }, { properties: {} })).toEqual({})
  })
})

describe('Create or Update SMS Contact fields', () => {
  const identify = {
    type: 'identify',
    traits: {
      phone: '(215) 555-0123',
      email: 'jane@example.com',
      firstName: 'Jane',
      lastName: 'Doe',
      birthday: '1990-05-17',
      address: { postalCode: '17601' }
    }
  }

  it("maps an identify call's traits by default, and neither subscribes nor resubscribes", () => {
    expect(mapped(upsertFields, identify)).toEqual({
      phoneNumber: '(215) 555-0123',
      subscribe: false,
      resubscribeOptedOut: false,
      emailAddress: 'jane@example.com',
      firstName: 'Jane',
      lastName: 'Doe',
      birthday: '1990-05-17',
      postalCode: '17601',
      enable_batching: true,
      max_concurrent_requests: 4
    })
  })

  it("reads a track event's context traits when it has no traits of its own", () => {
    const track = { type: 'track', properties: {}, context: { traits: { phone: '2155550123', firstName: 'Jo' } } }
    expect(mapped(upsertFields, track)).toMatchObject({ phoneNumber: '2155550123', firstName: 'Jo' })
  })

  it('says the subscribe is only for contacts who consented', () => {
    expect(upsertFields.subscribe.description).toContain('Only for contacts who consented')
  })

  it('needs a list only to subscribe', () => {
    const payload = { senderCodeId: 101, phoneNumber: '2155550123', enable_batching: true }
    expect(valid(upsertFields, { ...payload, subscribe: false, firstName: 'Jane' })).toBe(true)
    expect(valid(upsertFields, { ...payload, subscribe: true })).toBe(false)
    expect(valid(upsertFields, { ...payload, subscribe: true, phoneListId: 201 })).toBe(true)
  })

  it('chooses the sender code, the list and the profile fields from the account', () => {
    const dynamic = Object.keys(upsertFields).filter((key) => upsertFields[key].dynamic)
    expect(dynamic).toEqual(['senderCodeId', 'phoneListId', 'profileFieldValues'])
  })

  it('takes profile field values as key and value pairs', () => {
    expect(upsertFields.profileFieldValues).toMatchObject({ type: 'object', defaultObjectUI: 'keyvalue:only' })
  })
})

describe('Unsubscribe SMS Contact fields', () => {
  it('unsubscribes from a list by default', () => {
    expect(mapped(unsubscribeFields, { type: 'track', properties: { phone: '2155550123' } })).toEqual({
      scope: 'list',
      phoneNumber: '2155550123',
      enable_batching: true,
      max_concurrent_requests: 4
    })
  })

  it('needs a list only to unsubscribe from one', () => {
    const payload = { senderCodeId: 101, phoneNumber: '2155550123', enable_batching: true }
    expect(valid(unsubscribeFields, { ...payload, scope: 'list' })).toBe(false)
    expect(valid(unsubscribeFields, { ...payload, scope: 'list', phoneListId: 201 })).toBe(true)
    expect(valid(unsubscribeFields, { ...payload, scope: 'senderCode' })).toBe(true)
  })

  it('has no field that could subscribe anyone', () => {
    expect(Object.keys(unsubscribeFields).filter((key) => /subscribe|optIn/i.test(key))).toEqual([])
  })
})

describe('Send SMS Transactional Message fields', () => {
  it('needs a list, a message, a number and a text', () => {
    const payload = { senderCodeId: 101, phoneListId: 201, transactionalMessageId: 401, enable_batching: true }
    expect(valid(sendFields, { ...payload, phoneNumber: '2155550123', messageContent: 'Shipped' })).toBe(true)
    expect(valid(sendFields, { ...payload, phoneNumber: '2155550123' })).toBe(false)
    expect(valid(sendFields, { ...payload, messageContent: 'Shipped' })).toBe(false)
  })

  it('renders the text from a template in the mapping', () => {
    const track = { type: 'track', properties: { order_id: 'A-1' }, context: { traits: { phone: '+12155550123' } } }
    const mapping = { messageContent: { '@template': 'Order {{properties.order_id}} shipped' } }
    expect(mapped(sendFields, track, mapping)).toMatchObject({
      phoneNumber: '+12155550123',
      messageContent: 'Order A-1 shipped'
    })
  })

  it('chooses the sender code, the list and the message from the account', () => {
    const dynamic = Object.keys(sendFields).filter((key) => sendFields[key].dynamic)
    expect(dynamic).toEqual(['senderCodeId', 'phoneListId', 'transactionalMessageId'])
  })

  it('has no subscribe option: subscribing is consent, given through Create or Update SMS Contact', () => {
    expect(Object.keys(sendFields).filter((key) => /subscribe/i.test(key))).toEqual([])
  })
})

describe('the fields every SMS action shares', () => {
  it.each([
    ['Create or Update SMS Contact', upsertFields],
    ['Unsubscribe SMS Contact', unsubscribeFields],
    ['Send SMS Transactional Message', sendFields]
  ])('%s batches and bounds its requests in flight as the email actions do', (_name, fields) => {
    expect(fields.max_concurrent_requests).toBe(maxConcurrentRequests)
    expect(fields.enable_batching).toMatchObject({ ...enableBatching(''), description: expect.any(String) })
    expect(fields.phoneNumber.default).toEqual(PHONE_DEFAULT)
    expect(fields.senderCodeId).toMatchObject({ type: 'integer', required: true, dynamic: true })
  })
})
