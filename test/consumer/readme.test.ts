import { readFileSync } from 'fs'
import path from 'path'
import { section } from './readme'

const root = path.join(__dirname, '..', '..')
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const INSTALL = 'Install and register'
const DETAILS = 'docs/install.md'

describe("the README's Install and register, and the other ways in docs/install.md", () => {
  // test/consumer/install.test.ts runs these files in an installed project: the docs must show exactly them.
  const shows = (file: string, language: string, text: string) => {
    const code = readFileSync(path.join(root, 'examples', file), 'utf8')
    expect(text).toContain(`\`${file}\``)
    expect(text).toContain(`\n\`\`\`${language}\n${code}\`\`\`\n`)
  }

  it('shows examples/register.cjs verbatim in the README', () => {
    shows('register.cjs', 'js', section(INSTALL))
  })

  it.each(['register.mjs', 'register.ts', 'tsconfig.json'])('links examples/%s from the README', (file) => {
    expect(section(INSTALL)).toContain(`](examples/${file})`)
  })

  it('shows examples/tsconfig.json verbatim in docs/install.md, beside the compile commands', () => {
    shows('tsconfig.json', 'json', section('ES modules and TypeScript', DETAILS))
  })

  it("lists every export of package.json's exports map in docs/install.md", () => {
    for (const subpath of Object.keys(manifest.exports)) {
      expect(section('Its entry points', DETAILS)).toContain(`\n- \`listrak-actions${subpath.slice(1)}\`:`)
    }
  })
})
