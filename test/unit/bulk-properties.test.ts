import fc from 'fast-check'
import { MAX_ROWS_PER_IMPORT } from '../../src/api/list-imports'
import { BulkMode, BulkPlan, importTypeOf, planBulk } from '../../src/contacts/bulk-plan'
import { planContactRequests } from '../../src/contacts/plan'
import { ContactInput, finishContact, PreparedContact, readContact } from '../../src/contacts/prepare'
import { toMultiStatus } from '../../src/contacts/results'

/**
 * Properties of the bulk planner over generated batches: every event gets exactly one result; no contact is split
 * between an import and requests of its own; no file has an empty cell; no import has more than 5,000 rows. Each
 * property is checked by a function that lists violations, and each function is shown to find them in what a
 * careless planner (written here) makes of the same kind of batches, so that a property that passes has been able
 * to fail.
 */

/** Enough contacts for groups to reach the threshold, few enough for contacts to come again. */
const ADDRESSES = Array.from({ length: 24 }, (_, i) => `user${i}@example.com`)
const FIELD_IDS = ['6789', '7001', '7002']
/** Values an import takes, and values it cannot take (a quote, a line end, nothing). */
const VALUE = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('on', 'off', 'Gold', 'Downtown, 5th Avenue', 'Zoë') },
  { weight: 1, arbitrary: fc.constantFrom('say "hi"', 'two\nlines', 'a\rb', '') }
)
const rarely = fc.oneof({ weight: 24, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })
const sometimes = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary })

const event: fc.Arbitrary<ContactInput> = fc
  .record({
    listId: fc.constantFrom(1, 2),
    emailAddress: fc.oneof(
      { weight: 12, arbitrary: fc.mixedCase(fc.constantFrom(...ADDRESSES)) },
      { weight: 1, arbitrary: fc.constant('not-an-email') }
    ),
    subscriptionState: sometimes(fc.constantFrom('Subscribed' as const, 'Unsubscribed' as const)),
    externalContactID: sometimes(fc.constantFrom('u-1', 'u-2', 'say "x"')),
    profileFieldValues: fc.oneof(
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: fc.constant({ '6789': 'on' }) },
      { weight: 2, arbitrary: fc.dictionary(fc.constantFrom(...FIELD_IDS), VALUE, { minKeys: 1, maxKeys: 3 }) }
    ),
    eventIds: fc.oneof({ weight: 24, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.constant([3001]) }),
    overrideUnsubscribe: rarely,
    subscribedByContact: rarely,
    sendDoubleOptIn: rarely,
    updateType: fc.constantFrom('Update', 'Update', 'Update', 'Append', 'Overwrite'),
    newEmailAddress: fc.oneof(
      { weight: 30, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom(...ADDRESSES) }
    )
  })
  .map(({ eventIds, ...rest }): ContactInput => ({ ...rest, eventIds: [...eventIds] }))

const options = fc.record({
  mode: fc.constantFrom<BulkMode>('add_and_update', 'update_only'),
  minContacts: fc.integer({ min: 2, max: 4 })
})

const prepare = (inputs: ContactInput[]): PreparedContact[] =>
  inputs.map((i) => finishContact(readContact(i), undefined))

/** What a plan sends, as the checks read it: each import's CSV with the events of each row, and each request's events. */
interface Sent {
  imports: { csv: string; rowEvents: number[][] }[]
  direct: number[][]
}

const sentOf = (plan: BulkPlan): Sent => ({
  imports: plan.imports.map((i) => ({
    csv: Buffer.from(i.file.fileStream, 'base64').toString('utf8'),
    rowEvents: i.rows.map((row) => row.eventIndexes)
  })),
  direct: plan.sequences.flatMap((sequence) => sequence.map((request) => request.eventIndexes))
})

/** The cells of a CSV line, reading a qualified cell as its text. */
function cellsOf(line: string): string[] {
  const cells: string[] = []
  const cell = /("([^"]*)"|[^,"]*)(,|$)/y
  while (cell.lastIndex < line.length || cells.length === 0 || line.endsWith(',')) {
    const match = cell.exec(line)
    if (!match) return [...cells, `<unreadable: ${line}>`]
    cells.push(match[2] ?? match[1])
    if (match[3] === '') break
  }
  return cells
}

const linesOf = (csv: string) => {
  if (!csv.endsWith('\r\n')) return [`<no line end at the end: ${csv}>`]
  return csv.slice(0, -2).split('\r\n')
}

/** Every event that is not refused has exactly one request or row; a refused one none; the results number them all. */
function resultViolations(events: PreparedContact[], sent: Sent): string[] {
  const counts = new Map<number, number>()
  for (const indexes of [...sent.imports.flatMap((i) => i.rowEvents), ...sent.direct]) {
    for (const index of indexes) counts.set(index, (counts.get(index) ?? 0) + 1)
  }
  return events.flatMap((prepared, index) => {
    const count = counts.get(index) ?? 0
    return count === (prepared.ok ? 1 : 0) ? [] : [`event ${index} (${prepared.ok ? 'ok' : 'refused'}) sent ${count}×`]
  })
}

const keyOf = (listId: number, address: string) => `${listId}|${address.toLowerCase()}`

/** No imported event's contact is named by an event sent request by request: its address, or a new address. */
function splitViolations(events: PreparedContact[], sent: Sent): string[] {
  const named = new Set(
    sent.direct.flat().flatMap((index) => {
      const prepared = events[index]
      if (!prepared.ok) return []
      const { listId, emailAddress, options } = prepared.change
      const renamed = options.newEmailAddress === undefined ? [] : [keyOf(listId, options.newEmailAddress)]
      return [keyOf(listId, emailAddress), ...renamed]
    })
  )
  return sent.imports.flatMap((i) =>
    i.rowEvents.flat().flatMap((index) => {
      const prepared = events[index]
      if (!prepared.ok) return [`refused event ${index} in an import`]
      const key = keyOf(prepared.change.listId, prepared.change.emailAddress)
      return named.has(key) ? [`${key}: event ${index} imported, others of the contact sent on their own`] : []
    })
  )
}

/** Every line of every file has a cell for each column of its header, and no cell is empty. */
function emptyCellViolations(sent: Sent): string[] {
  return sent.imports.flatMap(({ csv }) => {
    const [header, ...rows] = linesOf(csv).map(cellsOf)
    return rows.flatMap((cells, r) => {
      if (cells.length !== header.length) return [`row ${r}: ${cells.length} cells for ${header.length} columns`]
      return cells.some((cell) => cell === '') ? [`row ${r}: an empty cell in ${JSON.stringify(cells)}`] : []
    })
  })
}

/** No file has more than 5,000 rows, nor more rows than events it answers for. */
function sizeViolations(sent: Sent): string[] {
  return sent.imports.flatMap(({ csv, rowEvents }, i) => {
    const rows = linesOf(csv).length - 1
    if (rows > MAX_ROWS_PER_IMPORT) return [`import ${i}: ${rows} rows`]
    return rows === rowEvents.length ? [] : [`import ${i}: ${rows} rows for ${rowEvents.length} contacts`]
  })
}

/**
 * A careless planner: each event that an import could carry on its own goes in its list's one file, with a
 * column for every field the list's events set (a cell left empty where a contact has none), however many rows.
 */
function carelessPlan(events: PreparedContact[], mode: BulkMode): Sent {
  const lists = new Map<number, number[]>()
  const direct: number[][] = []
  events.forEach((prepared, index) => {
    if (!prepared.ok) return
    const { change } = prepared
    if (importTypeOf(change, change.options, mode) === undefined) return direct.push([index])
    lists.set(change.listId, [...(lists.get(change.listId) ?? []), index])
  })
  const imports = [...lists.values()].map((indexes) => {
    const changes = indexes.map((index) => (events[index] as Extract<PreparedContact, { ok: true }>).change)
    const fields = [...new Set(changes.flatMap((change) => [...change.values.keys()]))]
    const lines = changes.map((change) =>
      [change.emailAddress, ...fields.map((id) => change.values.get(id) ?? '')].join(',')
    )
    const csv = [['Email', ...fields].join(','), ...lines].map((line) => `${line}\r\n`).join('')
    return { csv, rowEvents: indexes.map((index) => [index]) }
  })
  return { imports, direct }
}

function planned(inputs: ContactInput[], bulk: { mode: BulkMode; minContacts: number }) {
  const events = prepare(inputs)
  return { events, plan: planBulk(events, planContactRequests(events), bulk) }
}

describe('the bulk planner, over generated batches', () => {
  it('answers every event exactly once, never splits a contact, writes no empty cell and no file over 5,000 rows', () => {
    let imported = 0
    let mixed = 0
    const careless = { result: 0, split: 0, empty: 0 }
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 80, size: 'max' }), options, (inputs, bulk) => {
        const { events, plan } = planned(inputs, bulk)
        const sent = sentOf(plan)
        expect(resultViolations(events, sent)).toEqual([])
        expect(splitViolations(events, sent)).toEqual([])
        expect(emptyCellViolations(sent)).toEqual([])
        expect(sizeViolations(sent)).toEqual([])

        const outcomes = plan.sequences.map((sequence) =>
          sequence.map(() => ({ ok: true as const, status: 201, body: { status: 201 } }))
        )
        const imports = plan.imports.map(() => ({
          ok: true as const,
          status: 201,
          body: { status: 201, resourceId: '1' }
        }))
        const results = toMultiStatus(events, plan.sequences, outcomes, plan.imports, imports).getAllResponses()
        expect(results).toHaveLength(events.length)
        expect(results.every((result) => result !== undefined)).toBe(true)

        if (plan.imports.length > 0) imported++
        if (plan.imports.length > 0 && plan.sequences.length > 0) mixed++
        const naive = carelessPlan(events, bulk.mode)
        const dropped = { ...sent, direct: sent.direct.slice(1) }
        if (resultViolations(events, dropped).length > 0) careless.result++
        if (splitViolations(events, naive).length > 0) careless.split++
        if (emptyCellViolations(naive).length > 0) careless.empty++
      }),
      { numRuns: 400 }
    )
    // The batches were ones where the properties could fail: imports were made, beside requests of their own, and
    // a careless plan of the same batches drops events, splits contacts and leaves cells empty.
    expect(imported).toBeGreaterThan(100)
    expect(mixed).toBeGreaterThan(100)
    expect(careless.result).toBeGreaterThan(300)
    expect(careless.split).toBeGreaterThan(100)
    expect(careless.empty).toBeGreaterThan(100)
  })

  it('cuts groups of more than 5,000 contacts into imports of at most 5,000 rows, answering every event once', () => {
    let careless = 0
    fc.assert(
      fc.property(
        fc.integer({ min: MAX_ROWS_PER_IMPORT + 1, max: MAX_ROWS_PER_IMPORT * 2 + 1 }),
        fc.array(event, { maxLength: 20 }),
        fc.integer({ min: 0, max: 20 }),
        (contacts, others, at) => {
          const group = Array.from({ length: contacts }, (_, i) => ({
            listId: 1,
            // Addresses the other events do not have, so that the whole group can go in imports.
            emailAddress: `bulk${i}@example.com`,
            profileFieldValues: { '6789': i % 2 ? 'on' : 'off' }
          }))
          const inputs = [...group.slice(0, at), ...others, ...group.slice(at)]
          const { events, plan } = planned(inputs, { mode: 'add_and_update', minContacts: 100 })
          const sent = sentOf(plan)
          expect(sizeViolations(sent)).toEqual([])
          expect(resultViolations(events, sent)).toEqual([])
          expect(emptyCellViolations(sent)).toEqual([])
          expect(plan.imports.length).toBeGreaterThanOrEqual(Math.ceil(contacts / MAX_ROWS_PER_IMPORT))
          if (sizeViolations(carelessPlan(events, 'add_and_update')).length > 0) careless++
        }
      ),
      { numRuns: 8 }
    )
    expect(careless).toBe(8)
  })
})

describe('the checks of the properties', () => {
  it('read a qualified cell and an empty one', () => {
    expect(cellsOf('a@example.com,"Downtown, 5th Avenue",,on')).toEqual([
      'a@example.com',
      'Downtown, 5th Avenue',
      '',
      'on'
    ])
    expect(cellsOf('a@example.com,')).toEqual(['a@example.com', ''])
  })

  it('find a contact split, an empty cell and an oversized file in a careless plan', () => {
    const inputs: ContactInput[] = [
      { listId: 1, emailAddress: 'jane@example.com', profileFieldValues: { '6789': 'on' } },
      { listId: 1, emailAddress: 'JANE@example.com', profileFieldValues: { '6789': 'on' }, sendDoubleOptIn: true },
      { listId: 1, emailAddress: 'john@example.com', profileFieldValues: { '7001': 'Gold' } }
    ]
    const events = prepare(inputs)
    const naive = carelessPlan(events, 'add_and_update')
    expect(splitViolations(events, naive)).toEqual([
      '1|jane@example.com: event 0 imported, others of the contact sent on their own'
    ])
    expect(emptyCellViolations(naive)).toEqual([
      'row 0: an empty cell in ["jane@example.com","on",""]',
      'row 1: an empty cell in ["john@example.com","","Gold"]'
    ])
    const big = prepare(
      Array.from({ length: MAX_ROWS_PER_IMPORT + 1 }, (_, i) => ({ listId: 1, emailAddress: `u${i}@example.com` }))
    )
    expect(sizeViolations(carelessPlan(big, 'add_and_update'))).toEqual([`import 0: ${MAX_ROWS_PER_IMPORT + 1} rows`])
  })

  it('find an event answered twice, and one not answered', () => {
    const events = prepare([
      { listId: 1, emailAddress: 'jane@example.com' },
      { listId: 1, emailAddress: 'john@example.com' }
    ])
    expect(resultViolations(events, { imports: [], direct: [[0], [0]] })).toEqual([
      'event 0 (ok) sent 2×',
      'event 1 (ok) sent 0×'
    ])
  })
})
