import { parse } from 'csv-parse/sync'
import {
  ERROR,
  ErrorEnvelope,
  ImportFileBody,
  ImportFileMapping,
  ImportType,
  SegmentationField,
  UpdateType
} from './contract'
import { checkFieldValues } from './validate-import'

/** A profile field column of an import: where it is, which field, and the value an empty cell takes, if any. */
export interface FieldColumn {
  fileColumn: number
  segmentationFieldId: number
  defaultValue: string | null
}

/** Where each mapped column of an import goes. */
export interface ImportColumns {
  email: number
  externalContactID: number | null
  fields: FieldColumn[]
}

/** A data row of an import file: the line of the file it ends on, and its cells. */
export interface ImportRow {
  line: number
  cells: string[]
}

/** An `ImportFile` the sandbox takes, read: its options, where its columns go, and the file's rows. */
export interface ImportFile {
  fileName: string
  importType: ImportType
  segmentationImportType: UpdateType
  fileDelimiter: string
  textQualifier: string | null
  hasColumnNames: boolean
  suppressEmailNotifications: boolean
  triggerJourney: boolean
  includeUnsubscribed: boolean
  fileMappings: ImportFileMapping[]
  columns: ImportColumns
  /** The first line's cells when `hasColumnNames`: names only, the mappings go by position. */
  header: string[] | null
  rows: ImportRow[]
}

type Refused = { ok: false; error: ErrorEnvelope }
export type ImportFileRead = { ok: true; file: ImportFile } | Refused

const refuse = (member: string, detail: string): Refused => ({
  ok: false,
  error: {
    status: 400,
    error: ERROR.INVALID_PARAMETER,
    message: `An invalid value was supplied for ${member}: ${detail}.`
  }
})

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** The columns the mappings name, or why Listrak (or the sandbox, for `Event`) would refuse them. */
function readColumns(
  listId: number,
  fields: Map<number, SegmentationField>,
  mappings: ImportFileMapping[]
): { ok: true; columns: ImportColumns } | Refused {
  const emails: number[] = []
  let externalContactID: number | null = null
  const fieldColumns: FieldColumn[] = []
  const seenColumns = new Set<number>()
  for (const [i, mapping] of mappings.entries()) {
    const at = `fileMappings[${i}]`
    const { fileColumn, segmentationFieldId } = mapping
    if (seenColumns.has(fileColumn)) return refuse(`${at}.fileColumn`, `column ${fileColumn} is mapped twice`)
    seenColumns.add(fileColumn)
    switch (mapping.fileColumnType) {
      case 'Email':
        emails.push(fileColumn)
        break
      case 'ExternalContactID':
        if (externalContactID !== null)
          return refuse(`${at}.fileColumnType`, 'only one column may be ExternalContactID')
        externalContactID = fileColumn
        break
      case 'Event':
        // Listrak does not say what an Event column's cells hold (an event ID, a flag?), so the sandbox cannot play it.
        return refuse(`${at}.fileColumnType`, 'Event columns are not modelled by the sandbox')
      case 'SegmentationField': {
        if (segmentationFieldId == null) {
          return refuse(`${at}.segmentationFieldId`, 'a SegmentationField column must name its profile field')
        }
        if (!fields.has(segmentationFieldId)) {
          return refuse(`${at}.segmentationFieldId`, `${segmentationFieldId} is not a profile field of list ${listId}`)
        }
        if (fieldColumns.some((c) => c.segmentationFieldId === segmentationFieldId)) {
          return {
            ok: false,
            error: {
              status: 400,
              error: ERROR.SEGMENTATION_FIELD_DEFINED_TWICE,
              message: `Two or more columns were mapped to segmentationFieldId ${segmentationFieldId}.`
            }
          }
        }
        const defaultValue = mapping.defaultValue || null
        const value = [{ segmentationFieldId, value: defaultValue ?? '' }]
        const problem =
          defaultValue === null ? undefined : checkFieldValues(listId, fields, value, `${at}.defaultValue`)
        if (problem) return { ok: false, error: problem }
        fieldColumns.push({ fileColumn, segmentationFieldId, defaultValue })
        break
      }
    }
  }
  if (emails.length !== 1) {
    return refuse('fileMappings', `exactly one column must be the Email column; ${emails.length} are`)
  }
  return { ok: true, columns: { email: emails[0], externalContactID, fields: fieldColumns } }
}

/**
 * Reads an `ImportFile` for a list as the sandbox takes it, or says why it refuses it: the mappings (one `Email`
 * column, profile fields of the list), the delimiter and qualifier, then `fileStream` decoded from Base64 as UTF-8
 * and parsed as CSV, every row holding each mapped column. Listrak leaves the file's dialect open; the sandbox's
 * reading: one-character delimiter and qualifier (none when blank), a qualifier inside a qualified cell doubled
 * (RFC 4180), any line ending, blank lines skipped. What a cell holds is not checked here: a bad row fails alone,
 * when the import is applied.
 */
export function readImportFile(
  listId: number,
  fields: Map<number, SegmentationField>,
  body: ImportFileBody
): ImportFileRead {
  const read = readColumns(listId, fields, body.fileMappings)
  if (!read.ok) return read
  const { columns } = read
  const delimiter = body.fileDelimiter
  if (delimiter.length !== 1 || /[\r\n]/.test(delimiter)) {
    return refuse('fileDelimiter', `${JSON.stringify(delimiter)} is not one character other than a line break`)
  }
  const qualifier = body.textQualifier || null
  if (qualifier !== null && (qualifier.length !== 1 || /[\r\n]/.test(qualifier) || qualifier === delimiter)) {
    return refuse('textQualifier', `${JSON.stringify(qualifier)} is not one character other than the delimiter`)
  }
  if (!BASE64.test(body.fileStream)) return refuse('fileStream', 'it is not Base64')
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(body.fileStream, 'base64'))
  } catch {
    return refuse('fileStream', 'the file is not UTF-8 text')
  }
  const lines: number[] = []
  let records: string[][]
  try {
    records = parse(text, {
      delimiter,
      ...(qualifier === null ? { quote: false } : { quote: qualifier, escape: qualifier }),
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      on_record: (record: string[], context) => {
        lines.push(context.lines)
        return record
      }
    })
  } catch (error) {
    return refuse('fileStream', `the file is not CSV the sandbox can read (${(error as Error).message})`)
  }
  const hasColumnNames = body.hasColumnNames ?? false
  const rows = records.map((cells, i) => ({ line: lines[i], cells })).slice(hasColumnNames ? 1 : 0)
  if (rows.length === 0) return refuse('fileStream', 'the file holds no rows to import')
  const lastColumn = Math.max(...body.fileMappings.map((m) => m.fileColumn))
  const short = rows.find((row) => row.cells.length <= lastColumn)
  if (short) {
    const detail = `line ${short.line} has ${short.cells.length} cells, and the mappings read column ${lastColumn} (from 0)`
    return refuse('fileStream', detail)
  }
  return {
    ok: true,
    file: {
      fileName: body.fileName,
      importType: body.importType,
      segmentationImportType: body.segmentationImportType,
      fileDelimiter: delimiter,
      textQualifier: qualifier,
      hasColumnNames,
      suppressEmailNotifications: body.suppressEmailNotifications ?? false,
      triggerJourney: body.triggerJourney ?? false,
      includeUnsubscribed: body.includeUnsubscribed ?? false,
      fileMappings: body.fileMappings,
      columns,
      header: hasColumnNames ? records[0] : null,
      rows
    }
  }
}
