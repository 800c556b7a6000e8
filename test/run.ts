import { execFile } from 'child_process'

/**
 * Runs a program as a user runs it from a shell, for tests that cross a process boundary through npm, npx or a
 * script: its exit code and output, never an exception, and killed should it outlive `timeout`.
 */

export interface Ran {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  timeout?: number
}

const RUN_MS = 60_000

/**
 * This environment without what npm hands the scripts it runs (`npm test`): its prefix and the package's settings
 * would make a nested npm, or a script, act on this repository instead of the folder it runs in.
 */
export function outsideNpm(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([key]) => !/^npm_(config_(local_|global_)?prefix$|package_|lifecycle_)/i.test(key))
  )
}

export function run(
  file: string,
  args: string[],
  { cwd, env = outsideNpm(), timeout = RUN_MS }: RunOptions
): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({ code, stdout, stderr: error && !stderr ? error.message : stderr })
    })
  })
}

/** Runs it, and fails with its output unless it exits with 0. */
export async function succeed(file: string, args: string[], options: RunOptions): Promise<Ran> {
  const ran = await run(file, args, options)
  if (ran.code !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${ran.code}:\n${ran.stderr}${ran.stdout}`)
  return ran
}
