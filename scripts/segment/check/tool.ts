import { spawnSync } from 'child_process'

export interface ToolRun {
  /** The exit code; null when the tool was killed (time limit) or could not start. */
  code: number | null
  output: string
  /** Why the tool gave no exit code, when it gave none. */
  problem?: string
}

/** Runs a tool's script with the subset's Node, in `cwd`, within `timeoutMs`, its output uncoloured. */
export function runTool(node: string, args: string[], { cwd, timeoutMs }: { cwd: string; timeoutMs: number }): ToolRun {
  const result = spawnSync(node, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, FORCE_COLOR: '0', NODE_PATH: '' }
  })
  const output = [result.stdout, result.stderr].filter(Boolean).join('\n').trimEnd()
  if (result.error || result.status === null) {
    const timedOut = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT'
    const problem = timedOut
      ? `timed out after ${timeoutMs / 1000} s`
      : (result.error?.message ?? `killed by ${result.signal}`)
    return { code: null, output, problem }
  }
  return { code: result.status, output }
}
