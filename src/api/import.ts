import type { RequestClient } from '@segment/actions-core'
import { z } from 'zod'
import { callListrak } from './client'
import type { ListrakFailure } from './errors'
import { segmentationFieldImportUrl } from './urls'

/** Listrak's `ContactSegmentationFieldValues`: one contact and the profile field values to set on it. */
export type ContactSegmentationFieldValues = {
  emailAddress: string
  segmentationFieldValues: { segmentationFieldId: number; value: string }[]
}

// Listrak's `ResourceCreated`, read leniently: an accepted import whose body says little is still accepted.
const resourceCreated = z
  .object({ resourceId: z.coerce.string().optional() })
  .catch({ resourceId: undefined })
  .transform(({ resourceId }) => resourceId)

export type ImportOutcome =
  | { ok: true; status: number; body: { status: number; resourceId?: string } }
  | { ok: false; failure: ListrakFailure }

/** `POST /List/{listId}/Contact/SegmentationField`: starts a list import that sets the contacts' profile fields. */
export async function postSegmentationFieldImport(
  request: RequestClient,
  listId: number,
  contacts: ContactSegmentationFieldValues[]
): Promise<ImportOutcome> {
  const result = await callListrak(
    request,
    segmentationFieldImportUrl(listId),
    { method: 'POST', json: contacts },
    `the import for list ${listId}`,
    resourceCreated
  )
  if (!result.ok) return result
  const { status, data: resourceId } = result
  return { ok: true, status, body: { status, ...(resourceId ? { resourceId } : {}) } }
}
