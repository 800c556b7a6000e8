const { Destination } = require('@segment/actions-core')
const listrak = require('listrak-actions').default

const destination = new Destination(listrak)

function env(name) {
  const value = process.env[name]
  if (!value) throw new Error(`Set ${name} to your Listrak API client's value (or the sandbox's).`)
  return value
}

const settings = {
  client_id: env('LISTRAK_CLIENT_ID'),
  client_secret: env('LISTRAK_CLIENT_SECRET'),
  oauth: {}, // actions-core keeps the access token here; a 401 from Listrak makes it fetch a new one
  subscription: {
    subscribe: 'context.personas.computation_key = "my_audience"',
    partnerAction: 'updateEmailContactProfileFields',
    mapping: {
      listId: 12345,
      emailAddress: { '@path': '$.context.traits.email' },
      profileFieldValues: { 6789: 'useAudienceKey' },
      traits_or_props: { '@path': '$.properties' },
      segment_audience_key: { '@path': '$.context.personas.computation_key' },
      event_name: { '@path': '$.event' },
      enable_batching: true
    }
  }
}

// An Engage "Audience Entered" event, as Segment sends it: jane@example.com joined my_audience.
const events = [
  {
    type: 'track',
    event: 'Audience Entered',
    userId: 'user-jane',
    properties: { audience_key: 'my_audience', my_audience: true },
    context: {
      traits: { email: 'jane@example.com' },
      personas: { computation_key: 'my_audience', computation_class: 'audience' }
    }
  }
]

destination.onBatch(events, settings).then(([{ multistatus }]) => {
  // One result per event, in order: status, and Listrak's answer or the reason it was refused.
  console.log(JSON.stringify(multistatus))
})
