import { BenchResult, mergeResults } from '../../bench/merge'

const ORDER = ['W1', 'W2', 'B1', 'R1', 'I1']

const result = (date: string, ids: string[], extra: Partial<BenchResult> = {}): BenchResult => ({
  date,
  machine: `machine of ${date}`,
  workloads: ids.map((id) => ({ id })),
  summary: Object.fromEntries(ids.map((id) => [id, { at: date }])),
  raw: Object.fromEntries(ids.map((id) => [id, { at: date }])),
  targets: [],
  replay: null,
  largeReplay: null,
  ingest: [],
  ...extra
})

describe('bench: --save with --only', () => {
  const saved = result('2026-01-01', ['W1', 'W2', 'R1', 'I1'], {
    targets: [
      { target: 'W2 events/s', status: 'met' },
      { target: 'B1 fewer requests', status: 'NOT met' }
    ],
    replay: { eventsPerSecond: 16_000 },
    ingest: [{ backend: 'durable' }]
  })
  const run = result('2026-02-02', ['B1', 'W1'], {
    targets: [
      { target: 'W2 events/s', status: 'not measured' },
      { target: 'B1 fewer requests', status: 'met' },
      { target: 'R2 peak RSS', status: 'not measured (needs R1 and R2)' }
    ]
  })
  const merged = mergeResults(saved, run, ORDER)

  it('keeps the saved figures of the workloads not run, and takes the new ones of those run', () => {
    expect(merged.workloads.map((w) => w.id)).toEqual(['W1', 'W2', 'B1', 'R1', 'I1'])
    expect(merged.summary).toEqual({
      W1: { at: '2026-02-02' },
      W2: { at: '2026-01-01' },
      R1: { at: '2026-01-01' },
      I1: { at: '2026-01-01' },
      B1: { at: '2026-02-02' }
    })
    expect(merged.raw.B1).toEqual({ at: '2026-02-02' })
    expect(merged.replay).toEqual({ eventsPerSecond: 16_000 })
    expect(merged.ingest).toEqual([{ backend: 'durable' }])
  })

  it('says when and where each workload was measured', () => {
    const at = (date: string) => ({ date, machine: `machine of ${date}` })
    expect(merged.date).toBe('2026-02-02')
    expect(merged.measured).toEqual({
      W1: at('2026-02-02'),
      W2: at('2026-01-01'),
      R1: at('2026-01-01'),
      I1: at('2026-01-01'),
      B1: at('2026-02-02')
    })
    // A second merge keeps what the first said.
    const again = mergeResults(merged, result('2026-03-03', ['W2']), ORDER)
    expect(again.measured).toMatchObject({ W1: at('2026-02-02'), W2: at('2026-03-03'), R1: at('2026-01-01') })
  })

  it("keeps a target's saved verdict when its workloads were not run, and takes the new one when they were", () => {
    expect(merged.targets).toEqual([
      { target: 'W2 events/s', status: 'met' },
      { target: 'B1 fewer requests', status: 'met' },
      { target: 'R2 peak RSS', status: 'not measured (needs R1 and R2)' }
    ])
  })
})
