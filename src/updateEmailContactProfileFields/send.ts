import type { ListrakRequest } from '../api/client'
import { ImportOutcome, postSegmentationFieldImport } from '../api/import'
import type { PlannedImport } from './imports'

/** Sends every planned import; one outcome per import, in order. The request client bounds the concurrency. */
export function sendImports(request: ListrakRequest, imports: PlannedImport[]): Promise<ImportOutcome[]> {
  return Promise.all(imports.map((planned) => postSegmentationFieldImport(request, planned.listId, planned.contacts)))
}
