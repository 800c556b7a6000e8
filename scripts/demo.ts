import path from 'path'
import pino from 'pino'
import { loadConfigFile } from '../runtime/config'
import { replay, formatSummary } from '../runtime/replay'
import { startSandbox } from '../sandbox'

/**
 * `npm run demo`: starts the sandbox, replays the example Engage events through the runtime's pipeline with the
 * example config, and shows each contact's profile fields in the sandbox before and after.
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
  try {
    show('Before')
    for (const [configName, events] of [
      ['config.json', 'track-audience.ndjson'],
      ['config.json', 'identify-audience.ndjson']
    ]) {
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
      console.log(formatSummary(summary).replace(/^/gm, '  '))
    }
    show('After')
  } finally {
    await sandbox.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
