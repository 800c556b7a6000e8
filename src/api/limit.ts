import type { RequestClient } from '@segment/actions-core'
import { ListrakRequest, withUrls } from './client'

/**
 * The same request client, with at most `max` requests in flight: a batch's reads of profile fields and its
 * imports share the bound, so one batch never floods Listrak however many lists it touches.
 */
export function limitRequests(request: ListrakRequest, max: number): ListrakRequest {
  let active = 0
  const waiting: (() => void)[] = []
  const acquire = () =>
    active < max ? (active++, Promise.resolve()) : new Promise<void>((resolve) => waiting.push(resolve))
  // A finished request hands its slot straight to the next waiting one.
  const release = () => {
    const next = waiting.shift()
    if (next) next()
    else active--
  }
  const limited = async (...args: Parameters<RequestClient>) => {
    await acquire()
    try {
      return await request(...args)
    } finally {
      release()
    }
  }
  return withUrls(limited as RequestClient, request.urls)
}
