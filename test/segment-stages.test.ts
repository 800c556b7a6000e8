import { readFileSync } from 'fs'
import path from 'path'
import destination from '../src'
import { findStage, Stage, STAGES, stageSnapshots, stageSource } from '../scripts/segment/stages'

/** How the series of pull requests cuts the destination to a stage's actions, on small sources and on src/'s. */

const ALL = ['updateEmailContactProfileFields', 'upsertContact', 'sendTransactionalMessage']
const FIRST: Stage = {
  name: '1-first',
  actions: ['updateEmailContactProfileFields'],
  description: 'First.',
  pullRequest: ''
}

const SOURCE = `import updateEmailContactProfileFields from './updateEmailContactProfileFields'
// The contact action.
import upsertContact from './upsertContact'
import { presets } from './presets'

export default {
  name: 'Listrak (Actions)',
  description: 'Everything.',
  actions: {
    updateEmailContactProfileFields,
    upsertContact,
    sendTransactionalMessage: send
  },
  presets
}
`

describe('stageSource', () => {
  it("takes out the later actions' imports and entries, and gives the destination the stage's description", () => {
    const staged = stageSource(SOURCE, FIRST, ALL)
    expect(staged).not.toMatch(/upsertContact|sendTransactionalMessage|contact action|Everything/)
    expect(staged).toContain("import updateEmailContactProfileFields from './updateEmailContactProfileFields'")
    expect(staged).toContain("import { presets } from './presets'")
    expect(staged).toContain('description: "First."')
    expect(staged).toMatch(/actions: \{\s*updateEmailContactProfileFields,?\s*\}/)
  })

  it('takes out the presets of the later actions', () => {
    const presets = `export const presets = [
  { name: 'Sync', partnerAction: 'updateEmailContactProfileFields', mapping: {} },
  { name: 'Subscribe', partnerAction: 'upsertContact', mapping: {} }
]
`
    const staged = stageSource(presets, FIRST, ALL)
    expect(staged).toContain("name: 'Sync'")
    expect(staged).not.toContain('Subscribe')
  })

  it('leaves a source that names no later action as it is', () => {
    const text = "import { z } from 'zod'\nexport const description = 'Keep profile fields in step.'\n"
    expect(stageSource(text, FIRST, ALL)).toBe(text)
  })

  it('refuses a source that still names a later action after staging', () => {
    const text = "import { merge } from './upsertContact/merge'\nexport const use = merge\n"
    expect(() => stageSource(text, FIRST, ALL)).toThrow(
      'A source still names upsertContact after staging; stage it by hand or move the use'
    )
  })

  it("leaves src/index.ts whole in the last stage, and holds only the first action's in the first", () => {
    const index = readFileSync(path.join(__dirname, '..', 'src', 'index.ts'), 'utf8')
    const keys = Object.keys(destination.actions)
    const last = STAGES[STAGES.length - 1]
    expect(last.actions.slice().sort()).toEqual(keys.slice().sort())
    expect(stageSource(index, last, keys)).toBe(index)
    const first = stageSource(index, STAGES[0], keys)
    for (const action of keys.filter((key) => !STAGES[0].actions.includes(key))) expect(first).not.toContain(action)
  })
})

describe('stageSnapshots', () => {
  const snap = [
    '// Jest Snapshot v1, https://goo.gl/fbAQLP',
    '',
    'exports[`Testing snapshot for actions-listrak destination: updateEmailContactProfileFields action - all fields 1`] = `',
    'Object {}',
    '`;',
    '',
    'exports[`Testing snapshot for actions-listrak destination: upsertContact action - all fields 1`] = `',
    'Object {}',
    '`;',
    ''
  ].join('\n')

  it("drops the snapshots named after a later stage's action and keeps the file's form", () => {
    const staged = stageSnapshots(snap, FIRST, ALL)
    expect(staged).toContain('updateEmailContactProfileFields action - all fields 1')
    expect(staged).not.toContain('upsertContact')
    expect(staged.startsWith('// Jest Snapshot v1')).toBe(true)
    expect(staged.endsWith('`;\n')).toBe(true)
  })

  it('keeps every snapshot in a stage with every action', () => {
    expect(stageSnapshots(snap, { ...FIRST, actions: ALL }, ALL)).toBe(snap)
  })
})

describe('findStage', () => {
  it('finds a stage by its number from 1 or its name, and nothing else', () => {
    expect(findStage('1')).toBe(STAGES[0])
    expect(findStage(STAGES[1].name)).toBe(STAGES[1])
    expect(findStage('0')).toBeUndefined()
    expect(findStage(String(STAGES.length + 1))).toBeUndefined()
  })
})
