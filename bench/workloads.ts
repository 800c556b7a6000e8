import { audienceEvents } from '../scripts/generate-events'

export interface Workload {
  id: string
  title: string
  events: number
  lists: number
  latencyMs: number
  /** The destinations it runs: W4 is the framework floor alone. */
  destinations: ('ours' | 'peer' | 'floor')[]
}

export const WORKLOADS: Workload[] = [
  {
    id: 'W1',
    title: '10,000 events, one list, no latency',
    events: 10_000,
    lists: 1,
    latencyMs: 0,
    destinations: ['ours', 'peer']
  },
  {
    id: 'W2',
    title: '10,000 events over 50 lists, 100 ms latency',
    events: 10_000,
    lists: 50,
    latencyMs: 100,
    destinations: ['ours', 'peer']
  },
  {
    id: 'W3',
    title: '100,000 events over 10 lists, 20 ms latency',
    events: 100_000,
    lists: 10,
    latencyMs: 20,
    destinations: ['ours', 'peer']
  },
  {
    id: 'W4',
    title: 'framework floor: W1 through an action that does nothing',
    events: 10_000,
    lists: 1,
    latencyMs: 0,
    destinations: ['floor']
  }
]

export const FIRST_LIST = 1001
/** Segment's batches hold at most 1,000 events; both destinations get the same batches. */
export const BATCH_SIZE = 1000

/** Engage "Audience Entered"/"Exited" track events spread over `lists` lists, the same for every run. */
export function workloadEvents(workload: { events: number; lists: number }, seed = 1) {
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
