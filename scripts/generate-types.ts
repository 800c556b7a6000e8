import path from 'path'
import destination from '../src'
import { renderGeneratedTypes } from './segment/generated-types'
import { syncGeneratedFiles, run } from './segment/sync'

/** `npm run types [-- --check]`: every generated-types.ts of src/, as Segment's `generate:types` writes it. */
run(async () => {
  const src = path.join(__dirname, '..', 'src')
  const rendered = await renderGeneratedTypes(destination)
  const files = new Map([...rendered].map(([file, content]) => [path.join(src, file), content]))
  return syncGeneratedFiles(files, {
    check: process.argv.includes('--check'),
    what: 'generated types',
    command: 'npm run types'
  })
})
