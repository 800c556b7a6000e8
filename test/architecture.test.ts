import { readdirSync, readFileSync } from 'fs'
import path from 'path'

const root = path.join(__dirname, '..')

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/(?:from|^import) '([^']+)'/gm)].map((m) =>
    path.resolve(path.dirname(file), m[1])
  )
}

describe('layout', () => {
  it.each([
    ['src', 'sandbox'],
    ['src', 'runtime'],
    ['src', 'package'],
    ['sandbox', 'src'],
    ['sandbox', 'runtime'],
    ['sandbox', 'package'],
    // The package re-exports the runtime's entries; nothing imports upward.
    ['runtime', 'package']
  ])('%s imports nothing from %s', (dir, forbidden) => {
    const folder = path.join(root, forbidden)
    for (const file of sources(dir)) {
      for (const target of importsOf(file)) {
        // `../package` alone names the folder (its index.ts).
        expect([file, target === folder || target.startsWith(folder + path.sep)]).toEqual([file, false])
      }
    }
  })

  it('package holds no code of its own: its entries only re-export', () => {
    for (const file of sources('package')) {
      const rest = readFileSync(file, 'utf8')
        .replace(/^\s*\/\/.*$/gm, '')
        .replace(/^export (type )?\{[^}]*\} from '[^']+'$/gm, '')
      expect([path.relative(root, file), rest.trim()]).toEqual([path.relative(root, file), ''])
    }
  })
})

describe('the destination', () => {
  // An action's folder is the one with its generated types; what actions share lives beside them, never in one.
  const actionFolders = readdirSync(path.join(root, 'src'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => path.join(root, 'src', entry.name))
    .filter((dir) => sources(path.relative(root, dir)).some((file) => file === path.join(dir, 'generated-types.ts')))

  it('has an action folder for each of its actions', () => {
    expect(actionFolders.map((dir) => path.basename(dir)).sort()).toEqual([
      'sendTransactionalMessage',
      'unsubscribeContact',
      'updateEmailContactProfileFields',
      'upsertContact'
    ])
  })

  it.each(actionFolders.map((dir) => [path.basename(dir), dir]))(
    'the %s folder imports nothing from another action folder',
    (_name, dir) => {
      const others = actionFolders.filter((other) => other !== dir).map((other) => other + path.sep)
      for (const file of sources(path.relative(root, dir))) {
        const crossing = importsOf(file)
          .filter((target) => others.some((other) => target.startsWith(other)))
          .map((target) => path.relative(root, target))
        expect([path.relative(root, file), crossing]).toEqual([path.relative(root, file), []])
      }
    }
  )
})

describe('imports', () => {
  // Every module the project ships: the destination, the sandbox, the runtime, the package entries and the CLI.
  const files = [...['src', 'sandbox', 'runtime', 'package'].flatMap(sources), path.join(root, 'cli.ts')]
  const modules = new Set(files.map((file) => file.replace(/\.ts$/, '')))
  /** An import's module: `../src` is `../src/index`. */
  const moduleOf = (target: string) => (modules.has(target) ? target : path.join(target, 'index'))
  const graph = new Map(
    files.map((file) => [
      file.replace(/\.ts$/, ''),
      importsOf(file)
        .map(moduleOf)
        .filter((target) => modules.has(target))
    ])
  )

  it('resolves every relative import to one of the modules it looks at', () => {
    const unresolved = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/(?:from|^import) '(\.[^']*)'/gm)]
        .filter((m) => !m[1].endsWith('.json'))
        .filter((m) => !modules.has(moduleOf(path.resolve(path.dirname(file), m[1]))))
        .map((m) => `${path.relative(root, file)}: ${m[1]}`)
    )
    expect(unresolved).toEqual([])
  })

  it('has no cycles: data flows one way through the modules', () => {
    const cycles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const visit = (node: string, trail: string[]) => {
      if (state.get(node) === 'done') return
      if (state.get(node) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(node)), node].map((f) => path.relative(root, f)).join(' -> '))
        return
      }
      state.set(node, 'open')
      for (const next of graph.get(node) ?? []) visit(next, [...trail, node])
      state.set(node, 'done')
    }
    for (const node of graph.keys()) visit(node, [])
    expect(cycles).toEqual([])
  })
})
