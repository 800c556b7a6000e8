import type { PageQuery } from './contract'

/**
 * One page of `items` as Listrak's paged collections answer it: `nextPageCursor` is the URI of the next page (the
 * request's own, with its cursor moved on), null on the last.
 */
export function pageOf<T>(
  items: readonly T[],
  { cursor, count }: PageQuery,
  requestUrl: string
): { nextPageCursor: string | null; data: T[] } {
  const data = items.slice(cursor, cursor + count)
  if (cursor + count >= items.length) return { nextPageCursor: null, data }
  const next = new URL(requestUrl, 'http://sandbox')
  next.searchParams.set('cursor', String(cursor + count))
  return { nextPageCursor: `${next.pathname}${next.search}`, data }
}
