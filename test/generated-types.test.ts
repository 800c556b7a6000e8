import { spawnSync } from 'child_process'
import path from 'path'

const root = path.join(__dirname, '..')

// The generator runs in its own process: prettier, which formats its output, loads through dynamic imports.
const check = () =>
  spawnSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/generate-types.ts', '--check'], {
    cwd: root,
    encoding: 'utf8'
  })

describe('generated types', () => {
  it('match the field definitions (run `npm run types` after changing a field)', () => {
    const result = check()
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
  })
})
