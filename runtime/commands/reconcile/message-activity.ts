import { z } from 'zod'
import { callListrak, ListrakRequest } from '../../../src/api/client'
import type { ListrakFailure } from '../../../src/api/errors'
import { transactionalMessagesUrl } from '../../../src/api/transactional-messages'
import { nextPageUrl } from '../../destination/paging'

/**
 * `GET /List/{listId}/TransactionalMessage/{transactionalMessageId}/Activity`: the sends of a transactional message
 * to one address, by send date. The runtime alone asks it (to settle unknown outcomes), so it lives here, on the
 * destination's one call function, rather than in the destination's API layer.
 *
 * Restated from Listrak's contract: query `emailAddress`, `dateType` (`Send` or `Activity`), `startDate`, `endDate`
 * (strings; ISO 8601 is sent), `cursor` (`Start` first) and `count` (at most 5000); the answer is
 * `CollectionPaged[TransactionalMessageActivity]`: `data`, and `nextPageCursor`, the URI of the next page, absent or
 * empty on the last. Of an activity the runtime reads the address and `sendDate`.
 */

const PAGE_COUNT = 5000
/** Pages one question may take: an address gets few sends of one message; more says the filter was not applied. */
const MAX_PAGES = 20

const activity = z.object({
  emailAddress: z.string().nullish(),
  sendDate: z.string().nullish()
})

const activityPage = z.object({
  nextPageCursor: z.string().nullish(),
  data: z.array(activity)
})

export interface MessageSendFound {
  /** As Listrak gives it (ISO 8601), when it does. */
  sendDate?: string
}

export interface ActivityQuestion {
  listId: number
  transactionalMessageId: number
  emailAddress: string
  /** Send dates from and until (ms), inclusive. */
  from: number
  until: number
}

export type ActivityAnswer = { ok: true; sends: MessageSendFound[] } | { ok: false; failure: ListrakFailure }

/** Listrak's dates in a query: ISO 8601 in UTC, to the second. */
const isoSecond = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** Every send of the message to the address between `from` and `until` that Listrak's activity shows, page by page. */
export async function findMessageSends(request: ListrakRequest, question: ActivityQuestion): Promise<ActivityAnswer> {
  const { listId, transactionalMessageId, emailAddress } = question
  const first = new URL(`${transactionalMessagesUrl(request.urls, listId)}/${transactionalMessageId}/Activity`)
  first.search = new URLSearchParams({
    emailAddress,
    dateType: 'Send',
    startDate: isoSecond(question.from),
    // Listrak's dates go to the second: the end is rounded up, so a send late in the last second is kept.
    endDate: isoSecond(question.until + 999),
    cursor: 'Start',
    count: String(PAGE_COUNT)
  }).toString()
  const subject = `the activity of transactional message ${transactionalMessageId} on list ${listId}`
  const wanted = emailAddress.toLowerCase()
  const sends: MessageSendFound[] = []
  let url = first.toString()
  for (let pages = 1; ; pages++) {
    const page = await callListrak(request, url, { method: 'GET' }, subject, activityPage)
    if (!page.ok) return page
    for (const { emailAddress: address, sendDate } of page.data.data) {
      // Listrak filters by address; an activity of another address is not this recipient's, whatever it says.
      if (address && address.toLowerCase() !== wanted) continue
      sends.push(sendDate ? { sendDate } : {})
    }
    const cursor = page.data.nextPageCursor
    if (!cursor) return { ok: true, sends }
    if (pages >= MAX_PAGES) {
      return {
        ok: false,
        failure: {
          status: 502,
          errortype: 'BAD_GATEWAY',
          message: `Listrak answered ${subject} with more than ${MAX_PAGES} pages of ${PAGE_COUNT} for one address: the address filter was not applied.`
        }
      }
    }
    url = nextPageUrl(url, cursor)
  }
}
