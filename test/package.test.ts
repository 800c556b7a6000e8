import { createTestIntegration } from '@segment/actions-core'
import { execFileSync } from 'child_process'
import path from 'path'

const root = path.join(__dirname, '..')

describe('the built package', () => {
  // `npm test` builds first (pretest); this loads what a runtime would install, not the TypeScript sources.
  it("default-exports the DestinationDefinition from package.json's main", () => {
    const script = `const d = require(${JSON.stringify(root)}).default; console.log(JSON.stringify({ name: d.name, slug: d.slug, actions: Object.keys(d.actions) }))`
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })
    expect(JSON.parse(out)).toEqual({
      name: 'Listrak (Actions)',
      slug: 'actions-listrak',
      actions: ['updateEmailContactProfileFields']
    })
  })

  it("registers with actions-core's Destination", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const definition = require(root).default
    const instance = createTestIntegration(definition)
    expect(Object.keys(instance.actions)).toEqual(['updateEmailContactProfileFields'])
    expect(instance.actions.updateEmailContactProfileFields.hasBatchSupport).toBe(true)
  })
})
