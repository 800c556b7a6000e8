import { startSandbox } from '../sandbox'
import { FIRST_LIST } from './workloads'

/**
 * The sandbox in a process of its own, so the measured process's CPU and memory are the destination's alone.
 * Prints its URLs as one JSON line, then serves until killed.
 */
async function main() {
  const lists = Array.from({ length: 50 }, (_, i) => ({
    listId: FIRST_LIST + i,
    listName: `Bench ${i + 1}`,
    segmentationFieldGroups: [
      {
        segmentationFieldGroupId: 1,
        segmentationFieldGroupName: 'Engage Audiences',
        segmentationFields: [
          { segmentationFieldId: 6789, segmentationFieldName: 'my_audience', dataType: 'CheckBox' as const }
        ]
      }
    ]
  }))
  const sandbox = await startSandbox({
    fixture: { credentials: [{ clientId: 'bench', clientSecret: 'bench-secret' }], lists },
    historyLimit: 20
  })
  process.stdout.write(`${JSON.stringify({ url: sandbox.url, authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl })}\n`)
  process.on('SIGTERM', () => void sandbox.stop().then(() => process.exit(0)))
}

void main()
