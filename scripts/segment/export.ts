import { Dirent, promises as fs } from 'fs'
import { isBuiltin } from 'module'
import path from 'path'
import ts from 'typescript'
import destination from '../../src'
import { renderGeneratedTypes } from './generated-types'
import { renderMetadata } from './metadata'
import { prettier2, ROOT, segmentPrettierOptions } from './prettier2'
import { Stage, STAGES, stageSnapshots, stageSource } from './stages'

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
const PULL_REQUESTS = path.join(__dirname, 'pull-requests')
/** The file beside each stage's folder that holds its pull request's description. */
export const PULL_REQUEST_FILE = 'PULL_REQUEST.md'
const ALL_ACTIONS = Object.keys(destination.actions)

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
 * Every source the destination is made of in `stage`, staged (see stageSource), by file: src/index.ts and what
 * it imports, transitively. Whatever else sits in src/ is not the destination and stays out; an import of a
 * package other than `PACKAGES` is refused.
 */
async function destinationSources(stage: Stage): Promise<Map<string, string>> {
  const sources = new Map<string, string>()
  const pending = [path.join(SRC, 'index.ts')]
  for (let file = pending.pop(); file; file = pending.pop()) {
    if (sources.has(file)) continue
    const text = stageSource(await fs.readFile(file, 'utf8'), stage, ALL_ACTIONS)
    sources.set(file, text)
    for (const { fileName } of importsOf(text)) {
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
  return new Map([...sources].sort(([a], [b]) => a.localeCompare(b)))
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

/** The destination as it stands in `stage`: its actions, and the presets of those. */
function stagedDestination(stage: Stage): typeof destination {
  const actions = Object.fromEntries(Object.entries(destination.actions).filter(([key]) => stage.actions.includes(key)))
  const presets = destination.presets?.filter((preset) => stage.actions.includes(preset.partnerAction))
  return { ...destination, description: stage.description ?? destination.description, actions, presets }
}

/** Whether a test of this repository belongs to `stage`: an action's tests go with their action. */
function inStage(test: string, stage: Stage): boolean {
  const [top] = path.relative(TESTS, test).split(path.sep)
  return !ALL_ACTIONS.includes(top) || stage.actions.includes(top)
}

/**
 * The folder's files by path in `stage` (the last, with every action, unless given): the destination's sources
 * (staged, and formatted again when staging changed them), its generated files, metadata.json and the tests.
 * Refused while a generated file in src/ is stale, so that the folder is what this repository holds.
 */
export async function segmentFolder(stage: Stage = STAGES[STAGES.length - 1]): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const [file, text] of await destinationSources(stage)) {
    const original = await fs.readFile(file, 'utf8')
    const staged = text === original ? text : prettier2.format(text, { ...segmentPrettierOptions(), filepath: file })
    files.set(exportedPath(file), staged)
  }

  const staged = stagedDestination(stage)
  const generated = await renderGeneratedTypes(staged)
  generated.set('metadata.json', renderMetadata(staged, SEGMENT_FOLDER))
  const stale: string[] = []
  for (const [file, content] of await renderGeneratedTypes(destination)) {
    const current = await fs.readFile(path.join(SRC, file), 'utf8').catch(() => '')
    if (current !== content) stale.push(`src/${file}`)
  }
  const metadata = await fs.readFile(path.join(SRC, 'metadata.json'), 'utf8').catch(() => '')
  if (metadata !== renderMetadata(destination, SEGMENT_FOLDER)) stale.push('src/metadata.json')
  if (stale.length > 0) {
    throw new Error(`Stale generated files (run \`npm run types\` and \`npm run metadata\`): ${stale.join(', ')}`)
  }
  for (const [file, content] of generated) files.set(file, content)

  for (const file of await filesUnder(TESTS)) {
    if (!inStage(file, stage)) continue
    if (file.endsWith('.snap')) {
      files.set(exportedPath(file), stageSnapshots(await fs.readFile(file, 'utf8'), stage, ALL_ACTIONS))
    } else {
      files.set(exportedPath(file), await rewriteTest(file))
    }
  }
  return files
}

export interface ExportResult {
  /** The stage's folder, with the monorepo's destination folder inside it. */
  dir: string
  stage: Stage
  written: { file: string; bytes: number }[]
}

/** Lists a folder's files, relative to it; none when it does not exist. */
async function existingFiles(dir: string): Promise<string[]> {
  return fs
    .readdir(dir, { recursive: true, withFileTypes: true })
    .then((entries) =>
      entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    )
    .catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return []
      throw error
    })
}

/** Writes `files` under `dir`. */
async function writeFiles(dir: string, files: Map<string, string>): Promise<ExportResult['written']> {
  const written: ExportResult['written'] = []
  for (const [file, content] of files) {
    const target = path.join(dir, file)
    await fs.mkdir(path.dirname(target), { recursive: true })
    await fs.writeFile(target, content)
    written.push({ file, bytes: Buffer.byteLength(content) })
  }
  return written
}

/**
 * Writes one stage's folder into `folder` (for example the monorepo's destination folder), which must be empty or
 * missing unless `force`. Files already there that are not part of the export are listed, not deleted.
 */
export async function exportStageFolder(
  folder: string,
  stage: Stage,
  { force = false } = {}
): Promise<ExportResult & { leftOver: string[] }> {
  const existing = await existingFiles(folder)
  if (existing.length > 0 && !force) {
    throw new Error(`${folder} is not empty (${existing.length} files); pass --force to write into it anyway`)
  }
  const files = await segmentFolder(stage)
  const written = await writeFiles(folder, files)
  const leftOver = existing.filter((file) => !files.has(file.split(path.sep).join('/'))).sort()
  return { dir: folder, stage, written, leftOver }
}

/**
 * Writes the series into `target`, which must be empty or missing unless `force`: for each stage,
 * `<stage>/listrak/` (the monorepo's destination folder as its pull request leaves it) and `<stage>/PULL_REQUEST.md`
 * (the pull request's description) beside it. With `force`, each stage's folder is replaced; nothing else in
 * `target` is touched.
 */
export async function exportSeries(target: string, { force = false } = {}): Promise<ExportResult[]> {
  const existing = await existingFiles(target)
  if (existing.length > 0 && !force) {
    throw new Error(`${target} is not empty (${existing.length} files); pass --force to replace the series there`)
  }
  const stages = []
  for (const stage of STAGES) {
    const description = await fs.readFile(path.join(PULL_REQUESTS, stage.pullRequest), 'utf8')
    stages.push({ stage, files: await segmentFolder(stage), description })
  }
  const results: ExportResult[] = []
  for (const { stage, files, description } of stages) {
    const dir = path.join(target, stage.name)
    await fs.rm(dir, { recursive: true, force: true })
    const written = await writeFiles(dir, new Map([[PULL_REQUEST_FILE, description]]))
    written.push(...(await writeFiles(path.join(dir, SEGMENT_FOLDER), files)))
    results.push({ dir, stage, written })
  }
  return results
}
