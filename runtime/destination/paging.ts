/**
 * Listrak's `CollectionPaged`: the URL of the next page. The contract calls `nextPageCursor` the "URI of the next
 * page", so it is taken as a URI (absolute, or from the root) and, read leniently, as a bare cursor otherwise.
 */
export function nextPageUrl(current: string, cursor: string): string {
  if (/^(https?:\/\/|\/)/.test(cursor)) return new URL(cursor, current).toString()
  const url = new URL(current)
  url.searchParams.set('cursor', cursor)
  return url.toString()
}
