import { useSandbox } from './client'
import { EMAIL_COLUMN, expectRefusal, fieldColumn, importFile, listrakApi, values } from './listrak-api'

/** `POST /v1/List/{listId}/ListImport` and the reads of an import, as Listrak's contract has them. */

const { current: box, start } = useSandbox()
let api: ReturnType<typeof listrakApi>

const startWith = async (options: Parameters<typeof start>[0] = {}) => {
  await start(options)
  api = listrakApi(box.sandbox, await box.api.token())
}

const ISO_TIME = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
const IMPORT = '/List/12345/ListImport'
const JANE_AND_JOHN = 'Email,6789\r\njane@example.com,on\r\njohn@example.com,off\r\n'

const subscribe = (emailAddress: string, ...fields: [number, string][]) =>
  api.postContact({ emailAddress, subscriptionState: 'Subscribed', segmentationFieldValues: values(...fields) })
const unsubscribe = (emailAddress: string) =>
  api.postContact({ emailAddress, subscriptionState: 'Unsubscribed', segmentationFieldValues: [] })

/** Posts an import, waits for it to complete, and gives each row's address and result. */
async function imported(csv: string, change: Record<string, unknown> = {}) {
  const answer = await api.postListImport(importFile(csv, change))
  expect([answer.status, answer.json]).toEqual([201, { status: 201, resourceId: expect.stringMatching(/^[1-9]\d*$/) }])
  const id = answer.json.resourceId as string
  await api.completed(id)
  const rows = (await api.get(`${IMPORT}/${id}/Contact`)).json.data as { emailAddress: string; importResult: string }[]
  return { id, results: rows.map((r) => [r.emailAddress, r.importResult]) }
}

const summaryOf = async (id: string) => (await api.get(`${IMPORT}/${id}/Summary`)).json.data
const listImports = async () => (await box.api.call('GET', '/_sandbox/list-imports')).json

const ZEROS = {
  alreadySubscribedCount: 0,
  alreadyUnsubscribedCount: 0,
  bannedCount: 0,
  invalidEmailCount: 0,
  previouslyUnsubscribedCount: 0,
  processedCount: 0,
  skippedCount: 0,
  subscribedCount: 0,
  suppressedCount: 0,
  unsubscribedCount: 0
}

describe('POST /email/v1/List/{listId}/ListImport', () => {
  beforeEach(() => startWith())

  it('answers 201 with the import file ID, then subscribes each row with its profile values', async () => {
    const answer = await api.postListImport(importFile(JANE_AND_JOHN))
    expect([answer.status, answer.json]).toEqual([201, { status: 201, resourceId: '1' }])
    await api.completed(1)
    expect(await box.api.contacts()).toEqual({
      'jane@example.com': { '6789': 'on' },
      'john@example.com': { '6789': 'off' }
    })
    expect((await api.contactDetails())['jane@example.com']).toMatchObject({
      subscriptionState: 'Subscribed',
      subscribeDate: ISO_TIME,
      subscribeMethod: 'List import'
    })
    expect((await api.postListImport(importFile(JANE_AND_JOHN))).json).toEqual({ status: 201, resourceId: '2' })
  })

  it.each(['fileDelimiter', 'fileMappings', 'fileName', 'fileStream', 'importType', 'segmentationImportType'])(
    'refuses an import without %s, naming it, and keeps nothing',
    async (member) => {
      const body: Record<string, unknown> = importFile(JANE_AND_JOHN)
      delete body[member]
      expectRefusal(await api.postListImport(body), 400, 'ERROR_INVALID_PARAMETER', `importFileResource.${member}`)
      expect(await listImports()).toMatchObject({ total: 0 })
      expect((await api.get(IMPORT)).json).toEqual({ status: 200, data: [] })
    }
  )

  it.each([
    ['an importType Listrak does not have', { importType: 'AddEveryone' }, 'importFileResource.importType'],
    ['a segmentationImportType it does not have', { segmentationImportType: 'Merge' }, 'segmentationImportType'],
    [
      'a fileColumnType it does not have',
      { fileMappings: [EMAIL_COLUMN, { fileColumn: 1, fileColumnType: 'Phone' }] },
      'importFileResource.fileMappings.1.fileColumnType'
    ],
    ['a negative fileColumn', { fileMappings: [{ fileColumn: -1, fileColumnType: 'Email' }] }, 'fileColumn'],
    ['no Email column', { fileMappings: [fieldColumn(1, 6789)] }, 'exactly one column must be the Email column; 0 are'],
    [
      'two Email columns',
      { fileMappings: [EMAIL_COLUMN, { fileColumn: 1, fileColumnType: 'Email' }] },
      'exactly one column must be the Email column; 2 are'
    ],
    [
      'a profile field of another list',
      { fileMappings: [EMAIL_COLUMN, fieldColumn(1, 8801)] },
      'fileMappings[1].segmentationFieldId: 8801 is not a profile field of list 12345'
    ],
    [
      'a SegmentationField column without its field',
      { fileMappings: [EMAIL_COLUMN, { fileColumn: 1, fileColumnType: 'SegmentationField' }] },
      'fileMappings[1].segmentationFieldId'
    ],
    [
      'an Event column',
      { fileMappings: [EMAIL_COLUMN, { fileColumn: 1, fileColumnType: 'Event' }] },
      'Event columns are not modelled by the sandbox'
    ],
    [
      'two ExternalContactID columns',
      {
        fileMappings: [
          EMAIL_COLUMN,
          { fileColumn: 1, fileColumnType: 'ExternalContactID' },
          { fileColumn: 2, fileColumnType: 'ExternalContactID' }
        ]
      },
      'only one column may be ExternalContactID'
    ],
    [
      'a column mapped twice',
      { fileMappings: [EMAIL_COLUMN, fieldColumn(0, 6789)] },
      'fileMappings[1].fileColumn: column 0 is mapped twice'
    ],
    [
      'a default value its field does not take',
      { fileMappings: [EMAIL_COLUMN, { ...fieldColumn(1, 6789), defaultValue: 'yes' }] },
      '"yes" on check-box field 6789'
    ],
    ['a delimiter of two characters', { fileDelimiter: ',,' }, 'fileDelimiter'],
    ['no delimiter', { fileDelimiter: '' }, 'fileDelimiter'],
    ['a qualifier that is the delimiter', { textQualifier: ',' }, 'textQualifier'],
    ['a fileStream that is not Base64', { fileStream: 'not base64!' }, 'fileStream: it is not Base64'],
    ['a file that is not UTF-8', { fileStream: Buffer.from([0x45, 0xff, 0x0d, 0x0a]).toString('base64') }, 'not UTF-8'],
    ['a file of column names only', { fileStream: Buffer.from('Email,6789\r\n').toString('base64') }, 'no rows'],
    [
      'a qualified cell left open',
      { fileStream: Buffer.from('Email,6789\r\n"jane@example.com,on\r\n').toString('base64') },
      'not CSV the sandbox can read'
    ],
    [
      'a row without a mapped column',
      { fileStream: Buffer.from('Email,6789\r\njane@example.com,on\r\njohn@example.com\r\n').toString('base64') },
      'fileStream: line 3 has 1 cells, and the mappings read column 1'
    ]
  ])('refuses %s with 400 ERROR_INVALID_PARAMETER and keeps nothing', async (_, change, message) => {
    expectRefusal(await api.postListImport(importFile(JANE_AND_JOHN, change)), 400, 'ERROR_INVALID_PARAMETER', message)
    expect(await listImports()).toMatchObject({ total: 0 })
  })

  it('refuses a profile field mapped twice with ERROR_SEGMENTATION_FIELD_DEFINED_TWICE', async () => {
    const change = { fileMappings: [EMAIL_COLUMN, fieldColumn(1, 6789), fieldColumn(2, 6789)] }
    const answer = await api.postListImport(importFile('Email,a,b\r\njane@example.com,on,off\r\n', change))
    expectRefusal(answer, 400, 'ERROR_SEGMENTATION_FIELD_DEFINED_TWICE', 'segmentationFieldId 6789')
  })

  it('refuses an unknown list with 404, as the other routes do', async () => {
    const answer = await api.postListImport(importFile(JANE_AND_JOHN), 999)
    expectRefusal(answer, 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'listId supplied')
  })

  it('refuses a body that is not JSON, by content type or by syntax, and a request without a token', async () => {
    const raw = (body: string, headers: Record<string, string>) =>
      box.api.call('POST', `/email/v1${IMPORT}`, { headers, body })
    const authorization = `Bearer ${await box.api.token()}`
    const json = JSON.stringify(importFile(JANE_AND_JOHN))
    expectRefusal(await raw(json, { authorization, 'content-type': 'text/csv' }), 415, 'ERROR_UNSUPPORTED_CONTENT_TYPE')
    expectRefusal(
      await raw('{"fileName":', { authorization, 'content-type': 'application/json' }),
      400,
      'ERROR_MALFORMED_REQUEST_BODY'
    )
    expectRefusal(await raw(json, { 'content-type': 'application/json' }), 401, 'ERROR_UNAUTHORIZED')
    expect(await listImports()).toMatchObject({ total: 0 })
  })

  it('reads a qualified cell holding the delimiter, and a doubled qualifier within one', async () => {
    const csv = 'Email,7001\r\n"jane@example.com","Main St, Suite 5"\r\njohn@example.com,"The ""Big"" One"\r\n'
    const change = { fileMappings: [EMAIL_COLUMN, fieldColumn(1, 7001)] }
    expect((await imported(csv, change)).results).toEqual([
      ['jane@example.com', 'Subscribed'],
      ['john@example.com', 'Subscribed']
    ])
    expect(await box.api.contacts()).toEqual({
      'jane@example.com': { '7001': 'Main St, Suite 5' },
      'john@example.com': { '7001': 'The "Big" One' }
    })
  })

  it('takes another delimiter and qualifier, a file without column names, LF line endings and blank lines', async () => {
    const csv = "'jane@example.com';'a;b'\n\njohn@example.com;c\n"
    const change = {
      fileDelimiter: ';',
      textQualifier: "'",
      hasColumnNames: false,
      fileMappings: [EMAIL_COLUMN, fieldColumn(1, 7001)]
    }
    await imported(csv, change)
    expect(await box.api.contacts()).toEqual({
      'jane@example.com': { '7001': 'a;b' },
      'john@example.com': { '7001': 'c' }
    })
  })

  it('without a qualifier, reads quotes as part of the cell', async () => {
    const change = { textQualifier: '', fileMappings: [EMAIL_COLUMN, fieldColumn(1, 7001)] }
    await imported('Email,7001\r\njane@example.com,"Downtown"\r\n', change)
    expect(await box.api.contacts()).toEqual({ 'jane@example.com': { '7001': '"Downtown"' } })
  })
})

describe('the size of a list import', () => {
  it('refuses a body over listImportMaxBytes with 404, as Listrak does, and keeps nothing', async () => {
    await startWith({ limits: { listImportMaxBytes: 2000 } })
    const padded = (bytes: number) => {
      const body = importFile(JANE_AND_JOHN, { fileName: '' })
      const fileName = 'x'.repeat(bytes - JSON.stringify(body).length)
      return JSON.stringify({ ...body, fileName })
    }
    expect(padded(2001)).toHaveLength(2001)
    expectRefusal(await api.postListImport(padded(2001)), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'over 2000 bytes')
    expect(await listImports()).toMatchObject({ total: 0 })
    expect((await api.postListImport(padded(2000))).status).toBe(201)
  })

  it("takes a body over the sandbox's own guard on other routes, up to listImportMaxBytes", async () => {
    await startWith({ limits: { bodyLimitBytes: 1000 } })
    const csv = `Email,6789\r\n${Array.from({ length: 40 }, (_, i) => `user${i}@example.com,on\r\n`).join('')}`
    const body = JSON.stringify(importFile(csv))
    expect(body.length).toBeGreaterThan(1000)
    expect((await api.postListImport(body)).status).toBe(201)
    const contacts = Array.from({ length: 40 }, (_, i) => ({
      emailAddress: `user${i}@example.com`,
      segmentationFieldValues: []
    }))
    const token = await box.api.token()
    expect((await box.api.importContacts(12345, contacts, token)).status).toBe(413)
  })
})

describe('what each row of an import becomes', () => {
  beforeEach(async () => {
    await startWith()
    // jane is subscribed with values, olga has unsubscribed; banned@ and suppressed@ are blocked by the fixture.
    expect((await subscribe('jane@example.com', [6789, 'on'], [7001, 'Downtown'])).status).toBe(201)
    expect((await subscribe('olga@example.com', [6789, 'on'])).status).toBe(201)
    expect((await unsubscribe('olga@example.com')).status).toBe(201)
  })

  const EVERYONE =
    'Email,6789\r\nnew@example.com,on\r\njane@example.com,off\r\nolga@example.com,off\r\nnot-an-address,on\r\n' +
    'Banned@Example.com,on\r\nsuppressed@example.com,on\r\nbad-value@example.com,maybe\r\n'

  it('AddSubscribersAndSegmentationData: subscribes the new, updates the subscribed, leaves the unsubscribed', async () => {
    const { id, results } = await imported(EVERYONE)
    expect(results).toEqual([
      ['new@example.com', 'Subscribed'],
      ['jane@example.com', 'AlreadySubscribed'],
      ['olga@example.com', 'PreviouslyUnsubscribed'],
      ['not-an-address', 'InvalidEmail'],
      ['Banned@Example.com', 'Banned'],
      ['suppressed@example.com', 'Suppressed'],
      ['bad-value@example.com', 'Skipped']
    ])
    const contacts = await api.contactDetails()
    expect(Object.keys(contacts).sort()).toEqual(['jane@example.com', 'new@example.com', 'olga@example.com'])
    expect(contacts['new@example.com'].fields).toEqual({ '6789': 'on' })
    expect(contacts['jane@example.com'].fields).toEqual({ '6789': 'off', '7001': 'Downtown' })
    expect(contacts['olga@example.com']).toMatchObject({ subscriptionState: 'Unsubscribed', fields: { '6789': 'on' } })
    expect(await summaryOf(id)).toEqual({
      ...ZEROS,
      processedCount: 7,
      subscribedCount: 1,
      alreadySubscribedCount: 1,
      previouslyUnsubscribedCount: 1,
      invalidEmailCount: 1,
      bannedCount: 1,
      suppressedCount: 1,
      skippedCount: 1
    })
    const [record] = (await listImports()).data as { results: { line: number; reason?: string }[] }[]
    expect(record.results[6]).toEqual({
      line: 8,
      emailAddress: 'bad-value@example.com',
      importResult: 'Skipped',
      reason: expect.stringContaining('"maybe" on check-box field 6789')
    })
  })

  it('AddSubscribers: subscribes the new without profile data, and writes no field of the subscribed', async () => {
    const { results } = await imported(EVERYONE, { importType: 'AddSubscribers' })
    expect(results.map(([, result]) => result)).toEqual([
      'Subscribed',
      'AlreadySubscribed',
      'PreviouslyUnsubscribed',
      'InvalidEmail',
      'Banned',
      'Suppressed',
      // No profile data is written, so a value its field does not take stops nothing.
      'Subscribed'
    ])
    const contacts = await api.contactDetails()
    expect(contacts['new@example.com']).toMatchObject({ subscriptionState: 'Subscribed', fields: {} })
    expect(contacts['jane@example.com'].fields).toEqual({ '6789': 'on', '7001': 'Downtown' })
  })

  it('UpdateSubscribers: updates the subscribed, skips those not on the list, leaves the unsubscribed', async () => {
    const csv = 'Email,6789\r\njane@example.com,off\r\nolga@example.com,off\r\nnew@example.com,on\r\nbad,on\r\n'
    const { id, results } = await imported(csv, { importType: 'UpdateSubscribers' })
    expect(results).toEqual([
      ['jane@example.com', 'Updated'],
      ['olga@example.com', 'PreviouslyUnsubscribed'],
      ['new@example.com', 'Skipped'],
      ['bad', 'InvalidEmail']
    ])
    const contacts = await api.contactDetails()
    expect(Object.keys(contacts).sort()).toEqual(['jane@example.com', 'olga@example.com'])
    expect(contacts['jane@example.com'].fields).toEqual({ '6789': 'off', '7001': 'Downtown' })
    expect(contacts['olga@example.com'].fields).toEqual({ '6789': 'on' })
    expect(await summaryOf(id)).toEqual({
      ...ZEROS,
      processedCount: 4,
      previouslyUnsubscribedCount: 1,
      skippedCount: 1,
      invalidEmailCount: 1
    })
  })

  it('UpdateSubscribers with includeUnsubscribed: updates the unsubscribed too, who stay so', async () => {
    const csv = 'Email,6789\r\nolga@example.com,off\r\n'
    const { results } = await imported(csv, { importType: 'UpdateSubscribers', includeUnsubscribed: true })
    expect(results).toEqual([['olga@example.com', 'Updated']])
    expect((await api.contactDetails())['olga@example.com']).toMatchObject({
      subscriptionState: 'Unsubscribed',
      fields: { '6789': 'off' }
    })
  })

  it('RemoveSubscribers: unsubscribes the subscribed; any other address is already unsubscribed', async () => {
    const csv = 'Email\r\njane@example.com\r\nolga@example.com\r\nnobody@example.com\r\nbad\r\n'
    const change = { importType: 'RemoveSubscribers', fileMappings: [EMAIL_COLUMN] }
    const { id, results } = await imported(csv, change)
    expect(results).toEqual([
      ['jane@example.com', 'Unsubscribed'],
      ['olga@example.com', 'AlreadyUnsubscribed'],
      ['nobody@example.com', 'AlreadyUnsubscribed'],
      ['bad', 'InvalidEmail']
    ])
    const contacts = await api.contactDetails()
    expect(Object.keys(contacts).sort()).toEqual(['jane@example.com', 'olga@example.com'])
    expect(contacts['jane@example.com']).toMatchObject({
      subscriptionState: 'Unsubscribed',
      unsubscribeDate: ISO_TIME,
      unsubscribeMethod: 'List import',
      fields: { '6789': 'on', '7001': 'Downtown' }
    })
    expect(await summaryOf(id)).toEqual({
      ...ZEROS,
      processedCount: 4,
      unsubscribedCount: 1,
      alreadyUnsubscribedCount: 2,
      invalidEmailCount: 1
    })
  })

  it.each([
    ['Update', { '6789': 'off', '7001': 'Downtown' }],
    ['Append', { '6789': 'on', '7001': 'Downtown', '7003': '12' }],
    ['Overwrite', { '6789': 'off', '7003': '12' }]
  ])('segmentationImportType %s writes values as the contact route does', async (type, fields) => {
    const csv = 'Email,6789,7001,7003\r\njane@example.com,off,,12\r\n'
    const fileMappings = [EMAIL_COLUMN, fieldColumn(1, 6789), fieldColumn(2, 7001), fieldColumn(3, 7003)]
    const change = { segmentationImportType: type, fileMappings }
    // Update never blanks a field, and 7003 gets its value only where a type writes to an empty field.
    const expected = type === 'Update' ? { ...fields, '7003': '12' } : fields
    expect((await imported(csv, change)).results).toEqual([['jane@example.com', 'AlreadySubscribed']])
    expect((await api.contactDetails())['jane@example.com'].fields).toEqual(expected)
  })

  it("gives an empty cell its column's default value, and writes the external contact ID", async () => {
    const csv = 'Email,ID,6789\r\nana@example.com,crm-7,\r\nbo@example.com,,off\r\n'
    const fileMappings = [
      EMAIL_COLUMN,
      { fileColumn: 1, fileColumnType: 'ExternalContactID' },
      { ...fieldColumn(2, 6789), defaultValue: 'on' }
    ]
    await imported(csv, { fileMappings })
    const contacts = await api.contactDetails()
    expect(contacts['ana@example.com']).toMatchObject({ externalContactID: 'crm-7', fields: { '6789': 'on' } })
    expect(contacts['bo@example.com']).toMatchObject({ externalContactID: null, fields: { '6789': 'off' } })
  })
})

describe('the status, summary and contacts of an import', () => {
  it('is Queued, with zeros and no contacts, until listImportDelayMs has passed; then Completed', async () => {
    await startWith({ faults: { listImportDelayMs: 400 } })
    const posted = performance.now()
    expect((await api.postListImport(importFile(JANE_AND_JOHN))).status).toBe(201)
    const queued = await api.get(`${IMPORT}/1/Status`)
    expect(queued.json).toEqual({ status: 200, data: { startDate: ISO_TIME, endDate: null, status: 'Queued' } })
    expect((await api.get(`${IMPORT}/1/Summary`)).json).toEqual({ status: 200, data: ZEROS })
    expect((await api.get(`${IMPORT}/1/Contact`)).json).toEqual({ status: 200, nextPageCursor: null, data: [] })
    expect(await box.api.contacts()).toEqual({})

    const done = await api.completed(1)
    expect(performance.now() - posted).toBeGreaterThanOrEqual(350)
    const { startDate } = queued.json.data as unknown as { startDate: string }
    expect(done).toEqual({ startDate, endDate: ISO_TIME, status: 'Completed' })
    expect(Date.parse(done.endDate as string) - Date.parse(done.startDate)).toBeGreaterThanOrEqual(350)
    expect((await api.get(`${IMPORT}/1/Summary`)).json.data).toEqual({
      ...ZEROS,
      processedCount: 2,
      subscribedCount: 2
    })
    expect(Object.keys(await box.api.contacts())).toEqual(['jane@example.com', 'john@example.com'])
  })

  it('pages the contacts of an import: count 2 over 5 rows, following nextPageCursor', async () => {
    await startWith()
    const addresses = ['a', 'b', 'c', 'd', 'e'].map((name) => `${name}@example.com`)
    const { id } = await imported(`Email,6789\r\n${addresses.map((a) => `${a},on\r\n`).join('')}`)
    const pages: string[][] = []
    let uri: string | null = `/email/v1${IMPORT}/${id}/Contact?count=2`
    const authorization = `Bearer ${await box.api.token()}`
    while (uri !== null) {
      const answer = await box.api.call('GET', uri, { headers: { authorization } })
      expect(answer.status).toBe(200)
      pages.push((answer.json.data as { emailAddress: string }[]).map((c) => c.emailAddress))
      uri = answer.json.nextPageCursor as string | null
    }
    expect(pages).toEqual([addresses.slice(0, 2), addresses.slice(2, 4), addresses.slice(4)])
    const first = await api.get(`${IMPORT}/${id}/Contact?cursor=Start&count=2`)
    expect(first.json.nextPageCursor).toBe(`/email/v1${IMPORT}/${id}/Contact?cursor=2&count=2`)
    expect((await api.get(`${IMPORT}/${id}/Contact`)).json.data).toHaveLength(5)
  })

  it.each([
    ['count=5001', 'count'],
    ['count=0', 'count'],
    ['cursor=later', 'cursor']
  ])('refuses %s with 400 ERROR_INVALID_PARAMETER', async (query, member) => {
    await startWith()
    const { id } = await imported(JANE_AND_JOHN)
    expectRefusal(await api.get(`${IMPORT}/${id}/Contact?${query}`), 400, 'ERROR_INVALID_PARAMETER', member)
  })

  it.each(['', '/Status', '/Summary', '/Contact'])(
    'answers 404 for an unknown import, one of another list, or an ID that is not one (%s)',
    async (route) => {
      await startWith()
      await imported(JANE_AND_JOHN)
      const message = 'listId and importFileId supplied'
      expectRefusal(await api.get(`${IMPORT}/2${route}`), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', message)
      expectRefusal(await api.get(`/List/67890/ListImport/1${route}`), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', message)
      expectRefusal(await api.get(`${IMPORT}/first${route}`), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', message)
      expectRefusal(await api.get(`/List/999/ListImport/1${route}`), 404, 'ERROR_UNABLE_TO_LOCATE_RESOURCE', 'listId')
      expect((await api.get(`${IMPORT}/1${route}`)).status).toBe(200)
    }
  )

  it("lists a list's imports, oldest first, each with its file name and date; one by its ID", async () => {
    await startWith()
    await imported(JANE_AND_JOHN, { fileName: 'first.csv' })
    await imported(JANE_AND_JOHN, { fileName: 'second.csv' })
    const all = await api.get(IMPORT)
    expect(all.json).toEqual({
      status: 200,
      data: [
        { importFileId: 1, importFileName: 'first.csv', importDate: ISO_TIME },
        { importFileId: 2, importFileName: 'second.csv', importDate: ISO_TIME }
      ]
    })
    expect((await api.get(`${IMPORT}/2`)).json).toEqual({ status: 200, data: (all.json.data as unknown[])[1] })
    expect((await api.get(`${IMPORT}?count=1&cursor=1`)).json.data).toEqual([(all.json.data as unknown[])[1]])
    expect((await api.get('/List/67890/ListImport')).json).toEqual({ status: 200, data: [] })
    const [, second] = all.json.data as { importDate: string }[]
    expect((await api.get(`${IMPORT}?startDate=${second.importDate}`)).json.data).toEqual([second])
    expect((await api.get(`${IMPORT}?endDate=2000-01-01`)).json.data).toEqual([])
    expectRefusal(await api.get(`${IMPORT}?startDate=soon`), 400, 'ERROR_INVALID_PARAMETER', 'startDate')
  })
})

describe('GET /_sandbox/list-imports', () => {
  it('shows every import with its options, mappings, decoded rows, status and results', async () => {
    await startWith({ faults: { listImportDelayMs: 60_000 } })
    await api.postListImport(importFile(JANE_AND_JOHN, { suppressEmailNotifications: true }))
    const [queued] = (await listImports()).data as Record<string, unknown>[]
    expect(queued).toMatchObject({ importFileId: 1, status: 'Queued', completedAt: null, results: [] })
    await box.api.call('POST', '/_sandbox/faults', { body: JSON.stringify({ listImportDelayMs: 0 }) })
    await imported(JANE_AND_JOHN)
    const history = await listImports()
    expect(history).toMatchObject({ total: 2, kept: 2, dropped: 0 })
    expect((history.data as unknown[])[1]).toEqual({
      importFileId: 2,
      listId: 12345,
      receivedAt: ISO_TIME,
      bytes: expect.any(Number),
      status: 'Completed',
      completedAt: ISO_TIME,
      file: {
        fileName: 'contacts.csv',
        importType: 'AddSubscribersAndSegmentationData',
        segmentationImportType: 'Update',
        fileDelimiter: ',',
        textQualifier: '"',
        hasColumnNames: true,
        suppressEmailNotifications: false,
        triggerJourney: false,
        includeUnsubscribed: false,
        fileMappings: [EMAIL_COLUMN, fieldColumn(1, 6789)],
        columns: {
          email: 0,
          externalContactID: null,
          fields: [{ fileColumn: 1, segmentationFieldId: 6789, defaultValue: null }]
        },
        header: ['Email', '6789'],
        rows: [
          { line: 2, cells: ['jane@example.com', 'on'] },
          { line: 3, cells: ['john@example.com', 'off'] }
        ]
      },
      results: [
        { line: 2, emailAddress: 'jane@example.com', importResult: 'Subscribed' },
        { line: 3, emailAddress: 'john@example.com', importResult: 'Subscribed' }
      ]
    })
    expect(
      (history.data as { file: { suppressEmailNotifications: boolean } }[])[0].file.suppressEmailNotifications
    ).toBe(true)
  })

  it('is emptied by a reset, which also drops the imports still queued', async () => {
    await startWith({ faults: { listImportDelayMs: 150 } })
    expect((await api.postListImport(importFile(JANE_AND_JOHN))).status).toBe(201)
    await box.api.call('POST', '/_sandbox/reset')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await listImports()).toMatchObject({ total: 0 })
    expect(await box.api.contacts()).toEqual({})
  })

  it('counts list imports and their rows in the stats, and the largest taken', async () => {
    await startWith()
    await imported(JANE_AND_JOHN)
    await imported('Email,6789\r\nann@example.com,on\r\n')
    expect((await box.api.call('GET', '/_sandbox/stats')).json).toMatchObject({
      listImports: 2,
      listImportRows: 3,
      largestListImportRows: 2,
      largestListImportBytes: Buffer.byteLength(JSON.stringify(importFile(JANE_AND_JOHN)))
    })
  })
})

describe('the contacts route with ?wait= and a list import', () => {
  it('answers once the import has written its contacts, not when it is taken', async () => {
    await startWith({ faults: { listImportDelayMs: 300 } })
    const started = performance.now()
    const waiting = box.api.call('GET', '/_sandbox/lists/12345/contacts?wait=5s')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await api.postListImport(importFile(JANE_AND_JOHN))).status).toBe(201)
    const answer = await waiting
    expect(answer.json).toEqual({
      listId: 12345,
      contacts: [
        { emailAddress: 'jane@example.com', fields: { '6789': 'on' } },
        { emailAddress: 'john@example.com', fields: { '6789': 'off' } }
      ]
    })
    expect(performance.now() - started).toBeGreaterThanOrEqual(300)
    expect(performance.now() - started).toBeLessThan(4000)
  })

  it('answers at once when a list import is refused', async () => {
    await startWith()
    const started = performance.now()
    const waiting = box.api.call('GET', '/_sandbox/lists/12345/contacts?wait=5s')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await api.postListImport(importFile(JANE_AND_JOHN, { importType: 'Nope' }))).status).toBe(400)
    expect((await waiting).json).toEqual({ listId: 12345, contacts: [] })
    expect(performance.now() - started).toBeLessThan(4000)
  })

  it('lets the sandbox stop while an import is queued, and never applies it', async () => {
    await startWith({ faults: { listImportDelayMs: 200 } })
    expect((await api.postListImport(importFile(JANE_AND_JOHN))).status).toBe(201)
    const started = performance.now()
    await box.sandbox.stop()
    expect(performance.now() - started).toBeLessThan(1000)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(box.sandbox.state.contactsOf(12345)).toEqual([])
  })
})
