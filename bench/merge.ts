/**
 * Pure: the published results after a `--save --only` run. The run measured some workloads; the saved file keeps
 * every other workload's figures, and each workload says when and where it was measured, so that one workload can be
 * published without measuring all of them again.
 */

interface Target {
  target: string
  status: string
}

/** When and where a workload's figures were taken. */
export interface Measured {
  date: string
  machine: string
}

export interface BenchResult {
  date: string
  machine: string
  /** When and where each workload's figures were taken (absent in files written before it was kept). */
  measured?: Record<string, Measured>
  workloads: { id: string }[]
  summary: Record<string, unknown>
  raw: Record<string, unknown>
  targets: Target[]
  replay: unknown
  largeReplay: unknown
  ingest: unknown[]
  [other: string]: unknown
}

/** A target whose workloads were not run here reports one of these: the saved verdict stands. */
const unmeasured = (target: Target) => target.status.startsWith('not measured')

export function mergeResults(saved: BenchResult, run: BenchResult, order: string[]): BenchResult {
  const ran = new Set(run.workloads.map((w) => w.id))
  const measured: Record<string, Measured> = {}
  for (const { id } of saved.workloads)
    measured[id] = saved.measured?.[id] ?? { date: saved.date, machine: saved.machine }
  for (const id of ran) measured[id] = { date: run.date, machine: run.machine }
  const workloads = [...saved.workloads.filter((w) => !ran.has(w.id)), ...run.workloads].sort(
    (a, b) => order.indexOf(a.id) - order.indexOf(b.id)
  )
  const savedTargets = new Map(saved.targets.map((t) => [t.target, t]))
  const targets = run.targets.map((t) => (unmeasured(t) ? (savedTargets.get(t.target) ?? t) : t))
  return {
    ...run,
    measured,
    workloads,
    summary: { ...saved.summary, ...run.summary },
    raw: { ...saved.raw, ...run.raw },
    targets,
    replay: run.replay ?? saved.replay,
    largeReplay: run.largeReplay ?? saved.largeReplay,
    ingest: run.ingest.length > 0 ? run.ingest : saved.ingest
  }
}
