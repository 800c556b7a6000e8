import path from 'path'
import pino from 'pino'
import { loadConfigFile } from '../runtime/config'
import { replay } from '../runtime/commands/replay'
import { formatSummary } from '../runtime/commands/replay/summary'
import { startSandbox } from '../sandbox'

interface ContactDetail {
  emailAddress: string
  subscriptionState: string
  externalContactID: string | null
  events: { eventId: number }[]
  fields: Record<string, string>
}

interface MessagesSent {
  total: number
  perRecipient: Record<string, number>
  data: {
    emailAddress: string
    transactionalMessageId: number
    segmentationFieldValues: { segmentationFieldId: number; value: string }[]
  }[]
}

/**
 * `npm run demo`: starts the sandbox, replays the example Engage events through the runtime's pipeline with the
 * example config, and shows each contact's profile fields in the sandbox before and after. Then the other actions
 * on the same sandbox: contacts subscribed and unsubscribed, with their state, and transactional messages sent.
 */
async function main() {
  const root = path.join(__dirname, '..')
  const sandbox = await startSandbox()
  const show = (title: string) => {
    const contacts = sandbox.state.contactsOf(12345)
    console.log(`\n${title}: list 12345 "Newsletter" in the sandbox (${sandbox.url})`)
    if (contacts.length === 0) console.log('  (no contacts yet)')
    for (const { emailAddress, fields } of contacts)
      console.log(`  ${emailAddress.padEnd(22)} ${JSON.stringify(fields)}`)
  }
  const sandboxJson = async <T>(route: string) => (await (await fetch(`${sandbox.url}${route}`)).json()) as T
  const showStates = async (title: string) => {
    const { contacts } = await sandboxJson<{ contacts: ContactDetail[] }>('/_sandbox/lists/12345/contacts?detail=full')
    console.log(`\n${title}: list 12345 "Newsletter", GET /_sandbox/lists/12345/contacts?detail=full`)
    for (const { emailAddress, subscriptionState, externalContactID, events, fields } of contacts) {
      const extra = [
        externalContactID ? `external ID ${externalContactID}` : '',
        events.length ? `events ${events.map((e) => e.eventId).join(', ')}` : ''
      ].filter(Boolean)
      console.log(
        `  ${emailAddress.padEnd(22)} ${subscriptionState.padEnd(12)} ${JSON.stringify(fields)}` +
          (extra.length ? `  ${extra.join(', ')}` : '')
      )
    }
  }
  /** Replays an example file; `brief` sums it up in a line rather than the whole table. */
  const replayExample = async (configName: string, events: string, brief = false) => {
    const config = loadConfigFile(path.join(root, 'examples', configName), {})
    config.settings = { client_id: 'demo-client-id', client_secret: 'demo-client-secret' }
    config.listrak = { authUrl: sandbox.authUrl, apiUrl: sandbox.apiUrl }
    config.delivery.deadLetterFile = path.join(root, 'dead-letters.demo.ndjson')
    // A demo keeps nothing between runs: the in-memory queue, and its dead letters in the NDJSON file.
    config.queue.memory = true
    console.log(`\nReplaying examples/events/${events} with examples/${configName}`)
    const summary = await replay(path.join(root, 'examples', 'events', events), config, {
      logger: pino({ level: 'warn' }),
      progress: 'none'
    })
    if (!brief) console.log(formatSummary(summary).replace(/^/gm, '  '))
    else {
      const unchanged = Object.values(summary.unchanged).reduce((sum, n) => sum + n, 0)
      console.log(
        `  ${summary.read} read, ${summary.delivered} delivered${unchanged ? ` (${unchanged} unchanged)` : ''}, ` +
          `${summary.deadLettered} dead-lettered`
      )
    }
  }
  try {
    show('Before')
    await replayExample('config.json', 'track-audience.ndjson')
    await replayExample('config.json', 'identify-audience.ndjson')
    show('After')

    // The contact actions: Audience Entered subscribes (external ID, a profile field, the Welcome Series event);
    // Unsubscribed unsubscribes, and nothing subscribes that contact again.
    await replayExample('config.upsert-contact.json', 'audience-entered.ndjson', true)
    await showStates('Subscribed')
    await replayExample('config.unsubscribe.json', 'unsubscribed.ndjson', true)
    await showStates('Unsubscribed')

    // Send Transactional Message: one Order Confirmation per Order Completed event, with its merge values.
    await replayExample('config.transactional.json', 'order-completed.ndjson', true)
    const sent = await sandboxJson<MessagesSent>('/_sandbox/messages')
    const most = Math.max(...Object.values(sent.perRecipient))
    console.log(
      `\nTransactional messages sent: ${sent.total} to ${Object.keys(sent.perRecipient).length} recipient(s), ` +
        `at most ${most} each (GET /_sandbox/messages)`
    )
    for (const { emailAddress, transactionalMessageId, segmentationFieldValues } of sent.data) {
      const values = Object.fromEntries(segmentationFieldValues.map((v) => [v.segmentationFieldId, v.value]))
      console.log(
        `  ${emailAddress.padEnd(22)} message ${transactionalMessageId}  merge values ${JSON.stringify(values)}`
      )
    }
  } finally {
    await sandbox.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
