import { readdirSync, readFileSync } from 'fs'
import path from 'path'

const root = path.join(__dirname, '..')

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => path.resolve(path.dirname(file), m[1]))
}

describe('layout', () => {
  it.each([
    ['src', 'sandbox'],
    ['src', 'runtime'],
    ['sandbox', 'src'],
    ['sandbox', 'runtime']
  ])('%s imports nothing from %s', (dir, forbidden) => {
    for (const file of sources(dir)) {
      for (const target of importsOf(file)) {
        expect([file, target.startsWith(path.join(root, forbidden) + path.sep)]).toEqual([file, false])
      }
    }
  })
})
