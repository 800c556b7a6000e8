import { Dirent, promises as fs } from 'fs'
import { isBuiltin } from 'module'
import path from 'path'
import ts from 'typescript'
import destination from '../../src'
import { renderGeneratedTypes } from './generated-types'
import { renderMetadata } from './metadata'
import { prettier2, ROOT, segmentPrettierOptions } from './prettier2'

/** The destination's folder in Segment's monorepo. */
export const SEGMENT_FOLDER = 'listrak'
export const SEGMENT_PATH = `packages/destination-actions/src/destinations/${SEGMENT_FOLDER}`

/** The packages the destination may import: what destination-actions has to depend on for it. */
export const PACKAGES = ['@segment/actions-core', 'zod']

const SRC = path.join(ROOT, 'src')
/**
 * Tests written in the monorepo's style, laid out as the folder: `test/segment/X` lands at `X` (the destination's
 * tests in `__tests__/`, each action's in `<action>/__tests__/`), with the jest snapshots beside them.
 */
const TESTS = path.join(ROOT, 'test', 'segment')
const CHANGES = path.join(__dirname, 'CHANGES.md')

const isInside = (dir: string, file: string) => file === dir || file.startsWith(dir + path.sep)
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/')

/** The module specifiers of a TypeScript file, with where each sits in the text. */
function importsOf(text: string) {
  return ts.preProcessFile(text, true, true).importedFiles
}

/** The file a relative import names, as TypeScript finds it. */
async function resolveRelative(from: string, specifier: string): Promise<string> {
  const base = path.resolve(path.dirname(from), specifier)
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    const stat = await fs.stat(candidate).catch(() => undefined)
    if (stat?.isFile()) return candidate
  }
  throw new Error(`${path.relative(ROOT, from)} imports '${specifier}', which is not a file`)
}

/**
 * Every source the destination is made of: src/index.ts and what it imports, transitively. Whatever else sits
 * in src/ is not the destination and stays out; an import of a package other than `PACKAGES` is refused.
 */
async function destinationSources(): Promise<string[]> {
  const seen = new Set<string>()
  const pending = [path.join(SRC, 'index.ts')]
  for (let file = pending.pop(); file; file = pending.pop()) {
    if (seen.has(file)) continue
    seen.add(file)
    for (const { fileName } of importsOf(await fs.readFile(file, 'utf8'))) {
      if (fileName.startsWith('.')) {
        const target = await resolveRelative(file, fileName)
        if (!isInside(SRC, target)) throw new Error(`${path.relative(ROOT, file)} imports ${target}, outside src/`)
        pending.push(target)
      } else if (!PACKAGES.includes(packageOf(fileName)) && !isBuiltin(fileName)) {
        throw new Error(
          `${path.relative(ROOT, file)} imports '${fileName}'; the destination may import only ${PACKAGES.join(', ')}`
        )
      }
    }
  }
  return [...seen].sort()
}

/** Where a file of this repository lands in the folder. */
function exportedPath(file: string): string {
  if (isInside(TESTS, file)) {
    const landed = path.relative(TESTS, file)
    if (!landed.split(path.sep).includes('__tests__')) {
      throw new Error(`${path.relative(ROOT, file)} is outside a __tests__ folder, where the folder's tests are`)
    }
    return landed
  }
  if (isInside(SRC, file)) return path.relative(SRC, file)
  throw new Error(`${file} is not part of the export`)
}

/**
 * Declarations of destination-actions' own modules that the tests import (its test-data generator), laid out as
 * its src/ (`lib/test-data.d.ts`): the export points such an import at the module itself.
 */
const MONOREPO_MODULES = path.join(ROOT, 'test', 'monorepo')
const MONOREPO_SRC = 'packages/destination-actions/src'

/** The specifier that imports the monorepo's module `module` (relative to its src/) from the folder's `from`. */
function monorepoSpecifier(from: string, module: string): string {
  const importer = path.posix.join(SEGMENT_PATH, from.split(path.sep).join('/'))
  return path.posix.relative(importer, path.posix.join(MONOREPO_SRC, module.split(path.sep).join('/')))
}

/**
 * A test with its relative imports pointing where the files land ('../../../src' becomes '../index', and
 * '../../monorepo/lib/test-data' the monorepo's '../../../lib/test-data'), formatted again with Prettier 2 since
 * the new paths change the lines' lengths. A jest snapshot is copied as it is: jest compares it as written.
 */
async function rewriteTest(file: string): Promise<string> {
  const text = await fs.readFile(file, 'utf8')
  if (file.endsWith('.snap')) return text
  const from = path.dirname(exportedPath(file))
  let rewritten = text
  // From the end, so that earlier positions stay valid.
  for (const { fileName, pos } of importsOf(text).reverse()) {
    if (!fileName.startsWith('.')) {
      if (PACKAGES.includes(packageOf(fileName)) || fileName === 'nock' || isBuiltin(fileName)) continue
      throw new Error(`${path.relative(ROOT, file)} imports '${fileName}'; Segment's tests have actions-core and nock`)
    }
    const base = path.resolve(path.dirname(file), fileName)
    let specifier: string
    if (isInside(MONOREPO_MODULES, base)) {
      if (!(await fs.stat(`${base}.d.ts`).catch(() => undefined))) {
        throw new Error(
          `${path.relative(ROOT, file)} imports '${fileName}', which ${path.relative(ROOT, MONOREPO_MODULES)}/ does not declare`
        )
      }
      specifier = monorepoSpecifier(from, path.relative(MONOREPO_MODULES, base))
    } else {
      const landed = exportedPath(await resolveRelative(file, fileName)).replace(/\.ts$/, '')
      specifier = path.relative(from, landed).split(path.sep).join('/')
      if (!specifier.startsWith('.')) specifier = `./${specifier}`
    }
    // `pos` is where TypeScript's scan met the specifier, its quote included.
    const start = text.indexOf(fileName, pos)
    rewritten = rewritten.slice(0, start) + specifier + rewritten.slice(start + fileName.length)
  }
  return prettier2.format(rewritten, { ...segmentPrettierOptions(), filepath: file })
}

/** The TypeScript files under `dir`, and the jest snapshots in its `__snapshots__` folders. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true })
  const isSnapshot = (entry: Dirent) =>
    entry.name.endsWith('.snap') && path.basename(entry.parentPath) === '__snapshots__'
  return entries
    .filter((entry) => entry.isFile() && (entry.name.endsWith('.ts') || isSnapshot(entry)))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort()
}

/**
 * The folder's files by path: the destination's sources unchanged, metadata.json, the tests, and CHANGES.md for
 * the reviewer. Refused while a generated file in src/ is stale, so that the folder is what this repository holds.
 */
export async function segmentFolder(): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const file of await destinationSources()) files.set(exportedPath(file), await fs.readFile(file, 'utf8'))

  const generated = await renderGeneratedTypes(destination)
  generated.set('metadata.json', renderMetadata(destination, SEGMENT_FOLDER))
  const stale: string[] = []
  for (const [file, content] of generated) {
    const current = await fs.readFile(path.join(SRC, file), 'utf8').catch(() => '')
    if (current !== content) stale.push(`src/${file}`)
    files.set(file, content)
  }
  if (stale.length > 0) {
    throw new Error(`Stale generated files (run \`npm run types\` and \`npm run metadata\`): ${stale.join(', ')}`)
  }

  for (const file of await filesUnder(TESTS)) files.set(exportedPath(file), await rewriteTest(file))
  files.set('CHANGES.md', await fs.readFile(CHANGES, 'utf8'))
  return files
}

export interface ExportResult {
  written: { file: string; bytes: number }[]
  /** Files that were in the target already and are not part of the export (with `force` only). */
  leftOver: string[]
}

/** Writes the folder into `target`, which must be empty or missing unless `force`. */
export async function exportSegmentFolder(target: string, { force = false } = {}): Promise<ExportResult> {
  const existing = await fs
    .readdir(target, { recursive: true, withFileTypes: true })
    .then((entries) =>
      entries.filter((e) => e.isFile()).map((e) => path.relative(target, path.join(e.parentPath, e.name)))
    )
    .catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return []
      throw error
    })
  if (existing.length > 0 && !force) {
    throw new Error(`${target} is not empty (${existing.length} files); pass --force to write into it anyway`)
  }
  const files = await segmentFolder()
  const written: ExportResult['written'] = []
  for (const [file, content] of files) {
    const destinationFile = path.join(target, file)
    await fs.mkdir(path.dirname(destinationFile), { recursive: true })
    await fs.writeFile(destinationFile, content)
    written.push({ file, bytes: Buffer.byteLength(content) })
  }
  const leftOver = existing.filter((file) => !files.has(file.split(path.sep).join('/'))).sort()
  return { written, leftOver }
}
