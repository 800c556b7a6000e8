import type { ImportOutcome } from '../../src/api/import'
import type { Payload } from '../../src/updateEmailContactProfileFields/generated-types'
import { planImports, toMultiStatus } from '../../src/updateEmailContactProfileFields/imports'
import { finishEvent, PreparedEvent, readEvent } from '../../src/updateEmailContactProfileFields/prepare'

const payload = (emailAddress: string, profileFieldValues: Record<string, unknown>, listId = 12345): Payload => ({
  listId,
  emailAddress,
  profileFieldValues,
  enable_batching: true
})

/** An event prepared without the list's field definitions (as when they cannot be read). */
const prepareEvent = (p: Payload, membership?: boolean): PreparedEvent =>
  finishEvent(readEvent(p, membership), undefined, undefined)
const prepare = (...payloads: Payload[]): PreparedEvent[] => payloads.map((p) => prepareEvent(p))

describe('planImports', () => {
  it('groups contacts by list', () => {
    const imports = planImports(
      prepare(payload('a@example.com', { '1': 'on' }, 1), payload('b@example.com', { '2': 'on' }, 2)),
      10
    )
    expect(imports.map((i) => [i.listId, i.contacts.map((c) => c.emailAddress), i.eventIndexes])).toEqual([
      [1, ['a@example.com'], [[0]]],
      [2, ['b@example.com'], [[1]]]
    ])
  })

  it('merges events for the same address, compared without case and spaces; the later value wins per field', () => {
    const [only] = planImports(
      prepare(
        payload('Jane@Example.com', { '6789': 'on', '6790': 'on' }),
        payload('other@example.com', { '6789': 'off' }),
        payload(' jane@example.com ', { '6789': 'off', '7000': 'on' })
      )
    )
    expect(only.contacts).toEqual([
      {
        emailAddress: 'Jane@Example.com',
        segmentationFieldValues: [
          { segmentationFieldId: 6789, value: 'off' },
          { segmentationFieldId: 6790, value: 'on' },
          { segmentationFieldId: 7000, value: 'on' }
        ]
      },
      { emailAddress: 'other@example.com', segmentationFieldValues: [{ segmentationFieldId: 6789, value: 'off' }] }
    ])
    expect(only.eventIndexes).toEqual([[0, 2], [1]])
  })

  it('does not merge the same address across lists', () => {
    const imports = planImports(
      prepare(payload('a@example.com', { '1': 'on' }, 1), payload('a@example.com', { '1': 'off' }, 2))
    )
    expect(imports).toHaveLength(2)
  })

  it('leaves refused events out', () => {
    const imports = planImports(prepare(payload('bad', { '1': 'on' }), payload('a@example.com', { x: 'on' })))
    expect(imports).toEqual([])
  })

  // The limit is pinned as a figure, not read from the code's constant: a changed constant must fail here.
  it('cuts a list into imports of at most 1,000 contacts, keeping order', () => {
    const events = prepare(...Array.from({ length: 2001 }, (_, i) => payload(`u${i}@example.com`, { '1': 'on' })))
    const imports = planImports(events)
    expect(imports.map((i) => i.contacts.length)).toEqual([1000, 1000, 1])
    expect(imports.flatMap((i) => i.eventIndexes.flat())).toEqual(events.map((_, i) => i))
  })
})

describe('toMultiStatus', () => {
  it('answers every event in input order with its own outcome', () => {
    const events = prepare(
      payload('a@example.com', { '1': 'on' }, 1),
      payload('bad', { '1': 'on' }),
      payload('b@example.com', { '1': 'on' }, 2),
      payload('A@example.com', { '1': 'off' }, 1)
    )
    const imports = planImports(events)
    const outcomes: ImportOutcome[] = [
      { ok: true, status: 201, body: { status: 201, resourceId: 'r1' } },
      { ok: false, failure: { status: 503, errortype: 'SERVICE_UNAVAILABLE', message: 'down' } }
    ]
    const results = toMultiStatus(events, imports, outcomes)
      .getAllResponses()
      .map((r) => r.value())
    expect(results).toEqual([
      {
        status: 201,
        sent: {
          listId: 1,
          emailAddress: 'a@example.com',
          segmentationFieldValues: [{ segmentationFieldId: 1, value: 'off' }]
        },
        body: { status: 201, resourceId: 'r1' }
      },
      {
        status: 400,
        errortype: 'PAYLOAD_VALIDATION_FAILED',
        errormessage: 'Email Address "bad" is not a valid email address.'
      },
      {
        status: 503,
        errortype: 'SERVICE_UNAVAILABLE',
        errormessage: 'down',
        sent: {
          listId: 2,
          emailAddress: 'b@example.com',
          segmentationFieldValues: [{ segmentationFieldId: 1, value: 'on' }]
        }
      },
      {
        status: 201,
        sent: {
          listId: 1,
          emailAddress: 'a@example.com',
          segmentationFieldValues: [{ segmentationFieldId: 1, value: 'off' }]
        },
        body: { status: 201, resourceId: 'r1' }
      }
    ])
  })
})
