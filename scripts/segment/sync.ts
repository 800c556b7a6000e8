import { promises as fs } from 'fs'
import path from 'path'

/**
 * Writes generated files, or with `check` only compares them: the run fails when one is stale, so CI and the
 * test suite catch a field changed without regenerating.
 */
export async function syncGeneratedFiles(
  files: Map<string, string>,
  { check, what, command }: { check: boolean; what: string; command: string }
): Promise<number> {
  const stale: string[] = []
  for (const [file, content] of files) {
    const current = await fs.readFile(file, 'utf8').catch(() => '')
    if (current === content) continue
    stale.push(path.relative(process.cwd(), file))
    if (!check) await fs.writeFile(file, content)
  }
  if (check && stale.length > 0) {
    console.error(`Stale ${what} (run \`${command}\`): ${stale.join(', ')}`)
    return 1
  }
  console.log(stale.length > 0 ? `wrote ${stale.join(', ')}` : `${what} up to date`)
  return 0
}

/** Runs a script's main and turns its outcome into the exit code. */
export function run(main: () => Promise<number>): void {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    }
  )
}
