import { defaultValues } from '@segment/actions-core'
import { audienceEvents } from '../scripts/generate-events'
import { fields as upsertContactFields } from '../src/upsertContact/fields'

/**
 * Who a run measures: this destination, the official one, the framework floor, or (B1) this destination with
 * Bulk Import Large Batches on, `ours` being the same mapping with it off.
 */
export type BenchDestination = 'ours' | 'peer' | 'floor' | 'bulk'

/** The actions the workloads send to: profile fields (W1–W4), or contacts (B1). */
export type BenchAction = 'updateEmailContactProfileFields' | 'upsertContact'

export interface Workload {
  id: string
  title: string
  action: BenchAction
  /** Events per pass. */
  events: number
  /**
   * Passes over the same events in one measured window. A window of 10,000 events is about 140 ms of CPU, too
   * short for a steady CPU figure on a shared machine; five passes make it 50,000 events without changing the
   * events or the memory they take.
   */
  passes: number
  lists: number
  latencyMs: number
  /** The destinations it runs: W4 is the framework floor alone. */
  destinations: BenchDestination[]
  /** Alternating runs unless `--runs` says otherwise. */
  runs: number
  /** Workloads of one group run interleaved, run by run, so that their runs pair up for ratios across them. */
  group?: string
}

export const WORKLOADS: Workload[] = [
  {
    id: 'W1',
    title: '10,000 events × 5 passes, one list, no latency: the CPU ratio workload',
    action: 'updateEmailContactProfileFields',
    events: 10_000,
    passes: 5,
    lists: 1,
    latencyMs: 0,
    destinations: ['ours', 'peer'],
    runs: 10,
    group: 'cpu'
  },
  {
    id: 'W2',
    title: '10,000 events over 50 lists, 100 ms latency',
    action: 'updateEmailContactProfileFields',
    events: 10_000,
    passes: 1,
    lists: 50,
    latencyMs: 100,
    destinations: ['ours', 'peer'],
    runs: 5
  },
  {
    id: 'W3',
    title: '100,000 events over 10 lists, 20 ms latency',
    action: 'updateEmailContactProfileFields',
    events: 100_000,
    passes: 1,
    lists: 10,
    latencyMs: 20,
    destinations: ['ours', 'peer'],
    runs: 5
  },
  {
    id: 'W4',
    title: 'framework floor: W1 through an action that does nothing, interleaved with W1',
    action: 'updateEmailContactProfileFields',
    events: 10_000,
    passes: 5,
    lists: 1,
    latencyMs: 0,
    destinations: ['floor'],
    runs: 10,
    group: 'cpu'
  },
  {
    id: 'B1',
    title:
      'Create or Update Contact, 10,000 distinct contacts, 100 ms latency: per contact (ours), list imports (bulk)',
    action: 'upsertContact',
    events: 10_000,
    passes: 1,
    lists: 1,
    latencyMs: 100,
    destinations: ['ours', 'bulk'],
    // A run one request per contact takes minutes at this latency; one of each is the comparison.
    runs: 1
  }
]

/** The runtime's `replay` pipeline, a workload of its own so that it runs only when asked for (or with no `--only`). */
export const REPLAY = {
  id: 'R1',
  title: '`replay` of 200,000 events, embedded sandbox, no latency',
  events: 200_000,
  runs: 1
}

/** The same replay over a file five times larger: the queue keeps a small window, so memory must stay flat. */
export const REPLAY_LARGE = {
  id: 'R2',
  title: '`replay` of 1,000,000 events: peak RSS against R1 (memory stays flat)',
  events: 1_000_000,
  runs: 1
}

/** The runtime's ingest over HTTP, with each of its queues (see ingest-child.ts). */
export const INGEST = {
  id: 'I1',
  title: 'ingest over HTTP: /v1/batch (100 events a request) then /v1/track, durable store, --memory and Redis',
  events: 200_000,
  trackEvents: 20_000,
  runs: 1
}

export const WORKLOAD_IDS = [...WORKLOADS.map((w) => w.id), REPLAY.id, REPLAY_LARGE.id, INGEST.id]

export const FIRST_LIST = 1001
/** Segment's batches hold at most 1,000 events; both destinations get the same batches. */
export const BATCH_SIZE = 1000

/** Engage "Audience Entered"/"Exited" track events spread over `lists` lists, the same for every run. */
export function audienceWorkloadEvents(workload: { events: number; lists: number }, seed = 1) {
  const users = Math.max(100, Math.floor(workload.events / 4))
  return [...audienceEvents({ count: workload.events, users, audience: 'my_audience', identifyShare: 0, seed })].map(
    (event, i) => ({
      ...event,
      properties: { ...(event.properties as object), list: FIRST_LIST + (i % workload.lists) }
    })
  )
}

/** One mapping for both destinations: the official destination's keys, with its defaults written out. */
export const MAPPING = {
  listId: { '@path': '$.properties.list' },
  emailAddress: {
    '@if': {
      exists: { '@path': '$.context.traits.email' },
      then: { '@path': '$.context.traits.email' },
      else: { '@path': '$.traits.email' }
    }
  },
  profileFieldValues: { '6789': 'useAudienceKey' },
  traits_or_props: {
    '@if': { exists: { '@path': '$.properties' }, then: { '@path': '$.properties' }, else: { '@path': '$.traits' } }
  },
  segment_audience_key: { '@path': '$.context.personas.computation_key' },
  enable_batching: true
}

/**
 * B1's events: Engage "Audience Entered" track events, each for a contact of its own, over `lists` lists; another
 * seed gives other contacts (the warm-up's).
 */
export function contactEvents(workload: { events: number; lists: number }, seed = 1) {
  const personas = { computation_key: 'my_audience', computation_class: 'audience', computation_id: 'aud_bench' }
  return Array.from({ length: workload.events }, (_, i) => ({
    type: 'track',
    event: 'Audience Entered',
    messageId: `contact-${seed}-${i}`,
    userId: `user-${seed}-${i}`,
    timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    properties: { audience_key: 'my_audience', my_audience: true, list: FIRST_LIST + (i % workload.lists) },
    context: { traits: { email: `contact-${seed}-${i}@example.com` }, personas }
  }))
}

/** The events a workload sends, the same for every run under a seed (the warm-up takes another). */
export function workloadEvents(workload: Pick<Workload, 'action' | 'events' | 'lists'>, seed = 1) {
  return workload.action === 'upsertContact' ? contactEvents(workload, seed) : audienceWorkloadEvents(workload, seed)
}

/**
 * B1's mapping: Create or Update Contact with its defaults, as the preset "Subscribe contacts who enter an audience"
 * maps it (subscribed, the external ID from the user ID), and the audience's check box; with `bulk`, in list imports
 * at the default threshold (`add_and_update`, as the preset), otherwise one request per contact.
 */
export function contactMapping(bulk: boolean) {
  return {
    ...defaultValues(upsertContactFields),
    listId: { '@path': '$.properties.list' },
    subscriptionState: 'Subscribed',
    profileFieldValues: { '6789': 'useAudienceKey' },
    bulk_import: bulk ? 'add_and_update' : 'off'
  }
}

/** The mapping a workload's run sends with. */
export function mappingFor(workload: Pick<Workload, 'action'>, destination: BenchDestination) {
  return workload.action === 'upsertContact' ? contactMapping(destination === 'bulk') : MAPPING
}
