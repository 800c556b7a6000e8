import { MAX_ROWS_PER_IMPORT } from '../../src/api/list-imports'
import { BulkMode, BulkPlan, importTypeOf, planBulk } from '../../src/contacts/bulk-plan'
import { planContactRequests } from '../../src/contacts/plan'
import { ContactInput, finishContact, PreparedContact, readContact } from '../../src/contacts/prepare'
import { toMultiStatus } from '../../src/contacts/results'

const input = (emailAddress: string, more: Partial<ContactInput> = {}): ContactInput => ({
  listId: 12345,
  emailAddress,
  ...more
})

/** Events prepared without the list's field definitions (as when they cannot be read). */
const prepare = (inputs: ContactInput[]): PreparedContact[] =>
  inputs.map((i) => finishContact(readContact(i), undefined))

function plan(inputs: ContactInput[], mode: BulkMode = 'add_and_update', minContacts = 2) {
  const events = prepare(inputs)
  return { events, ...planBulk(events, planContactRequests(events), { mode, minContacts }) }
}

/** The addresses of each import's rows, and of the contacts sent request by request. */
const addresses = (p: BulkPlan) => ({
  imports: p.imports.map((i) => i.rows.map((row) => row.emailAddress)),
  direct: p.sequences.map((sequence) => sequence[0].contact.emailAddress)
})

const csvOf = (p: BulkPlan, i = 0) => Buffer.from(p.imports[i].file.fileStream, 'base64').toString('utf8')
const vip = (value: string) => ({ profileFieldValues: { '6789': value } })
const many = (n: number, more: Partial<ContactInput> = {}) =>
  Array.from({ length: n }, (_, i) => input(`user${i}@example.com`, more))

describe('importTypeOf', () => {
  const options = prepare([input('a@example.com')])[0]
  const defaults = options.ok ? options.change.options : undefined
  const of = (content: Partial<Parameters<typeof importTypeOf>[0]>, mode: BulkMode, more = {}) =>
    importTypeOf({ emailAddress: 'a@example.com', values: [], ...content }, { ...defaults!, ...more }, mode)

  it.each([
    [
      { subscriptionState: 'Subscribed' as const, values: [[6789, 'on']] as [number, string][] },
      'add_and_update',
      'AddSubscribersAndSegmentationData'
    ],
    [{ subscriptionState: 'Subscribed' as const }, 'add_and_update', 'AddSubscribers'],
    [{ values: [[6789, 'on']] as [number, string][] }, 'add_and_update', 'AddSubscribersAndSegmentationData'],
    [{}, 'add_and_update', 'AddSubscribers'],
    [{ subscriptionState: 'Subscribed' as const }, 'update_only', undefined],
    [{ values: [[6789, 'on']] as [number, string][] }, 'update_only', 'UpdateSubscribers'],
    [{ subscriptionState: 'Unsubscribed' as const }, 'add_and_update', 'RemoveSubscribers'],
    [{ subscriptionState: 'Unsubscribed' as const }, 'update_only', 'RemoveSubscribers'],
    [{ subscriptionState: 'Unsubscribed' as const, externalContactID: 'u-1' }, 'update_only', undefined],
    [{ externalContactID: 'u-1' }, 'update_only', 'UpdateSubscribers'],
    [{ externalContactID: 'say "x"' }, 'update_only', undefined],
    [{ values: [[6789, '']] as [number, string][] }, 'add_and_update', undefined],
    [{ values: [[6789, 'two\r\nlines']] as [number, string][] }, 'add_and_update', undefined]
  ])('%j under %s: %s', (content, mode, expected) => {
    expect(of(content, mode as BulkMode)).toBe(expected)
  })

  it.each([
    { eventIds: [3001] },
    { overrideUnsubscribe: true },
    { subscribedByContact: true },
    { sendDoubleOptIn: true },
    { newEmailAddress: 'b@example.com' }
  ])('%j has no import', (more) => {
    expect(of({}, 'add_and_update', more)).toBeUndefined()
  })
})

describe('planBulk', () => {
  it('puts two contacts of one check box in one import, in batch order, and sends nothing else', () => {
    const p = plan([input('jane@example.com', vip('on')), input('john@example.com', vip('off'))])
    expect(addresses(p)).toEqual({ imports: [['jane@example.com', 'john@example.com']], direct: [] })
    expect(p.imports[0]).toMatchObject({
      listId: 12345,
      importType: 'AddSubscribersAndSegmentationData',
      segmentationImportType: 'Update',
      file: { fileName: 'segment-12345-fd07c7320c48.csv' }
    })
    expect(p.imports[0].rows.map((row) => [row.line, row.eventIndexes])).toEqual([
      ['jane@example.com,on', [0]],
      ['john@example.com,off', [1]]
    ])
  })

  it('sends a group smaller than the threshold request by request, as before', () => {
    const p = plan([input('jane@example.com', vip('on')), input('john@example.com', vip('off'))], 'add_and_update', 3)
    expect(addresses(p)).toEqual({ imports: [], direct: ['jane@example.com', 'john@example.com'] })
  })

  it("merges a contact's events into its one row, the later winning per field; the row answers both", () => {
    const p = plan([
      input('Jane@Example.com', { profileFieldValues: { '6789': 'on', '7001': 'Gold' } }),
      input('john@example.com', { profileFieldValues: { '6789': 'off', '7001': 'Silver' } }),
      input('JANE@example.com', { subscriptionState: 'Subscribed', profileFieldValues: { '7001': 'Platinum' } })
    ])
    expect(p.imports[0].rows.map((row) => [row.line, row.eventIndexes])).toEqual([
      ['Jane@Example.com,on,Platinum', [0, 2]],
      ['john@example.com,off,Silver', [1]]
    ])
  })

  it('never splits a contact: one event an import cannot carry sends all its events request by request', () => {
    const p = plan([
      input('jane@example.com', vip('on')),
      input('john@example.com', vip('on')),
      input('ann@example.com', vip('on')),
      input('JANE@example.com', { ...vip('on'), sendDoubleOptIn: true })
    ])
    expect(addresses(p)).toEqual({ imports: [['john@example.com', 'ann@example.com']], direct: ['jane@example.com'] })
    expect(p.sequences[0].flatMap((request) => request.eventIndexes)).toEqual([0, 3])
  })

  it('sends a contact with two requests (a subscribe after an unsubscribe) request by request', () => {
    const p = plan([
      input('jane@example.com', { subscriptionState: 'Unsubscribed' }),
      input('jane@example.com', { subscriptionState: 'Subscribed' }),
      ...many(2, { subscriptionState: 'Subscribed' })
    ])
    expect(addresses(p).direct).toEqual(['jane@example.com'])
    expect(p.sequences[0]).toHaveLength(2)
  })

  it('keeps out a contact whose address another contact of the batch changes to', () => {
    const p = plan([
      input('new@example.com', vip('on')),
      input('old@example.com', { newEmailAddress: 'NEW@example.com' }),
      ...many(2, vip('on'))
    ])
    expect(addresses(p)).toEqual({
      imports: [['user0@example.com', 'user1@example.com']],
      direct: ['new@example.com', 'old@example.com']
    })
  })

  it('keeps an unsubscribe with an external ID out of a RemoveSubscribers import', () => {
    const p = plan([
      input('jane@example.com', { subscriptionState: 'Unsubscribed', externalContactID: 'u-1' }),
      ...many(2, { subscriptionState: 'Unsubscribed' })
    ])
    expect(addresses(p).direct).toEqual(['jane@example.com'])
    expect(p.imports[0]).toMatchObject({ importType: 'RemoveSubscribers', segmentationImportType: 'Update' })
    expect(csvOf(p)).toBe('Email\r\nuser0@example.com\r\nuser1@example.com\r\n')
  })

  it("keeps out a contact whose merged request unsubscribes it with an earlier event's external ID", () => {
    const p = plan([
      input('jane@example.com', { externalContactID: 'u-1' }),
      input('jane@example.com', { subscriptionState: 'Unsubscribed' }),
      ...many(2, { subscriptionState: 'Unsubscribed' })
    ])
    expect(addresses(p).direct).toEqual(['jane@example.com'])
    expect(p.sequences[0]).toHaveLength(1)
  })

  it('gives an unsubscribe the Update strategy whatever the mapping says: such a file sets no profile field', () => {
    const p = plan(many(2, { subscriptionState: 'Unsubscribed', updateType: 'Overwrite' }))
    expect(p.imports[0].segmentationImportType).toBe('Update')
  })

  it('imports updates under update_only, with unsubscribed contacts; a subscribe goes request by request', () => {
    const p = plan(
      [
        input('jane@example.com', { ...vip('on'), subscriptionState: 'Subscribed' }),
        input('john@example.com', vip('on')),
        input('ann@example.com', vip('off'))
      ],
      'update_only'
    )
    expect(addresses(p)).toEqual({ imports: [['john@example.com', 'ann@example.com']], direct: ['jane@example.com'] })
    expect(p.imports[0].file).toMatchObject({ importType: 'UpdateSubscribers', includeUnsubscribed: true })
  })

  it('groups contacts by set of columns, so that no cell is empty', () => {
    const p = plan([
      input('a@example.com', { updateType: 'Overwrite', profileFieldValues: { '6789': 'on' } }),
      input('b@example.com', { updateType: 'Overwrite', profileFieldValues: { '6789': 'on', '7001': 'Gold' } }),
      input('c@example.com', { updateType: 'Overwrite', profileFieldValues: { '7001': 'Silver', '6789': 'off' } }),
      input('d@example.com', { updateType: 'Overwrite', profileFieldValues: { '6789': 'off' } })
    ])
    expect(addresses(p).imports).toEqual([
      ['a@example.com', 'd@example.com'],
      ['b@example.com', 'c@example.com']
    ])
    expect(p.imports.map((i) => i.segmentationImportType)).toEqual(['Overwrite', 'Overwrite'])
    expect(csvOf(p, 1)).toBe('Email,6789,7001\r\nb@example.com,on,Gold\r\nc@example.com,off,Silver\r\n')
  })

  it('groups by external ID column, list and update type too', () => {
    const p = plan([
      input('a@example.com', { externalContactID: 'u-a' }),
      input('b@example.com'),
      input('c@example.com', { externalContactID: 'u-c' }),
      input('d@example.com'),
      input('e@example.com', { listId: 999 }),
      input('f@example.com', { updateType: 'Append', ...vip('on') })
    ])
    expect(addresses(p)).toEqual({
      imports: [
        ['a@example.com', 'c@example.com'],
        ['b@example.com', 'd@example.com']
      ],
      direct: ['e@example.com', 'f@example.com']
    })
    expect(csvOf(p)).toBe('Email,ExternalContactID\r\na@example.com,u-a\r\nc@example.com,u-c\r\n')
  })

  it('sends a contact whose value holds a quote, a line end or nothing request by request', () => {
    const p = plan([
      input('a@example.com', vip('say "hi"')),
      input('b@example.com', { profileFieldValues: { '7001': 'two\nlines' } }),
      input('c@example.com', { profileFieldValues: { '7001': '' } }),
      ...many(2, vip('on'))
    ])
    expect(addresses(p)).toEqual({
      imports: [['user0@example.com', 'user1@example.com']],
      direct: ['a@example.com', 'b@example.com', 'c@example.com']
    })
  })

  it(`cuts a group into imports of at most ${MAX_ROWS_PER_IMPORT} rows`, () => {
    const p = plan(many(MAX_ROWS_PER_IMPORT * 2 + 1, vip('on')), 'add_and_update', 100)
    expect(p.imports.map((i) => i.rows.length)).toEqual([MAX_ROWS_PER_IMPORT, MAX_ROWS_PER_IMPORT, 1])
    expect(p.sequences).toEqual([])
  })
})

describe('toMultiStatus with imports', () => {
  it("answers an imported event 201 pending with the import's ID, and what its row sent", () => {
    const p = plan([
      input('jane@example.com', { profileFieldValues: { '6789': 'on', test: 'x' }, externalContactID: 'u-1' }),
      input('john@example.com', { profileFieldValues: { '6789': 'off' }, externalContactID: 'u-2' })
    ])
    const response = toMultiStatus(p.events, p.sequences, [], p.imports, [
      { ok: true, status: 201, body: { status: 201, resourceId: '777' } }
    ])
    expect(response.getResponseAtIndex(0).value()).toEqual({
      status: 201,
      sent: {
        listId: 12345,
        emailAddress: 'jane@example.com',
        importType: 'AddSubscribersAndSegmentationData',
        segmentationImportType: 'Update',
        externalContactID: 'u-1',
        values: { '6789': 'on' },
        row: 'jane@example.com,u-1,on',
        ignoredProfileFieldKeys: ['test']
      },
      body: {
        status: 201,
        resourceId: '777',
        via: 'ListImport',
        importType: 'AddSubscribersAndSegmentationData',
        outcome: 'pending'
      }
    })
  })

  it("fails an import's events with its failure, with what was sent", () => {
    const p = plan(many(2, vip('on')))
    const failure = { status: 400, errortype: 'BAD_REQUEST' as const, message: 'Listrak refused it.' }
    const response = toMultiStatus(p.events, p.sequences, [], p.imports, [{ ok: false, failure }])
    expect(response.getAllResponses().map((r) => r.value())).toEqual([
      expect.objectContaining({ status: 400, errormessage: 'Listrak refused it.', sent: expect.any(Object) }),
      expect.objectContaining({ status: 400, errormessage: 'Listrak refused it.', sent: expect.any(Object) })
    ])
  })
})
