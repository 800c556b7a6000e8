import { contactQuery } from '../../src/api/contacts'
import type { ListrakFailure } from '../../src/api/errors'
import { planContactRequests } from '../../src/contacts/plan'
import { ContactInput, finishContact, PreparedContact, readContact } from '../../src/contacts/prepare'
import { toMultiStatus } from '../../src/contacts/results'
import type { ContactOutcome } from '../../src/contacts/send'

const input = (emailAddress: string, more: Partial<ContactInput> = {}): ContactInput => ({
  listId: 12345,
  emailAddress,
  ...more
})

/** Events prepared without the list's field definitions (as when they cannot be read). */
const prepare = (...inputs: ContactInput[]): PreparedContact[] =>
  inputs.map((i) => finishContact(readContact(i), undefined))

const refusal = (i: ContactInput) => {
  const [prepared] = prepare(i)
  if (prepared.ok) throw new Error('expected a refusal')
  return prepared.message
}

const values = (...pairs: [number, string][]) =>
  pairs.map(([segmentationFieldId, value]) => ({ segmentationFieldId, value }))

describe('readContact', () => {
  it('reads the address trimmed, the state, the external ID and the values as strings', () => {
    const read = readContact(
      input(' Jane@Example.com ', {
        subscriptionState: 'Subscribed',
        externalContactID: ' user-1 ',
        profileFieldValues: { '6789': true, '7001': ' Gold ' }
      })
    )
    expect(read).toMatchObject({
      emailAddress: 'Jane@Example.com',
      subscriptionState: 'Subscribed',
      externalContactID: 'user-1',
      problems: { addresses: [], values: [], others: [] }
    })
    const prepared = finishContact(read, undefined)
    expect(prepared.ok && [...prepared.change.values]).toEqual([
      [6789, 'on'],
      [7001, 'Gold']
    ])
  })

  it("takes useAudienceKey from the event's membership", () => {
    const [prepared] = prepare(
      input('jane@example.com', {
        profileFieldValues: { '6789': 'useAudienceKey' },
        membership: { traitsOrProps: { vip: false }, audienceKey: 'vip' }
      })
    )
    expect(prepared.ok && [...prepared.change.values]).toEqual([[6789, 'off']])
  })

  it("refuses the first action's bad values, and a bad address, in one message", () => {
    expect(refusal(input('not an email', { profileFieldValues: { '12abc': 'on', '6789': null } }))).toBe(
      'Email Address "not an email" is not a valid email address. Profile Field Values: field 6789 has the value ' +
        'null, which cannot be sent; use text, a number, true, false or "useAudienceKey".'
    )
  })

  it("refuses an unsubscribe with profile field values, naming Listrak's code and what to do", () => {
    expect(
      refusal(input('jane@example.com', { subscriptionState: 'Unsubscribed', profileFieldValues: { '6789': 'on' } }))
    ).toBe(
      'Subscription State "Unsubscribed" comes with Profile Field Values, and Listrak refuses to unsubscribe a contact ' +
        'and set its profile fields in one request (ERROR_UNSUBSCRIBE_WITH_SEGMENTATION_DATA): send unsubscribes ' +
        'through a mapping of their own, such as Unsubscribe Contact.'
    )
  })

  it.each([
    [{ subscriptionState: 'Unsubscribed' as const, eventIds: [3001] }, 'ERROR_UNSUBSCRIBE_WITH_EVENTS'],
    [
      { newEmailAddress: 'new@example.com', profileFieldValues: { '1': 'on' } },
      'ERROR_CHANGE_ADDRESS_WITH_SEGMENTATION_DATA'
    ],
    [{ newEmailAddress: 'new@example.com', eventIds: [3001] }, 'ERROR_CHANGE_ADDRESS_WITH_EVENTS']
  ])('refuses %j before Listrak does, with %s', (more, code) => {
    expect(refusal(input('jane@example.com', more))).toContain(`(${code})`)
  })

  it('leaves out a new address that is the same address in another case', () => {
    const read = readContact(input('jane@example.com', { newEmailAddress: 'JANE@example.com', eventIds: [3001] }))
    expect(read.problems.others).toEqual([])
    expect(read.options.newEmailAddress).toBeUndefined()
  })

  it('refuses a new address that is not one', () => {
    expect(refusal(input('jane@example.com', { newEmailAddress: 'nope' }))).toBe(
      'New Email Address "nope" is not a valid email address.'
    )
  })

  it('refuses event IDs that are not Listrak IDs', () => {
    expect(refusal(input('jane@example.com', { eventIds: [3001, 0, -2] }))).toBe(
      'Event IDs: 0, -2 must be whole numbers from 1 to 2147483647.'
    )
  })

  it("checks values against the list's fields when they are known", () => {
    const read = readContact(input('jane@example.com', { profileFieldValues: { '6789': 'maybe', '4242': 'x' } }))
    const definitions = new Map([
      [
        6789,
        {
          segmentationFieldId: 6789,
          segmentationFieldName: 'vip',
          dataType: 'CheckBox',
          maxLength: 3,
          group: { segmentationFieldGroupId: 1, segmentationFieldGroupName: 'G' }
        }
      ]
    ])
    expect(finishContact(read, definitions)).toEqual({
      ok: false,
      message:
        'Profile Field Values: list 12345 has no profile field 4242; field 6789 ("vip", a check box) takes "on" or ' +
        '"off", not "maybe".'
    })
  })
})

describe('contactQuery', () => {
  it("leaves out what equals Listrak's defaults", () => {
    expect(
      contactQuery({
        eventIds: [],
        overrideUnsubscribe: false,
        subscribedByContact: false,
        sendDoubleOptIn: false,
        updateType: 'Update'
      })
    ).toEqual({})
  })

  it('joins event IDs with commas and writes booleans as true', () => {
    expect(
      contactQuery({
        eventIds: [3001, 3002],
        overrideUnsubscribe: true,
        subscribedByContact: true,
        sendDoubleOptIn: true,
        updateType: 'Append',
        newEmailAddress: 'new@example.com'
      })
    ).toEqual({
      eventIds: '3001,3002',
      overrideUnsubscribe: 'true',
      subscribedByContact: 'true',
      sendDoubleOptIn: 'true',
      updateType: 'Append',
      newEmailAddress: 'new@example.com'
    })
  })
})

describe('planContactRequests', () => {
  const shapes = (prepared: PreparedContact[]) =>
    planContactRequests(prepared).map((sequence) => sequence.map((r) => [r.contact, r.eventIndexes]))

  it('merges events for one address (any case, trimmed) in order; the later event wins field by field', () => {
    const sequences = planContactRequests(
      prepare(
        input('Jane@Example.com', {
          subscriptionState: 'Subscribed',
          externalContactID: 'a',
          profileFieldValues: { '1': 'on', '2': 'on' }
        }),
        input('other@example.com', { profileFieldValues: { '1': 'off' } }),
        input(' jane@example.com ', { externalContactID: 'b', profileFieldValues: { '1': 'off', '3': 'x' } })
      )
    )
    expect(sequences).toEqual([
      [
        {
          listId: 12345,
          contact: {
            emailAddress: 'Jane@Example.com',
            subscriptionState: 'Subscribed',
            externalContactID: 'b',
            segmentationFieldValues: values([1, 'off'], [2, 'on'], [3, 'x'])
          },
          options: expect.objectContaining({ eventIds: [] }),
          eventIndexes: [0, 2]
        }
      ],
      [expect.objectContaining({ eventIndexes: [1] })]
    ])
  })

  it('keeps an earlier state when a later event sets none, and raises every event asked for once', () => {
    const [[request]] = planContactRequests(
      prepare(
        input('jane@example.com', { subscriptionState: 'Subscribed', eventIds: [3001] }),
        input('jane@example.com', { eventIds: [3002, 3001] })
      )
    )
    expect(request.contact.subscriptionState).toBe('Subscribed')
    expect(request.options.eventIds).toEqual([3001, 3002])
  })

  it('does not merge the same address across lists', () => {
    const sequences = planContactRequests(
      prepare(input('a@example.com', { listId: 1 }), input('a@example.com', { listId: 2 }))
    )
    expect(sequences.map((s) => s.map((r) => r.listId))).toEqual([[1], [2]])
  })

  it('never merges a subscribe after an unsubscribe: it follows in its own request', () => {
    expect(
      shapes(
        prepare(
          input('jane@example.com', { subscriptionState: 'Unsubscribed' }),
          input('jane@example.com', { subscriptionState: 'Subscribed' })
        )
      )
    ).toEqual([
      [
        [{ emailAddress: 'jane@example.com', subscriptionState: 'Unsubscribed', segmentationFieldValues: [] }, [0]],
        [{ emailAddress: 'jane@example.com', subscriptionState: 'Subscribed', segmentationFieldValues: [] }, [1]]
      ]
    ])
  })

  it('merges an unsubscribe after a subscribe, which ends the same', () => {
    expect(
      shapes(
        prepare(
          input('jane@example.com', { subscriptionState: 'Subscribed' }),
          input('jane@example.com', { subscriptionState: 'Unsubscribed' })
        )
      )
    ).toEqual([
      [[{ emailAddress: 'jane@example.com', subscriptionState: 'Unsubscribed', segmentationFieldValues: [] }, [0, 1]]]
    ])
  })

  it('never merges into a request Listrak refuses: an unsubscribe after profile field values follows on its own', () => {
    const sequences = planContactRequests(
      prepare(
        input('jane@example.com', { profileFieldValues: { '1': 'on' } }),
        input('jane@example.com', { subscriptionState: 'Unsubscribed' }),
        input('jane@example.com', { profileFieldValues: { '2': 'on' } })
      )
    )
    expect(sequences).toHaveLength(1)
    expect(
      sequences[0].map((r) => [r.contact.subscriptionState, r.contact.segmentationFieldValues, r.eventIndexes])
    ).toEqual([
      [undefined, values([1, 'on']), [0]],
      ['Unsubscribed', [], [1]],
      [undefined, values([2, 'on']), [2]]
    ])
  })

  it('merges only events with the same query options', () => {
    const sequences = planContactRequests(
      prepare(
        input('jane@example.com', { profileFieldValues: { '1': 'on' } }),
        input('jane@example.com', { profileFieldValues: { '2': 'on' }, sendDoubleOptIn: true }),
        input('jane@example.com', { profileFieldValues: { '3': 'on' }, sendDoubleOptIn: true })
      )
    )
    expect(sequences[0].map((r) => r.eventIndexes)).toEqual([[0], [1, 2]])
  })

  it('sends each event as it is under Append and Overwrite', () => {
    const sequences = planContactRequests(
      prepare(
        input('jane@example.com', { profileFieldValues: { '1': 'a' }, updateType: 'Append' }),
        input('jane@example.com', { profileFieldValues: { '1': 'b' }, updateType: 'Append' })
      )
    )
    expect(sequences[0].map((r) => r.contact.segmentationFieldValues)).toEqual([values([1, 'a']), values([1, 'b'])])
  })

  it('keeps the events for a new address after the change of address, in the same sequence', () => {
    const sequences = planContactRequests(
      prepare(
        input('old@example.com', { newEmailAddress: 'new@example.com' }),
        input('new@example.com', { profileFieldValues: { '1': 'on' } })
      )
    )
    expect(sequences.map((s) => s.map((r) => [r.contact.emailAddress, r.options.newEmailAddress]))).toEqual([
      [
        ['old@example.com', 'new@example.com'],
        ['new@example.com', undefined]
      ]
    ])
  })

  it('skips refused events', () => {
    expect(planContactRequests(prepare(input('nope'), input('a@example.com')))[0][0].eventIndexes).toEqual([1])
  })
})

describe('toMultiStatus', () => {
  const unauthorized: ListrakFailure = {
    status: 401,
    errortype: 'UNAUTHORIZED',
    message: 'Listrak refused the access token for the contact on list 12345 (HTTP 401 ERROR_UNAUTHORIZED).'
  }
  const accepted: ContactOutcome = { ok: true, status: 201, body: { status: 201, resourceId: 'c-1' } }

  it('answers every event in input order: refusals, and each merged event with its request', () => {
    const prepared = prepare(input('a@example.com'), input('nope'), input('A@example.com'))
    const sequences = planContactRequests(prepared)
    const results = toMultiStatus(prepared, sequences, [[accepted]])
    expect(results.length()).toBe(3)
    expect(results.getAllResponses().map((r) => r.value().status)).toEqual([201, 400, 201])
    expect(results.getResponseAtIndex(0).value()).toMatchObject({
      sent: { listId: 12345, emailAddress: 'a@example.com', segmentationFieldValues: [] },
      body: { status: 201, resourceId: 'c-1' }
    })
    expect(results.getResponseAtIndex(1).value()).toMatchObject({ errortype: 'PAYLOAD_VALIDATION_FAILED' })
  })

  it('keeps a 401 when no accepted request raised events', () => {
    const prepared = prepare(input('a@example.com'), input('b@example.com'))
    const results = toMultiStatus(prepared, planContactRequests(prepared), [
      [accepted],
      [{ ok: false, failure: unauthorized }]
    ])
    expect(results.getResponseAtIndex(1).value()).toMatchObject({ status: 401, errortype: 'UNAUTHORIZED' })
  })

  it('reports a 401 as a retryable 500 when an accepted request raised events, so the batch is not run again', () => {
    const prepared = prepare(input('a@example.com', { eventIds: [3001] }), input('b@example.com'))
    const results = toMultiStatus(prepared, planContactRequests(prepared), [
      [accepted],
      [{ ok: false, failure: unauthorized }]
    ])
    expect(results.getResponseAtIndex(1).value()).toMatchObject({
      status: 500,
      errortype: 'RETRYABLE_ERROR',
      errormessage: expect.stringContaining('retried on its own')
    })
  })
})
