import type { RequestClient } from '@segment/actions-core'
import { z } from 'zod'
import { httpFailure, ListrakFailure, parseJson, transportFailure } from './errors'
import { segmentationFieldImportUrl } from './urls'

/** Listrak's `ContactSegmentationFieldValues`: one contact and the profile field values to set on it. */
export type ContactSegmentationFieldValues = {
  emailAddress: string
  segmentationFieldValues: { segmentationFieldId: number; value: string }[]
}

// Listrak's `ResourceCreated`. An answer that does not parse still counts as accepted: the status says so.
const resourceCreated = z.object({ status: z.coerce.number().optional(), resourceId: z.coerce.string().optional() })

export type ImportOutcome =
  { ok: true; status: number; body: { status: number; resourceId?: string } } | { ok: false; failure: ListrakFailure }

/** `POST /List/{listId}/Contact/SegmentationField`: starts a list import that sets the contacts' profile fields. */
export async function postSegmentationFieldImport(
  request: RequestClient,
  listId: number,
  contacts: ContactSegmentationFieldValues[]
): Promise<ImportOutcome> {
  const subject = `the import for list ${listId}`
  let response
  try {
    response = await request(segmentationFieldImportUrl(listId), {
      method: 'POST',
      json: contacts,
      throwHttpErrors: false,
      skipResponseCloning: true
    })
  } catch (error) {
    return { ok: false, failure: transportFailure(error, subject) }
  }
  const content = (response as { content?: string }).content ?? ''
  if (!response.ok) return { ok: false, failure: httpFailure(response.status, content, subject) }
  const created = resourceCreated.safeParse(parseJson(content))
  const resourceId = created.success ? created.data.resourceId : undefined
  return { ok: true, status: response.status, body: { status: response.status, ...(resourceId ? { resourceId } : {}) } }
}
