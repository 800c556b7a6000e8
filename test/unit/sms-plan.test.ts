import { planSmsContactRequests, planSmsUnsubscribes } from '../../src/sms/plan'
import {
  finishSmsContact,
  PreparedSmsContact,
  readSmsContact,
  readSmsUnsubscribe,
  SenderPhoneRules,
  SmsContactPayload,
  SmsUnsubscribePayload
} from '../../src/sms/prepare'

const US: SenderPhoneRules = { country: 'US' }

/** Events prepared without the sender code's field definitions (as when they cannot be read). */
const prepare = (...payloads: Partial<SmsContactPayload>[]): PreparedSmsContact[] =>
  payloads.map((more) =>
    finishSmsContact(
      readSmsContact(
        { senderCodeId: 101, phoneListId: 201, subscribe: true, phoneNumber: '(215) 555-0123', ...more },
        US
      ),
      undefined
    )
  )

const plan = (...payloads: Partial<SmsContactPayload>[]) => planSmsContactRequests(prepare(...payloads))

describe('planSmsContactRequests', () => {
  it('merges two spellings of one number into one create, the later value winning (design scenario 6)', () => {
    expect(
      plan(
        { phoneNumber: '(215) 555-0123', profileFieldValues: { '301': 'Lancaster' } },
        { phoneNumber: '+1 215 555 0123', profileFieldValues: { '301': 'York' } }
      )
    ).toEqual([
      [
        {
          senderCodeId: 101,
          phoneListId: 201,
          subscribe: true,
          resubscribeOptedOut: false,
          contact: {
            phoneNumber: '2155550123',
            segmentationFieldValues: [{ segmentationFieldId: 301, value: 'York' }]
          },
          eventIndexes: [0, 1]
        }
      ]
    ])
  })

  it("writes the design's new subscriber body member for member, in Listrak's order", () => {
    const [[request]] = plan({
      emailAddress: 'jane@example.com',
      firstName: 'Jane',
      postalCode: '17601',
      profileFieldValues: { '302': true }
    })
    expect(JSON.stringify(request.contact)).toBe(
      '{"phoneNumber":"2155550123","emailAddress":"jane@example.com","firstName":"Jane","postalCode":"17601",' +
        '"segmentationFieldValues":[{"segmentationFieldId":302,"value":"on"}]}'
    )
  })

  it('keeps every member an earlier event gave that a later one does not', () => {
    const [[request]] = plan(
      { firstName: 'Jane', emailAddress: 'jane@example.com', profileFieldValues: { '301': 'York', '302': 'on' } },
      { lastName: 'Doe', emailAddress: 'jane.doe@example.com', profileFieldValues: { '302': 'off' } }
    )
    expect(request.contact).toEqual({
      phoneNumber: '2155550123',
      emailAddress: 'jane.doe@example.com',
      firstName: 'Jane',
      lastName: 'Doe',
      segmentationFieldValues: [
        { segmentationFieldId: 301, value: 'York' },
        { segmentationFieldId: 302, value: 'off' }
      ]
    })
  })

  it('sends no segmentationFieldValues member when no event has values', () => {
    const [[request]] = plan({ firstName: 'Jane' })
    expect(request.contact).toEqual({ phoneNumber: '2155550123', firstName: 'Jane' })
  })

  it('gives each phone its own sequence, in the order the phones first appear', () => {
    const sequences = plan(
      { phoneNumber: '215-555-0124' },
      { phoneNumber: '215-555-0123' },
      { phoneNumber: '12155550124' }
    )
    expect(sequences.map((s) => s.map((r) => [r.contact.phoneNumber, r.eventIndexes]))).toEqual([
      [['2155550124', [0, 2]]],
      [['2155550123', [1]]]
    ])
  })

  it('keeps one number on two sender codes apart', () => {
    expect(plan({ senderCodeId: 101 }, { senderCodeId: 102 })).toHaveLength(2)
  })

  it.each<[string, Partial<SmsContactPayload>, Partial<SmsContactPayload>]>([
    ['an update, then a subscribe', { subscribe: false, firstName: 'Jane' }, { subscribe: true }],
    ['a subscribe, then an update', { subscribe: true }, { subscribe: false, firstName: 'Jane' }],
    ['subscribes to two lists', { phoneListId: 201 }, { phoneListId: 202 }],
    ['a resubscribe after a plain subscribe', {}, { resubscribeOptedOut: true }]
  ])('sends %s one after the other', (_what, first, second) => {
    const sequences = plan(first, second)
    expect(sequences).toHaveLength(1)
    expect(sequences[0].map((r) => r.eventIndexes)).toEqual([[0], [1]])
  })

  it('merges a later event into the last request of its phone only', () => {
    const sequences = plan({ phoneListId: 201 }, { phoneListId: 202 }, { phoneListId: 202, firstName: 'Jane' })
    expect(sequences[0].map((r) => [r.phoneListId, r.eventIndexes])).toEqual([
      [201, [0]],
      [202, [1, 2]]
    ])
  })

  it("puts refused events in no request, keeping the others' indexes", () => {
    const sequences = plan({ phoneNumber: '555-0123' }, { phoneNumber: '215-555-0123' })
    expect(sequences.map((s) => s.map((r) => r.eventIndexes))).toEqual([[[1]]])
  })

  it('leaves the prepared events as they were', () => {
    const events = prepare({ profileFieldValues: { '301': 'Lancaster' } }, { profileFieldValues: { '301': 'York' } })
    planSmsContactRequests(events)
    expect(events[0].ok && [...events[0].change.values]).toEqual([[301, 'Lancaster']])
  })
})

describe('planSmsUnsubscribes', () => {
  const unsubscribes = (...payloads: Partial<SmsUnsubscribePayload>[]) =>
    planSmsUnsubscribes(
      payloads.map((more) =>
        readSmsUnsubscribe({ senderCodeId: 101, phoneListId: 201, phoneNumber: '(215) 555-0123', ...more }, US)
      )
    )

  it('sends repeats of one unsubscribe, however the number is spelled, once', () => {
    expect(unsubscribes({}, { phoneNumber: '+12155550123' })).toEqual([
      [{ senderCodeId: 101, scope: 'list', phoneListId: 201, phoneNumber: '2155550123', eventIndexes: [0, 1] }]
    ])
  })

  it('sends a list unsubscribe and a sender code opt-out of one phone one after the other', () => {
    expect(unsubscribes({}, { scope: 'senderCode' })).toEqual([
      [
        { senderCodeId: 101, scope: 'list', phoneListId: 201, phoneNumber: '2155550123', eventIndexes: [0] },
        { senderCodeId: 101, scope: 'senderCode', phoneNumber: '2155550123', eventIndexes: [1] }
      ]
    ])
  })

  it('sends unsubscribes from two lists one after the other', () => {
    const [sequence] = unsubscribes({ phoneListId: 201 }, { phoneListId: 202 })
    expect(sequence.map((r) => [r.phoneListId, r.eventIndexes])).toEqual([
      [201, [0]],
      [202, [1]]
    ])
  })

  it('puts refused events in no request', () => {
    expect(unsubscribes({ phoneNumber: 'x' }, { scope: 'list', phoneListId: undefined })).toEqual([])
  })
})
