import type { SegmentEvent } from '@segment/actions-core'

/** Event shapes Engage sends for audiences: track "Audience Entered"/"Audience Exited" and identify. */

const personas = (audienceKey: string) => ({
  computation_key: audienceKey,
  computation_class: 'audience',
  computation_id: 'aud_2AbCdEfGhIjKlMnOp',
  space_id: 'spa_9ZyXwVuTsRqPoNm',
  namespace: 'spa_9ZyXwVuTsRqPoNm'
})

export function audienceTrack(email: string, audienceKey: string, member: boolean): Partial<SegmentEvent> {
  return {
    type: 'track',
    event: member ? 'Audience Entered' : 'Audience Exited',
    userId: `user-${email}`,
    properties: { audience_key: audienceKey, [audienceKey]: member },
    context: { traits: { email }, personas: personas(audienceKey) } as SegmentEvent['context']
  }
}

export function audienceIdentify(email: string, audienceKey: string, member: boolean): Partial<SegmentEvent> {
  return {
    type: 'identify',
    event: undefined,
    userId: `user-${email}`,
    // Engage identify calls carry no properties: the membership is a trait named after the audience.
    properties: undefined,
    traits: { email, [audienceKey]: member },
    context: { personas: personas(audienceKey) } as SegmentEvent['context']
  }
}
