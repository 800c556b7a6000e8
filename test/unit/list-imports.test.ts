import { createHash } from 'crypto'
import { buildImportFile, fitsImportCell, ImportSpec, MAX_ROWS_PER_IMPORT } from '../../src/api/list-imports'

const spec = (more: Partial<ImportSpec> = {}): ImportSpec => ({
  listId: 12345,
  importType: 'AddSubscribersAndSegmentationData',
  segmentationImportType: 'Update',
  externalContactID: false,
  fieldIds: [6789],
  rows: [
    { emailAddress: 'jane@example.com', values: new Map([[6789, 'on']]) },
    { emailAddress: 'john@example.com', values: new Map([[6789, 'off']]) }
  ],
  ...more
})

const csvOf = (fileStream: string) => Buffer.from(fileStream, 'base64').toString('utf8')

describe('buildImportFile', () => {
  it('writes two contacts of one check box as a CSV with CRLF line ends, in Base64, named by its hash', () => {
    const { file, lines } = buildImportFile(spec())
    const csv = 'Email,6789\r\njane@example.com,on\r\njohn@example.com,off\r\n'
    expect(file).toEqual({
      fileName: 'segment-12345-fd07c7320c48.csv',
      fileDelimiter: ',',
      textQualifier: '"',
      hasColumnNames: true,
      importType: 'AddSubscribersAndSegmentationData',
      segmentationImportType: 'Update',
      suppressEmailNotifications: true,
      triggerJourney: false,
      fileMappings: [
        { fileColumn: 0, fileColumnType: 'Email' },
        { fileColumn: 1, fileColumnType: 'SegmentationField', segmentationFieldId: 6789 }
      ],
      fileStream: 'RW1haWwsNjc4OQ0KamFuZUBleGFtcGxlLmNvbSxvbg0Kam9obkBleGFtcGxlLmNvbSxvZmYNCg=='
    })
    expect(csvOf(file.fileStream)).toBe(csv)
    expect(createHash('sha256').update(csv).digest('hex').slice(0, 12)).toBe('fd07c7320c48')
    expect(lines).toEqual(['jane@example.com,on', 'john@example.com,off'])
  })

  it('gives the same rows the same file and name, and other rows another name', () => {
    expect(buildImportFile(spec())).toEqual(buildImportFile(spec()))
    const other = spec({ rows: [{ emailAddress: 'jane@example.com', values: new Map([[6789, 'off']]) }] })
    expect(buildImportFile(other).file.fileName).not.toBe(buildImportFile(spec()).file.fileName)
  })

  it('puts ExternalContactID second, then the profile fields in the order given, mapped by ordinal', () => {
    const { file } = buildImportFile(
      spec({
        importType: 'UpdateSubscribers',
        segmentationImportType: 'Overwrite',
        externalContactID: true,
        fieldIds: [6789, 7001],
        rows: [
          {
            emailAddress: 'jane@example.com',
            externalContactID: 'user-1',
            values: new Map([
              [7001, 'Gold'],
              [6789, 'on']
            ])
          }
        ]
      })
    )
    expect(csvOf(file.fileStream)).toBe('Email,ExternalContactID,6789,7001\r\njane@example.com,user-1,on,Gold\r\n')
    expect(file.fileMappings).toEqual([
      { fileColumn: 0, fileColumnType: 'Email' },
      { fileColumn: 1, fileColumnType: 'ExternalContactID' },
      { fileColumn: 2, fileColumnType: 'SegmentationField', segmentationFieldId: 6789 },
      { fileColumn: 3, fileColumnType: 'SegmentationField', segmentationFieldId: 7001 }
    ])
    expect(file).toMatchObject({ segmentationImportType: 'Overwrite', includeUnsubscribed: true })
  })

  it('asks to include unsubscribed contacts only in an update', () => {
    expect(buildImportFile(spec()).file).not.toHaveProperty('includeUnsubscribed')
    const removal = spec({
      importType: 'RemoveSubscribers',
      fieldIds: [],
      rows: [{ emailAddress: 'jane@example.com', values: new Map() }]
    })
    expect(buildImportFile(removal).file).not.toHaveProperty('includeUnsubscribed')
    expect(csvOf(buildImportFile(removal).file.fileStream)).toBe('Email\r\njane@example.com\r\n')
  })

  it('qualifies a cell that holds the delimiter, and no other', () => {
    const { file, lines } = buildImportFile(
      spec({
        fieldIds: [7001, 7002],
        rows: [
          {
            emailAddress: 'jane@example.com',
            values: new Map([
              [7001, 'Downtown, 5th Avenue'],
              [7002, "O'Brien; über"]
            ])
          }
        ]
      })
    )
    expect(lines).toEqual(['jane@example.com,"Downtown, 5th Avenue",O\'Brien; über'])
    expect(csvOf(file.fileStream)).toBe('Email,7001,7002\r\njane@example.com,"Downtown, 5th Avenue",O\'Brien; über\r\n')
  })

  it('encodes the file as UTF-8', () => {
    const { file } = buildImportFile(
      spec({ rows: [{ emailAddress: 'jane@example.com', values: new Map([[6789, 'Zoë']]) }] })
    )
    expect(Buffer.from(file.fileStream, 'base64')).toEqual(
      Buffer.from('Email,6789\r\njane@example.com,Zoë\r\n', 'utf8')
    )
  })

  it.each([
    ['a value holding the qualifier', { emailAddress: 'a@example.com', values: new Map([[6789, 'say "hi"']]) }],
    ['a value holding a line end', { emailAddress: 'a@example.com', values: new Map([[6789, 'a\nb']]) }],
    ['an empty value', { emailAddress: 'a@example.com', values: new Map([[6789, '']]) }],
    ['a missing value', { emailAddress: 'a@example.com', values: new Map<number, string>() }],
    [
      'a value of another field',
      {
        emailAddress: 'a@example.com',
        values: new Map([
          [6789, 'on'],
          [7001, 'x']
        ])
      }
    ],
    [
      'an external ID the file has no column for',
      { emailAddress: 'a@example.com', externalContactID: 'u', values: new Map([[6789, 'on']]) }
    ]
  ])('refuses to write %s: the planner keeps such contacts out', (_, row) => {
    expect(() => buildImportFile(spec({ rows: [row] }))).toThrow()
  })

  it(`holds 1 to ${MAX_ROWS_PER_IMPORT} rows`, () => {
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ emailAddress: `u${i}@example.com`, values: new Map([[6789, 'on']]) }))
    expect(buildImportFile(spec({ rows: rows(MAX_ROWS_PER_IMPORT) })).lines).toHaveLength(MAX_ROWS_PER_IMPORT)
    expect(() => buildImportFile(spec({ rows: rows(MAX_ROWS_PER_IMPORT + 1) }))).toThrow()
    expect(() => buildImportFile(spec({ rows: [] }))).toThrow()
  })
})

describe('fitsImportCell', () => {
  it.each([
    ['on', true],
    ['Downtown, 5th Avenue', true],
    ["it's", true],
    ['', false],
    ['say "hi"', false],
    ['a\r\nb', false],
    ['a\rb', false]
  ])('%j: %s', (value, fits) => {
    expect(fitsImportCell(value)).toBe(fits)
  })
})
