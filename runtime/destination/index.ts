import type { DestinationDefinition } from '@segment/actions-core'
import { listrakDestination } from '../../src'
import { LISTRAK_URLS, ListrakUrls } from '../../src/api/urls'
import type { Settings } from '../../src/generated-types'
import { guardDefinition } from './guards'

/**
 * The name the installed destination registers under. actions-core keys its payload and settings validation as
 * `<destination name>:<action title>` and hands that key to ajv, which parses it as a URI: "Listrak (Actions)"
 * is not a valid URI scheme, and fast-uri 3.1.6 and later (the versions with its security fixes) refuse it, so
 * every event would fail validation. A name that is a valid scheme works with every fast-uri. `src/` keeps
 * "Listrak (Actions)", the name of Segment's catalogue entry, for Segment's monorepo.
 */
export const DESTINATION_NAME = 'Listrak-Actions'

/**
 * Listrak's URLs, unless LISTRAK_AUTH_URL or LISTRAK_API_URL says otherwise (a sandbox, a proxy). Read at each
 * request, so that a process can point an already registered destination elsewhere; `src/` itself sends only to
 * Listrak's, and Segment's runtime never reads these.
 */
export const environmentUrls: ListrakUrls = {
  get auth() {
    return process.env.LISTRAK_AUTH_URL || LISTRAK_URLS.auth
  },
  get api() {
    return (process.env.LISTRAK_API_URL || LISTRAK_URLS.api).replace(/\/+$/, '')
  }
}

/** Register it with `new Destination(listrak)` from `@segment/actions-core`. */
const listrak: DestinationDefinition<Settings> = guardDefinition({
  ...listrakDestination(environmentUrls),
  name: DESTINATION_NAME
})

export default listrak
export type { Settings }
