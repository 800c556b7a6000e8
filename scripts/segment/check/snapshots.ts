import { promises as fs } from 'fs'
import path from 'path'

const isSnapshot = (file: string) => file.endsWith('.snap') && path.basename(path.dirname(file)) === '__snapshots__'

async function snapshotsUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .filter(isSnapshot)
    .sort()
}

/**
 * `--update-snapshots`: jest wrote the snapshots in the subset's destination folder (`folder`); they go back to
 * `tests` (test/segment/), which the export lays out as the folder, so the folder's `X/__snapshots__/Y.snap` is
 * `tests`'s. `exported` are the folder's files as the export wrote them: a snapshot file among them that jest
 * deleted (its test file has none left) is deleted from `tests` too. Answers the files written and deleted, relative
 * to `tests`; a file jest left as it was is neither.
 */
export async function copySnapshotsBack(
  folder: string,
  tests: string,
  exported: string[]
): Promise<{ written: string[]; deleted: string[] }> {
  const current = await snapshotsUnder(folder)
  const written: string[] = []
  for (const file of current) {
    const content = await fs.readFile(path.join(folder, file), 'utf8')
    const target = path.join(tests, file)
    if ((await fs.readFile(target, 'utf8').catch(() => undefined)) === content) continue
    await fs.mkdir(path.dirname(target), { recursive: true })
    await fs.writeFile(target, content)
    written.push(file)
  }
  const deleted = exported
    .map((file) => file.split('/').join(path.sep))
    .filter((file) => isSnapshot(file) && !current.includes(file))
  for (const file of deleted) await fs.rm(path.join(tests, file), { force: true })
  return { written, deleted }
}
