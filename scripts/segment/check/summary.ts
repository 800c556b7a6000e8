/**
 * A gate's outcome: it passed, it found problems, or it could not check (a tool that crashed, timed out or
 * found nothing to check). Only a pass is a pass.
 */
export type GateStatus = 'PASS' | 'FAIL' | 'NOT RUN'

export interface GateResult {
  name: string
  status: GateStatus
  /** One line: what ran and what it found. */
  summary: string
  /** What a failing gate printed, or why it could not run. */
  output?: string
}

/** Most of a long output is jest's and tsc's repetition; the head says what failed, the log holds the rest. */
export const MAX_OUTPUT_LINES = 120

export function gateLine({ name, status, summary }: GateResult): string {
  return `${status.padEnd(7)}  ${name.padEnd(12)}  ${summary}`
}

/** The output shown under a gate that did not pass, cut to `MAX_OUTPUT_LINES` with where the rest is. */
export function outputBlock(output: string, log?: string): string {
  const lines = output.trimEnd().split('\n')
  const shown = lines.slice(0, MAX_OUTPUT_LINES).map((line) => `    ${line}`)
  if (lines.length > MAX_OUTPUT_LINES) {
    shown.push(`    … ${lines.length - MAX_OUTPUT_LINES} more lines${log ? ` in ${log}` : ''}`)
  }
  return shown.join('\n')
}

export function summaryText(results: GateResult[]): string {
  const failed = results.filter((result) => result.status !== 'PASS')
  const verdict =
    failed.length === 0
      ? `All ${results.length} gates pass.`
      : `${failed.length} of ${results.length} gates did not pass: ${failed.map((r) => r.name).join(', ')}.`
  return [...results.map(gateLine), verdict].join('\n')
}

/** Non-zero as soon as one gate failed or could not run, or when there is no gate at all. */
export function exitCode(results: GateResult[]): number {
  return results.length > 0 && results.every((result) => result.status === 'PASS') ? 0 : 1
}
