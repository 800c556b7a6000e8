import type { ListrakResult } from '../../../src/api/client'
import { isDirective } from './mapped-values'
import type { Row } from './rows'

/**
 * Whether a mapping sends large batches in list imports: Create or Update Contact's `bulk_import` other than `off`,
 * Unsubscribe Contact's `true`; one that comes from each event (a directive) may, so it is checked too.
 */
export const bulkImportOn = (value: unknown): boolean =>
  value === true || value === 'add_and_update' || value === 'update_only' || isDirective(value)

const NOT_TRIED = 'starting one (POST …/ListImport) is not tried'

/**
 * The row of a list the mapping imports into, from `GET /List/{listId}/ListImport`: whether these credentials can
 * read its imports, which the runtime does to follow each one up. Only the read is asked: a check starts no import.
 */
export function listImportRow(listId: number, read: ListrakResult<unknown>): Row {
  const field = 'List Import'
  if (read.ok) {
    return {
      field,
      status: 'ok',
      reason: `the credentials can read list ${listId}'s imports (GET …/ListImport), as following them up does; ${NOT_TRIED}`
    }
  }
  const { status, said, message } = read.failure
  if (status === 401 || status === 403) {
    return {
      field,
      status: 'error',
      reason:
        `the credentials cannot read list ${listId}'s imports (${said ?? `HTTP ${status}`}): Bulk Import needs ` +
        "Listrak's List and Contact areas to start imports, and Report to read their results; " +
        NOT_TRIED
    }
  }
  if (status === 404) {
    return {
      field,
      status: 'error',
      reason: `Listrak answered ${said ?? 'HTTP 404'} for list ${listId}'s imports: the list is unknown there; ${NOT_TRIED}`
    }
  }
  return { field, status: 'error', reason: `${message} (${NOT_TRIED})` }
}
