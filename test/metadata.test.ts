import { spawnSync } from 'child_process'
import path from 'path'

const root = path.join(__dirname, '..')

// The same command a developer runs, in its own process, as for the generated types.
const check = () =>
  spawnSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/generate-metadata.ts', '--check'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000
  })

describe('src/metadata.json', () => {
  it('matches the destination definition (run `npm run metadata` after changing a setting, field or action)', () => {
    const result = check()
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })
})

describe("Segment's generate:metadata-payload format", () => {
  it('writes every key of a field in its order, null where unset, and the names of dynamic keys and values', async () => {
    const { serializeAction } = await import('../scripts/segment/metadata')
    const action = serializeAction('doIt', {
      title: 'Do It',
      description: 'Does it.',
      fields: {
        kind: { label: 'Kind', type: 'string', choices: ['a'], unsafe_hidden: true, dynamic: () => undefined }
      },
      dynamicFields: { kind: () => undefined, values: { __keys__: () => undefined, other: () => undefined } },
      perform: () => undefined
    })
    expect(JSON.stringify(action)).toBe(
      JSON.stringify({
        title: 'Do It',
        description: 'Does it.',
        platform: 'cloud',
        defaultSubscription: null,
        hidden: false,
        hasPerformBatch: false,
        syncMode: null,
        hooks: null,
        dynamicFields: { values: ['__keys__'] },
        fields: {
          kind: {
            label: 'Kind',
            type: 'string',
            required: false,
            multiple: false,
            allowNull: false,
            dynamic: true,
            default: null,
            choices: [{ label: 'a', value: 'a' }],
            placeholder: null,
            properties: null,
            category: null,
            depends_on: null,
            readOnly: null,
            hidden: true,
            minimum: null,
            maximum: null,
            defaultObjectUI: null,
            disabledInputMethods: null,
            displayMode: null,
            format: null,
            additionalProperties: false
          }
        }
      })
    )
  })
})
