import { z } from 'zod'
import { callListrak, collection, ListrakRequest, ListrakResult } from './client'
import type { ListrakUrls } from './urls'

const eventsUrl = (urls: ListrakUrls, listId: number) => `${urls.api}/List/${listId}/Event`

// Listrak's `Event`: its name and status may be missing; a status is `Active` or `Blocked`.
const event = z.object({
  eventId: z.number().int(),
  eventName: z.string().nullish(),
  status: z.string().nullish()
})

export type ListEvent = z.infer<typeof event>

/** `GET /List/{listId}/Event`: the events a contact update can raise on the list. */
export function getEvents(request: ListrakRequest, listId: number): Promise<ListrakResult<ListEvent[]>> {
  return callListrak(
    request,
    eventsUrl(request.urls, listId),
    { method: 'GET', notFound: 'the list does not exist for these API credentials. Check the List ID.' },
    `the events of list ${listId}`,
    collection(event)
  )
}
