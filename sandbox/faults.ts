import { z } from 'zod'
import { SMS_PHONE_FORMATS } from './phone'

const probability = z.number().min(0).max(1)
const ms = z.number().min(0).max(600_000)

/** Fault injection settings. Every key is optional in an update; unset keys keep their value. */
export const faultsSchema = z
  .object({
    /** Seeds the random draws, so a run with the same seed and the same requests fails the same way. */
    seed: z.number().int(),
    /** Added latency per request: a fixed number of milliseconds or a [min, max] range. */
    latencyMs: z.union([ms, z.tuple([ms, ms])]),
    /** Share of requests answered with `failureStatus` before they are processed: nothing takes effect. */
    failureRate: probability,
    failureStatus: z.union([z.literal(429), z.literal(500), z.literal(502), z.literal(503)]),
    /** Fail the next `count` requests with `status`. */
    failNext: z.object({ count: z.number().int().min(0), status: z.number().int().min(400).max(599) }),
    /** Share of requests whose connection is closed without an answer, before they are processed. */
    dropRate: probability,
    /**
     * Share of requests processed (a contact written, a message sent) whose connection is then closed without an
     * answer: the client cannot tell what happened, as when Listrak's answer is lost on the way back.
     */
    dropAfterRate: probability,
    /** A token stops working after this many API requests (0: no limit). */
    tokenMaxUses: z.number().int().min(0),
    /**
     * How long a message sent takes to show in its activity (`GET …/TransactionalMessage/{id}/Activity`): Listrak
     * does not say how soon a send appears there.
     */
    activityLagMs: ms,
    /**
     * How long a list import (`POST …/ListImport`) waits, queued, before its rows are applied: Listrak's imports run
     * after their answer, and it does not say how soon.
     */
    listImportDelayMs: ms,
    /**
     * The phone numbers the SMS routes take: `national`, `e164` or `any` (see `phone.ts`). Listrak does not document
     * the format, so each reading can be tested.
     */
    smsPhoneFormat: z.enum(SMS_PHONE_FORMATS)
  })
  .strict()

export type Faults = z.infer<typeof faultsSchema>
export type FaultsUpdate = Partial<Faults>

export const NO_FAULTS: Faults = {
  seed: 1,
  latencyMs: 0,
  failureRate: 0,
  failureStatus: 503,
  failNext: { count: 0, status: 503 },
  dropRate: 0,
  dropAfterRate: 0,
  tokenMaxUses: 0,
  activityLagMs: 0,
  listImportDelayMs: 0,
  smsPhoneFormat: 'national'
}

export function parseFaults(input: unknown): FaultsUpdate {
  const result = faultsSchema.partial().safeParse(input)
  if (result.success) return result.data
  throw new Error(
    `Invalid faults: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`
  )
}

/** mulberry32: a small, fast, seedable generator; enough to make fault draws reproducible. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export type FaultDecision = { delayMs: number; action: 'pass' | 'drop' | 'drop-after-processing' | { status: number } }

/** Seeds the draws of `dropAfterRate` apart from the others, so that a seed decides the other faults as it always has. */
const DROP_AFTER_SEED_SALT = 0x5eed0aff

/** Decides, request by request, what the configured faults do to it. */
export class FaultInjector {
  private faults: Faults = NO_FAULTS
  private random = seededRandom(NO_FAULTS.seed)
  private afterRandom = seededRandom(NO_FAULTS.seed ^ DROP_AFTER_SEED_SALT)

  constructor(initial: FaultsUpdate = {}) {
    this.set(initial)
  }

  get current(): Faults {
    return this.faults
  }

  /** Merges an update into the current faults and restarts the random sequence from the seed. */
  set(update: FaultsUpdate): Faults {
    this.faults = { ...this.faults, ...update }
    this.random = seededRandom(this.faults.seed)
    this.afterRandom = seededRandom(this.faults.seed ^ DROP_AFTER_SEED_SALT)
    return this.faults
  }

  clear(): Faults {
    return this.set(NO_FAULTS)
  }

  /** Each request draws the same number of random values, so a seed replays the same decisions. */
  decide(): FaultDecision {
    const [latency, drop, failure, dropAfter] = [this.random(), this.random(), this.random(), this.afterRandom()]
    const { latencyMs, dropRate, dropAfterRate, failNext, failureRate, failureStatus } = this.faults
    const delayMs = Array.isArray(latencyMs)
      ? Math.round(latencyMs[0] + latency * Math.max(0, latencyMs[1] - latencyMs[0]))
      : latencyMs
    if (failNext.count > 0) {
      this.faults = { ...this.faults, failNext: { ...failNext, count: failNext.count - 1 } }
      return { delayMs, action: { status: failNext.status } }
    }
    if (drop < dropRate) return { delayMs, action: 'drop' }
    if (failure < failureRate) return { delayMs, action: { status: failureStatus } }
    if (dropAfter < dropAfterRate) return { delayMs, action: 'drop-after-processing' }
    return { delayMs, action: 'pass' }
  }
}
