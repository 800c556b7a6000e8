import path from 'path'
import destination from '../src'
import { SEGMENT_FOLDER } from './segment/export'
import { renderMetadata } from './segment/metadata'
import { run, syncGeneratedFiles } from './segment/sync'

/** `npm run metadata [-- --check]`: src/metadata.json, as Segment's `generate:metadata-payload` writes it. */
run(() =>
  syncGeneratedFiles(
    new Map([[path.join(__dirname, '..', 'src', 'metadata.json'), renderMetadata(destination, SEGMENT_FOLDER)]]),
    {
      check: process.argv.includes('--check'),
      what: 'metadata.json',
      command: 'npm run metadata'
    }
  )
)
