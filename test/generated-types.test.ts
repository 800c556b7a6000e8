import { spawnSync } from 'child_process'
import path from 'path'

const root = path.join(__dirname, '..')

// The same command a developer runs, in its own process, so that the test checks the command itself.
const check = () =>
  spawnSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/generate-types.ts', '--check'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000
  })

describe('generated types', () => {
  it('match the field definitions (run `npm run types` after changing a field)', () => {
    const result = check()
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })
})

describe("Segment's generate:types format", () => {
  it('writes an interface per name, choices as plain strings and objects inline, formatted with Prettier 2', async () => {
    const { generateTypes } = await import('../scripts/segment/generated-types')
    const types = await generateTypes(
      {
        mode: { label: 'Mode', description: 'How.', type: 'string', choices: ['a', 'b'], required: true },
        tags: { label: 'Tags', description: 'Which.', type: 'string', multiple: true, choices: ['x'] },
        when: { label: 'When', description: 'Time.', type: 'datetime', allowNull: true },
        person: {
          label: 'Person',
          description: 'Who.',
          type: 'object',
          properties: { name: { label: 'Name', type: 'string', required: true } }
        }
      },
      'Payload'
    )
    expect(types).toBe(
      [
        '// Generated file. DO NOT MODIFY IT BY HAND.',
        '',
        'export interface Payload {',
        '  /**',
        '   * How.',
        '   */',
        '  mode: string',
        '  /**',
        '   * Which.',
        '   */',
        '  tags?: string[]',
        '  /**',
        '   * Time.',
        '   */',
        '  when?: string | number | null',
        '  /**',
        '   * Who.',
        '   */',
        '  person?: {',
        '    name: string',
        '  }',
        '}',
        ''
      ].join('\n')
    )
  })
})
