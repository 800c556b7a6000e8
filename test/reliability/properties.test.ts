import type { SegmentEvent } from '@segment/actions-core'
import fc from 'fast-check'
import nock from 'nock'
import { API, isolateNetwork, newIntegration, serveProfileFields, settings, auth } from '../destination/fixtures'

/**
 * Properties of whole batches through actions-core's real mapping, validation and performBatch, with Listrak's
 * import endpoint recorded (nock). The expected imports come from a small model written here, independently of
 * the destination's code.
 */

isolateNetwork()

const LISTS = [111, 222, 333]
/** Every list has a check box, a Text field of at most 10 characters and a Numeric field. */
const FIELD_TYPES: Record<string, 'CheckBox' | 'Text' | 'Numeric'> = {
  '6789': 'CheckBox',
  '6790': 'Text',
  '7001': 'Numeric'
}
const FIELD_IDS = Object.keys(FIELD_TYPES)
const TEXT_MAX_LENGTH = 10

const email = fc.oneof(
  { weight: 3, arbitrary: fc.mixedCase(fc.constantFrom('jane@example.com', 'john@example.com', 'ana@example.org')) },
  fc.constantFrom(
    ' jane@example.com ',
    'not-an-email',
    '',
    'jane@',
    '@example.com',
    'ja ne@example.com',
    'jäne@exämple.com',
    'a\u0000b@example.com'
  )
)
const value = fc.constantFrom<unknown>(
  'on',
  'off',
  ' ON ',
  'Off',
  true,
  false,
  'true',
  'FALSE',
  'useAudienceKey',
  'maybe',
  1,
  ' 12.5 ',
  'Gold Member Plus',
  null
)
const key = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FIELD_IDS) },
  fc.constantFrom('', '0', '-3', '12abc', 'test', '99999999999')
)
const event = fc.record({
  email,
  listId: fc.constantFrom(...LISTS),
  fields: fc.dictionary(key, value, { minKeys: 0, maxKeys: 3 }),
  member: fc.constantFrom<boolean | undefined>(true, false, undefined)
})

type Generated = { email: string; listId: number; fields: Record<string, unknown>; member: boolean | undefined }

/**
 * An earlier event's contact again: the same list, the address in another case (or with spaces), and the same
 * values or new ones.
 */
const again = fc.record({
  of: fc.nat(),
  upper: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
  spaced: fc.boolean(),
  fields: fc.option(fc.dictionary(key, value, { minKeys: 1, maxKeys: 2 }))
})

const respell = (address: string, upper: boolean[], spaced: boolean) => {
  const cased = [...address].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c.toLowerCase())).join('')
  return spaced ? ` ${cased} ` : cased
}

/** Events, then contacts of theirs coming again, so that most batches hold one address in two spellings. */
const batch = (maxLength: number) =>
  fc
    .tuple(
      fc.array(event, { minLength: 1, maxLength, size: 'medium' }),
      fc.array(again, { maxLength: maxLength / 2, size: 'medium' })
    )
    .map(([events, repeats]): Generated[] => [
      ...events,
      ...repeats.map(({ of, upper, spaced, fields }) => {
        const earlier = events[of % events.length]
        return { ...earlier, email: respell(earlier.email, upper, spaced), fields: fields ?? earlier.fields }
      })
    ])

const toSegment = (e: Generated): Partial<SegmentEvent> => ({
  type: 'track',
  event: 'Profile Sync',
  properties: {
    list: e.listId,
    fields: e.fields as never,
    ...(e.member === undefined ? {} : { my_audience: e.member })
  },
  context: {
    traits: { email: e.email },
    personas: { computation_key: 'my_audience', computation_class: 'audience' }
  } as never
})

const mapping = {
  listId: { '@path': '$.properties.list' },
  profileFieldValues: { '@path': '$.properties.fields' }
}

/** The model: what one event should set, or undefined when it must be refused. */
function expectedValues(e: Generated): Map<string, string> | undefined {
  // Spaces around an address are trimmed; what is left must be an address.
  if (!/^[a-z0-9.]+@[a-z0-9]+\.[a-z]+$/i.test(e.email.trim())) return undefined
  const out = new Map<string, string>()
  for (const [k, raw] of Object.entries(e.fields)) {
    // A key that is no profile field ID is left out; the others are still sent.
    const id = /^\s*\d+\s*$/.test(k) ? Number(k) : 0
    if (!(id >= 1 && id <= 2147483647)) continue
    const type = FIELD_TYPES[k]
    if (!type || raw === null) return undefined
    const audience = typeof raw === 'string' && raw.trim().toLowerCase() === 'useaudiencekey'
    if (audience && e.member === undefined) return undefined
    const text = typeof raw === 'string' ? raw.trim() : String(raw)
    if (type === 'CheckBox') {
      const word = audience ? (e.member ? 'on' : 'off') : text.toLowerCase()
      if (word === 'on' || word === 'true') out.set(k, 'on')
      else if (word === 'off' || word === 'false') out.set(k, 'off')
      else return undefined
    } else if (type === 'Text') {
      const sent = audience ? (e.member ? 'on' : 'off') : text
      if (sent.length > TEXT_MAX_LENGTH) return undefined
      out.set(k, sent)
    } else {
      if (audience || typeof raw === 'boolean' || !/^-?\d+(\.\d+)?$/.test(text)) return undefined
      out.set(k, text)
    }
  }
  return out.size > 0 ? out : undefined
}

type Contact = { emailAddress: string; segmentationFieldValues: { segmentationFieldId: number; value: string }[] }

async function run(events: Generated[]) {
  const sent = new Map<number, Contact[][]>()
  for (const listId of LISTS) {
    serveProfileFields(
      listId,
      FIELD_IDS.map((id) => [
        Number(id),
        `field ${id}`,
        FIELD_TYPES[id],
        FIELD_TYPES[id] === 'CheckBox' ? 3 : TEXT_MAX_LENGTH
      ])
    )
    nock(API)
      .post(`/email/v1/List/${listId}/Contact/SegmentationField`, (body) => {
        sent.set(listId, [...(sent.get(listId) ?? []), body as Contact[]])
        return true
      })
      .times(100)
      .reply(201, { status: 201, resourceId: `r${listId}` })
  }
  const integration = newIntegration()
  await integration.testBatchAction('updateEmailContactProfileFields', {
    events: events.map(toSegment) as SegmentEvent[],
    mapping: mapping as never,
    settings,
    auth,
    useDefaultMappings: true
  })
  nock.cleanAll()
  const [{ multistatus }] = integration.results as { multistatus: { status: number; sent?: unknown }[] }[]
  return { sent, multistatus }
}

/** Per list: lower-cased address → field → value, as the imports would leave it. */
const fold = (sent: Map<number, Contact[][]>) =>
  new Map(
    [...sent].map(([listId, bodies]) => {
      const contacts = new Map<string, Record<string, string>>()
      for (const c of bodies.flat()) {
        const current = contacts.get(c.emailAddress.toLowerCase()) ?? {}
        for (const v of c.segmentationFieldValues) current[v.segmentationFieldId] = v.value
        contacts.set(c.emailAddress.toLowerCase(), current)
      }
      return [listId, contacts]
    })
  )

describe('batches, as properties', () => {
  it('answer every event once, in order, and send exactly the merged valid events', async () => {
    let spelledTwice = 0
    await fc.assert(
      fc.asyncProperty(batch(40), async (events) => {
        const { sent, multistatus } = await run(events)
        expect(multistatus).toHaveLength(events.length)

        const expected = new Map<number, Map<string, Record<string, string>>>()
        const spellings = new Map<string, Set<string>>()
        events.forEach((e, i) => {
          const values = expectedValues(e)
          expect([i, multistatus[i].status]).toEqual([i, values ? 201 : 400])
          if (!values) return
          const list = expected.get(e.listId) ?? new Map<string, Record<string, string>>()
          const address = e.email.trim().toLowerCase()
          const key = `${e.listId}|${address}`
          spellings.set(key, new Set([...(spellings.get(key) ?? []), e.email]))
          list.set(address, { ...list.get(address), ...Object.fromEntries([...values].map(([k, v]) => [k, v])) })
          expected.set(e.listId, list)
        })
        expect(fold(sent)).toEqual(expected)

        for (const bodies of sent.values()) {
          for (const body of bodies) {
            // One contact per address per request, and no field twice in a contact.
            const addresses = body.map((c) => c.emailAddress.toLowerCase())
            expect(new Set(addresses).size).toBe(addresses.length)
            for (const c of body) {
              const ids = c.segmentationFieldValues.map((v) => v.segmentationFieldId)
              expect(new Set(ids).size).toBe(ids.length)
            }
          }
        }
        expect(JSON.stringify([...sent.values()])).not.toContain('useAudienceKey')
        if ([...spellings.values()].some((spelled) => spelled.size > 1)) spelledTwice += 1
      }),
      { numRuns: 60 }
    )
    // The merge without case is proved only by batches that hold an address in two spellings: about half of the 60.
    expect(spelledTwice).toBeGreaterThan(15)
  })

  // The limit is a figure here, not the code's constant, and most batches hold more contacts for a list than it.
  it('send no body over the 1,000-contact limit, and every merged contact exactly once', async () => {
    let crossed = 0
    const large = fc.record({
      contactsPerList: fc.array(fc.noBias(fc.integer({ min: 1, max: 2500 })), { minLength: 1, maxLength: 2 }),
      duplicates: fc.integer({ min: 0, max: 50 })
    })
    await fc.assert(
      fc.asyncProperty(large, async ({ contactsPerList, duplicates }) => {
        const events: Generated[] = contactsPerList.flatMap((contacts, l) =>
          Array.from({ length: contacts }, (_, i) => ({
            email: `user${i}@example.com`,
            listId: LISTS[l],
            fields: { '6789': 'on' },
            member: undefined
          }))
        )
        for (let d = 0; d < duplicates; d++) {
          events.push({
            email: `user${(d * 7) % contactsPerList[0]}@example.com`,
            listId: LISTS[0],
            fields: { '6789': 'off' },
            member: undefined
          })
        }
        const expected = new Map<number, Map<string, Record<string, string>>>()
        for (const e of events) {
          const list = expected.get(e.listId) ?? new Map<string, Record<string, string>>()
          list.set(e.email, e.fields as Record<string, string>)
          expected.set(e.listId, list)
        }
        if ([...expected.values()].some((contacts) => contacts.size > 1000)) crossed += 1

        const { sent, multistatus } = await run(events)
        expect(multistatus.filter((r) => r.status !== 201)).toEqual([])
        for (const [listId, contacts] of expected) {
          const bodies = sent.get(listId) ?? []
          expect(bodies.map((body) => body.length).filter((length) => length > 1000)).toEqual([])
          expect(bodies).toHaveLength(Math.ceil(contacts.size / 1000))
          expect(bodies.flat()).toHaveLength(contacts.size)
        }
        expect(fold(sent)).toEqual(expected)
      }),
      { numRuns: 15 }
    )
    expect(crossed).toBeGreaterThan(0)
  })

  it('send the same for the valid events whether refused events are in the batch or not', async () => {
    await fc.assert(
      fc.asyncProperty(batch(30), async (events) => {
        const valid = events.filter((e) => expectedValues(e))
        const withRefused = await run(events)
        const without = await run(valid)
        expect(fold(withRefused.sent)).toEqual(fold(without.sent))
      }),
      { numRuns: 40 }
    )
  })
})
