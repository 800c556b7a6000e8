/** Pure: when the follower polls an import's status, and when it stops waiting for the import to complete. */

export interface FollowUpTiming {
  /** The first poll comes this long after the import was recorded; each wait after it doubles. */
  firstPollMs: number
  /** No wait between polls is longer. */
  maxPollMs: number
  /** An import not completed this long after it was recorded is reported as never completed. */
  followUpMaxMs: number
}

/** The wait after the `polled`-th poll of this process (0: before its first), doubling up to the cap. */
export const pollDelay = (polled: number, timing: FollowUpTiming): number =>
  Math.min(timing.maxPollMs, timing.firstPollMs * 2 ** Math.min(polled, 30))

/** When the follow-up of an import recorded at `startedAt` (ms) ends, completed or not. */
export const deadlineOf = (startedAt: number, timing: FollowUpTiming): number => startedAt + timing.followUpMaxMs

/**
 * When to poll next, `polled` polls after the first, the last at `now`: after the wait, but never past the deadline,
 * so that the last poll comes at the bound and an import completed just before it is read rather than reported.
 */
export const nextPollAt = (now: number, polled: number, startedAt: number, timing: FollowUpTiming): number =>
  Math.min(now + pollDelay(polled, timing), Math.max(now, deadlineOf(startedAt, timing)))

/**
 * The first poll of an import a process takes up: `firstPollMs` after it was recorded, at once when that has passed
 * (an import left by a runtime that stopped, taken up by the next start).
 */
export const firstPollAt = (now: number, startedAt: number, timing: FollowUpTiming): number =>
  Math.max(now, startedAt + timing.firstPollMs)
