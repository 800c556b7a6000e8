import { Destination } from '@segment/actions-core'
import type { DestinationDefinition, SegmentEvent } from '@segment/actions-core'
import path from 'path'
import type listrakPackage from '../package'
import { PEER_DIR } from './peer'
import { BATCH_SIZE, mappingFor, workloadEvents } from './workloads'
import type { BenchDestination, Workload } from './workloads'

/**
 * One measured run in a process of its own: one destination, one workload, batches through actions-core's
 * `Destination.executeBatch`, against the sandbox. Prints one JSON line of measurements.
 */

const WARM_UP_BATCHES = 10
const [destinationArg, workloadJson, sandboxJson] = process.argv.slice(2)
const destinationName = destinationArg as BenchDestination
const workload = JSON.parse(workloadJson) as Workload
const sandbox = JSON.parse(sandboxJson) as { url: string; authUrl: string; apiUrl: string }

/** Both destinations talk to Listrak's real URLs; the fetch layer sends those requests to the sandbox, alike. */
function routeListrakToSandbox() {
  // actions-core does not export its fetch module; it reads `default` on every request, so replacing it works.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fetchModule = require(path.join(path.dirname(require.resolve('@segment/actions-core')), 'fetch.js'))
  const original = fetchModule.default
  const rewrite = (url: string) =>
    url
      .replace('https://auth.listrak.com/OAuth2/Token', sandbox.authUrl)
      .replace('https://api.listrak.com/email/v1', sandbox.apiUrl)
  fetchModule.default = async (request: {
    url: string
    method: string
    headers: unknown
    signal: unknown
    buffer(): Promise<Buffer>
  }) => {
    const url = rewrite(request.url)
    if (url === request.url) return original(request)
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.buffer()
    return original(
      new fetchModule.Request(url, { method: request.method, headers: request.headers, body, signal: request.signal })
    )
  }
}

// This project's destination as a consumer gets it: `require('listrak-actions')` resolves through the package's
// own `exports` to the built entry (`npm run bench` builds first), named `Listrak-Actions` and guarded as installed.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ours: typeof listrakPackage = require('listrak-actions').default

/**
 * actions-core validates payloads with ajv under the key `<destination name>:<action title>`, and ajv keeps the
 * first schema compiled under a key for the whole process: destinations sharing a name would share one schema.
 * The peer (published as "Listrak (Actions)", as `src/` is) and the floor get names of their own, names that are
 * valid URI schemes as ajv needs (see `runtime/destination/index.ts`).
 */
const NAMES: Record<BenchDestination, string> = {
  ours: ours.name,
  peer: 'Listrak-Peer',
  floor: 'Listrak-Floor',
  // The same destination as `ours`, its mapping differing only in Bulk Import Large Batches.
  bulk: ours.name
}

function definitionFor(name: BenchDestination): DestinationDefinition {
  if (name === 'ours' || name === 'bulk') return ours as unknown as DestinationDefinition
  if (name === 'peer') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const peer = require(PEER_DIR).default as DestinationDefinition
    return { ...peer, name: NAMES.peer }
  }
  // The framework floor: our fields, mapping and validation, and an action that does nothing.
  const action = ours.actions[workload.action]
  return {
    ...(ours as unknown as DestinationDefinition),
    name: NAMES.floor,
    actions: { [workload.action]: { ...action, perform: async () => undefined, performBatch: async () => undefined } }
  } as unknown as DestinationDefinition
}

const getJson = async (url: string) => (await fetch(url)).json() as Promise<Record<string, number>>

async function main() {
  routeListrakToSandbox()
  const token = (await (
    await fetch(sandbox.authUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=bench&client_secret=bench-secret'
    })
  ).json()) as { access_token: string }
  const destination = new Destination(definitionFor(destinationName))
  const bundle = {
    mapping: mappingFor(workload, destinationName),
    settings: { client_id: 'bench', client_secret: 'bench-secret' },
    auth: { accessToken: token.access_token, refreshToken: '' }
  }
  const run = async (events: SegmentEvent[]) => {
    let ok = 0
    for (let i = 0; i < events.length; i += BATCH_SIZE) {
      const results = await destination.executeBatch(workload.action, {
        ...bundle,
        events: events.slice(i, i + BATCH_SIZE)
      } as never)
      ok += (results as { status: number }[]).filter((r) => r.status >= 200 && r.status < 300).length
      destination.responses.length = 0
    }
    return ok
  }

  // Warm-up without added latency: batches of other events, so the measured run starts with optimized code.
  await run(workloadEvents({ ...workload, events: WARM_UP_BATCHES * BATCH_SIZE }, 99) as unknown as SegmentEvent[])
  await fetch(`${sandbox.url}/_sandbox/faults`, {
    method: 'POST',
    body: JSON.stringify({ latencyMs: workload.latencyMs })
  })
  const events = workloadEvents(workload) as unknown as SegmentEvent[]
  const before = await getJson(`${sandbox.url}/_sandbox/stats`)
  const cpu = process.cpuUsage()
  const start = performance.now()
  let delivered = 0
  for (let pass = 0; pass < workload.passes; pass++) delivered += await run(events)
  const wallMs = performance.now() - start
  const { user, system } = process.cpuUsage(cpu)
  const after = await getJson(`${sandbox.url}/_sandbox/stats`)
  process.stdout.write(
    `${JSON.stringify({
      destination: destinationName,
      name: NAMES[destinationName],
      workload: workload.id,
      events: events.length * workload.passes,
      delivered,
      wallMs,
      cpuMs: (user + system) / 1000,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      requests: after.requests - before.requests,
      // The largest profile field import or list import: W1–W4 send the first, B1 with bulk imports the second.
      largestRequestContacts: Math.max(after.largestImportContacts, after.largestListImportRows),
      largestRequestBytes: Math.max(after.largestImportBytes, after.largestListImportBytes)
    })}\n`
  )
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
