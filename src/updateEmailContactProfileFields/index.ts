import { PayloadValidationError } from '@segment/actions-core'
import type { ActionDefinition } from '@segment/actions-core'
import { failureToError } from '../api/errors'
import { withUrls } from '../api/client'
import { limitRequests } from '../api/limit'
import { LISTRAK_URLS, ListrakUrls } from '../api/urls'
import type { Settings } from '../generated-types'
import { fields } from './fields'
import type { Payload } from './generated-types'
import { dynamicFields } from './dynamic-fields'
import { planImports, toMultiStatus } from './imports'
import { prepareEvents } from './prepare'
import { sendImports } from './send'

/** Listrak requests in flight at once for one batch: enough to overlap round trips without flooding Listrak. */
export const MAX_CONCURRENT_REQUESTS = 4

/** The action, its requests going to `urls`: Listrak's own unless a runtime or a test gives others. */
export const updateEmailContactProfileFields = (
  urls: ListrakUrls = LISTRAK_URLS
): ActionDefinition<Settings, Payload> => ({
  title: 'Update Email Contact Profile Fields',
  description:
    'One or more list imports will be started to update the specified contact profile fields on the specified list.',
  fields,

  dynamicFields: dynamicFields(urls),

  perform: async (unbound, { payload, audienceMembership, settings, logger }) => {
    const request = withUrls(unbound, urls)
    const [prepared] = await prepareEvents(request, settings, [payload], [audienceMembership], logger)
    if (!prepared.ok) {
      throw prepared.failure ? failureToError(prepared.failure) : new PayloadValidationError(prepared.message)
    }
    const [outcome] = await sendImports(request, planImports([prepared]))
    if (!outcome.ok) throw failureToError(outcome.failure)
    const ignored = prepared.ignored.length > 0 ? { ignoredProfileFieldKeys: prepared.ignored } : {}
    return { listId: prepared.event.listId, ...outcome.body, ...ignored }
  },

  performBatch: async (unlimited, { payload, audienceMembership, settings, logger }) => {
    const request = limitRequests(withUrls(unlimited, urls), MAX_CONCURRENT_REQUESTS)
    const prepared = await prepareEvents(request, settings, payload, audienceMembership ?? [], logger)
    const imports = planImports(prepared)
    return toMultiStatus(prepared, imports, await sendImports(request, imports))
  }
})

export default updateEmailContactProfileFields()
