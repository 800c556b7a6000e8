// processHashing is for hashing personal data to match it; this hash only names a file after its content.
// eslint-disable-next-line no-restricted-syntax
import { createHash } from 'crypto'
import { CreatedOutcome, ListrakRequest, postResource } from './client'
import type { UpdateType } from './contacts'

/**
 * Rows in one list import. Listrak takes files of up to 185 MB, far more; 5,000 is the most contacts one page of an
 * import's results (`GET /List/{listId}/ListImport/{importFileId}/Contact`, `count` at most 5000) lists, so that each
 * import's outcome can be read back per contact in one request.
 */
export const MAX_ROWS_PER_IMPORT = 5000

/** `ImportFile.importType`: the values Listrak allows. */
export const IMPORT_TYPES = [
  'AddSubscribers',
  'AddSubscribersAndSegmentationData',
  'RemoveSubscribers',
  'UpdateSubscribers'
] as const
export type ImportType = typeof IMPORT_TYPES[number]

/** Listrak's `ImportFileMapping`: which column of the file holds what, by its ordinal from 0. */
export type ImportFileMapping =
  | { fileColumn: number; fileColumnType: 'Email' | 'ExternalContactID' }
  | { fileColumn: number; fileColumnType: 'SegmentationField'; segmentationFieldId: number }

/** Listrak's `ImportFile`, with the members this destination sets. */
export interface ImportFile {
  fileName: string
  fileDelimiter: string
  textQualifier: string
  hasColumnNames: boolean
  importType: ImportType
  segmentationImportType: UpdateType
  suppressEmailNotifications: boolean
  triggerJourney: boolean
  includeUnsubscribed?: boolean
  fileMappings: ImportFileMapping[]
  /** The CSV file, Base64. */
  fileStream: string
}

/** One contact of a file: its address, and a cell for every column the file has. */
export interface ImportRow {
  emailAddress: string
  externalContactID?: string
  values: Map<number, string>
}

/** What a file holds: its list and options, its columns, and its rows, each with a cell in every column. */
export interface ImportSpec {
  listId: number
  importType: ImportType
  segmentationImportType: UpdateType
  /** Whether the file has an ExternalContactID column (then every row has one). */
  externalContactID: boolean
  /** The profile field columns, in order (every row has a value for each, and no other). */
  fieldIds: number[]
  rows: ImportRow[]
}

const DELIMITER = ','
const QUALIFIER = '"'
const LINE_END = '\r\n'

/**
 * Whether a value can be a cell of a file. Listrak documents neither how a qualifier inside a value is escaped nor
 * whether a qualified cell may span lines, nor what an empty cell does to a field (blanks it, or keeps it): a value
 * holding `"`, CR or LF, or none at all, is never put in a file, and its contact goes in a request of its own.
 */
export function fitsImportCell(value: string): boolean {
  return value !== '' && !/["\r\n]/.test(value)
}

/** A cell as written: qualified when it holds the delimiter, the one case qualifying is certain to cover. */
const cell = (value: string) => (value.includes(DELIMITER) ? `${QUALIFIER}${value}${QUALIFIER}` : value)

/** The row's cells in the file's column order; a missing, extra or unfit cell is a fault of whoever planned it. */
function cellsOf(spec: ImportSpec, row: ImportRow): string[] {
  const cells = [row.emailAddress]
  if (spec.externalContactID !== (row.externalContactID !== undefined)) {
    throw new Error(`ExternalContactID column ${spec.externalContactID ? 'without' : 'with'} a value for a row`)
  }
  if (row.externalContactID !== undefined) cells.push(row.externalContactID)
  if (row.values.size !== spec.fieldIds.length) throw new Error('A row has values for other fields than its file')
  for (const id of spec.fieldIds) {
    const value = row.values.get(id)
    if (value === undefined) throw new Error(`A row has no value for profile field ${id} of its file`)
    cells.push(value)
  }
  if (!cells.every(fitsImportCell)) throw new Error('A row holds a value that cannot be a cell of a file')
  return cells
}

/**
 * Pure: the `ImportFile` for `spec`: a UTF-8 CSV with CRLF line ends and a header row (`Email`, then
 * `ExternalContactID` when the file has that column, then the profile field IDs; Listrak maps columns by ordinal,
 * so the header is for people reading the file), Base64-encoded. Its name carries a hash of the CSV, so that the
 * same batch sent again gets the same name and a repeat can be spotted in Listrak's import history. Also the line
 * each row became, for the row's events to show what was sent for them.
 */
export function buildImportFile(spec: ImportSpec): { file: ImportFile; lines: string[] } {
  if (spec.rows.length === 0 || spec.rows.length > MAX_ROWS_PER_IMPORT) {
    throw new Error(`An import holds 1 to ${MAX_ROWS_PER_IMPORT} rows, not ${spec.rows.length}`)
  }
  const header = ['Email', ...(spec.externalContactID ? ['ExternalContactID'] : []), ...spec.fieldIds.map(String)]
  const lines = spec.rows.map((row) => cellsOf(spec, row).map(cell).join(DELIMITER))
  const csv = [header.join(DELIMITER), ...lines].map((line) => line + LINE_END).join('')
  const hash = createHash('sha256').update(csv, 'utf8').digest('hex').slice(0, 12)

  const fileMappings: ImportFileMapping[] = [{ fileColumn: 0, fileColumnType: 'Email' }]
  if (spec.externalContactID) fileMappings.push({ fileColumn: 1, fileColumnType: 'ExternalContactID' })
  for (const segmentationFieldId of spec.fieldIds) {
    fileMappings.push({ fileColumn: fileMappings.length, fileColumnType: 'SegmentationField', segmentationFieldId })
  }

  const file: ImportFile = {
    fileName: `segment-${spec.listId}-${hash}.csv`,
    fileDelimiter: DELIMITER,
    textQualifier: QUALIFIER,
    hasColumnNames: true,
    importType: spec.importType,
    segmentationImportType: spec.segmentationImportType,
    // Whatever notifications these are, a per-contact request sends none either.
    suppressEmailNotifications: true,
    // A per-contact request enters no journey unless it raises events, which no imported contact does.
    triggerJourney: false,
    // Otherwise an update would skip the list's unsubscribed contacts, whose fields a per-contact request still sets.
    ...(spec.importType === 'UpdateSubscribers' ? { includeUnsubscribed: true } : {}),
    fileMappings,
    fileStream: Buffer.from(csv, 'utf8').toString('base64')
  }
  return { file, lines }
}

/**
 * `POST /List/{listId}/ListImport`: starts an import of the file into the list. Listrak answers once for the whole
 * file, before it is applied; what became of each contact is only in the import's results, later.
 */
export function postListImport(request: ListrakRequest, listId: number, file: ImportFile): Promise<CreatedOutcome> {
  // A 404 means what it means for the other imports: an unknown list, or a payload over Listrak's limit.
  return postResource(
    request,
    `${request.urls.api}/List/${listId}/ListImport`,
    file,
    `the list import ${file.fileName} for list ${listId}`
  )
}
