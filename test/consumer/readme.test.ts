import { readFileSync } from 'fs'
import path from 'path'
import { section } from './readme'

const root = path.join(__dirname, '..', '..')
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))

describe("the README's Install and register", () => {
  // test/consumer/install.test.ts runs these files in an installed project: the README must show exactly them.
  it.each([
    ['register.cjs', 'js'],
    ['register.mjs', 'js'],
    ['register.ts', 'ts'],
    ['tsconfig.json', 'json']
  ])('shows examples/%s verbatim', (file, language) => {
    const code = readFileSync(path.join(root, 'examples', file), 'utf8')
    expect(section('Install and register')).toContain(`\`${file}\``)
    expect(section('Install and register')).toContain(`\n\`\`\`${language}\n${code}\`\`\`\n`)
  })

  it("lists every export of package.json's exports map", () => {
    for (const subpath of Object.keys(manifest.exports)) {
      expect(section('Install and register')).toContain(`| \`listrak-actions${subpath.slice(1)}\``)
    }
  })
})
