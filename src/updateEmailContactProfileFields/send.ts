import type { RequestClient } from '@segment/actions-core'
import { ImportOutcome, postSegmentationFieldImport } from '../api/import'
import type { PlannedImport } from './imports'

/** Imports in flight at once for one batch: enough to overlap round trips without flooding Listrak. */
export const MAX_CONCURRENT_IMPORTS = 4

/** Sends every planned import, at most `MAX_CONCURRENT_IMPORTS` at a time; one outcome per import, in order. */
export async function sendImports(request: RequestClient, imports: PlannedImport[]): Promise<ImportOutcome[]> {
  const outcomes: ImportOutcome[] = new Array(imports.length)
  let next = 0
  const worker = async () => {
    while (next < imports.length) {
      const i = next++
      outcomes[i] = await postSegmentationFieldImport(request, imports[i].listId, imports[i].contacts)
    }
  }
  await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_IMPORTS, imports.length) }, worker))
  return outcomes
}
