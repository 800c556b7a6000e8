import { ChildProcess, spawn } from 'child_process'
import { once } from 'events'
import path from 'path'
import { waitFor } from '../wait'

/** The built command line, as a user runs it (`npm test` builds first). */
export const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js')

/** Resolves with the exit code and signal of a child, at once when it has already exited. */
export const exited = (child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve([child.exitCode, child.signalCode])
    : (once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>)

/**
 * Starts a CLI command and resolves once its output (stdout and stderr together) matches `ready`. When the
 * command exits first, or `timeoutMs` passes, the command is killed and the start fails with its output so far.
 * `launcher` runs first and is handed node and its arguments to exec (a namespace, a mount).
 */
export async function startCli(
  args: string[],
  ready: RegExp,
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; launcher?: string[] } = {}
): Promise<{ child: ChildProcess; output: () => string }> {
  const [command, ...prefix] = [...(options.launcher ?? []), process.execPath]
  const child = spawn(command, [...prefix, CLI, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  const what = `\`${args.join(' ')}\` to print ${ready}`
  try {
    await waitFor(
      what,
      () => output,
      (text) => ready.test(text) || child.exitCode !== null,
      { timeoutMs: options.timeoutMs ?? 10_000 }
    )
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  if (!ready.test(output)) throw new Error(`Waited for ${what}, but it exited with ${child.exitCode}:\n${output}`)
  return { child, output: () => output }
}
