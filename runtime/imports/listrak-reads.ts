import { z } from 'zod'
import { callListrak, ListrakRequest, ListrakResult } from '../../src/api/client'
import type { ListrakFailure } from '../../src/api/errors'
import { nextPageUrl } from '../destination/paging'
import type { ImportResult, ImportStatus } from './results'

/**
 * What the runtime reads of a list import it started, after the fact; the destination only starts imports, so these
 * calls live here, on its one call function. Restated from Listrak's contract (Email API):
 *
 * - `GET /List/{listId}/ListImport/{importFileId}/Status`: `Resource[ListImportStatus]`, whose `data` holds
 *   `startDate`, `endDate` (date-times) and `status` (a string whose values the contract does not list);
 * - `GET /List/{listId}/ListImport/{importFileId}/Contact?cursor=Start&count=5000`: `CollectionPaged[ListImportContact]`:
 *   `data`, each `emailAddress` and `importResult` (values not listed either), and `nextPageCursor`, "URI of the next
 *   page", absent, empty or null on the last;
 * - `GET /List/{listId}/ListImport`: `Collection[ListImport]` (`importFileId`, `importFileName`, `importDate`).
 *
 * The reads of an import's results need the credentials' Report area besides List and Contact.
 */

/** Rows per page of results: Listrak's most. */
const PAGE_COUNT = 5000
/**
 * Pages one import's results may take: 1,000 pages of 5,000 is beyond any import the destination sends (it sends at
 * most 5,000 rows in one); more says Listrak's cursor goes round.
 */
const MAX_PAGES = 1000

export const listImportsUrl = (request: ListrakRequest, listId: number) =>
  `${request.urls.api}/List/${listId}/ListImport`
const importUrl = (request: ListrakRequest, listId: number, importFileId: string) =>
  `${listImportsUrl(request, listId)}/${encodeURIComponent(importFileId)}`

const statusData = z.object({
  startDate: z.string().nullish(),
  endDate: z.string().nullish(),
  status: z.string().nullish()
})
// Listrak wraps a resource in `data`; a bare status is read too, leniently.
const statusResource = z
  .union([z.object({ data: statusData }), statusData])
  .transform((body): ImportStatus => ('data' in body ? body.data : body))

const resultsPage = z.object({
  nextPageCursor: z.string().nullish(),
  data: z.array(z.object({ emailAddress: z.string().nullish(), importResult: z.string().nullish() }))
})

const listImports = z.object({ data: z.array(z.object({ importFileId: z.unknown() }).passthrough()) })

const notFound = (what: string) => `Listrak does not know ${what} for these API credentials.`

/** An import's status. A 404 says Listrak does not know the import (or its list). */
export function readImportStatus(
  request: ListrakRequest,
  listId: number,
  importFileId: string
): Promise<ListrakResult<ImportStatus>> {
  const subject = `the status of list import ${importFileId} on list ${listId}`
  const url = `${importUrl(request, listId, importFileId)}/Status`
  return callListrak(request, url, { method: 'GET', notFound: notFound('the import') }, subject, statusResource)
}

/** Every per-contact result of a completed import, page after page. */
export async function readImportResults(
  request: ListrakRequest,
  listId: number,
  importFileId: string
): Promise<{ ok: true; results: ImportResult[] } | { ok: false; failure: ListrakFailure }> {
  const subject = `the results of list import ${importFileId} on list ${listId}`
  const first = new URL(`${importUrl(request, listId, importFileId)}/Contact`)
  first.search = new URLSearchParams({ cursor: 'Start', count: String(PAGE_COUNT) }).toString()
  const results: ImportResult[] = []
  const seen = new Set<string>()
  for (let url = first.toString(), pages = 1; ; pages++) {
    const page = await callListrak(
      request,
      url,
      { method: 'GET', notFound: notFound('the import') },
      subject,
      resultsPage
    )
    if (!page.ok) return page
    results.push(...page.data.data)
    const cursor = page.data.nextPageCursor
    if (!cursor) return { ok: true, results }
    const next = nextPageUrl(url, cursor)
    if (seen.has(next) || pages >= MAX_PAGES) {
      return {
        ok: false,
        failure: {
          status: 502,
          errortype: 'BAD_GATEWAY',
          message: `Listrak answered ${subject} with pages that do not end (${pages} read, the next one seen before).`
        }
      }
    }
    seen.add(next)
    url = next
  }
}

/** The list's imports: whether these credentials may read them (`check` asks, and starts none). */
export function readListImports(request: ListrakRequest, listId: number): Promise<ListrakResult<unknown>> {
  const subject = `the list imports of list ${listId}`
  return callListrak(
    request,
    listImportsUrl(request, listId),
    { method: 'GET', notFound: 'the list does not exist for these API credentials. Check the List ID.' },
    subject,
    listImports
  )
}
