import { CreatedOutcome, ListrakRequest, postResource } from './client'
import { segmentationFieldImportUrl } from './urls'

/** Listrak's `ContactSegmentationFieldValues`: one contact and the profile field values to set on it. */
export type ContactSegmentationFieldValues = {
  emailAddress: string
  segmentationFieldValues: { segmentationFieldId: number; value: string }[]
}

export type ImportOutcome = CreatedOutcome

/** `POST /List/{listId}/Contact/SegmentationField`: starts a list import that sets the contacts' profile fields. */
export function postSegmentationFieldImport(
  request: ListrakRequest,
  listId: number,
  contacts: ContactSegmentationFieldValues[]
): Promise<ImportOutcome> {
  return postResource(
    request,
    segmentationFieldImportUrl(request.urls, listId),
    contacts,
    `the import for list ${listId}`
  )
}
