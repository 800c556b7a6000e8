/** The queue's keys in Redis, all under its prefix. */
export class QueueKeys {
  constructor(private readonly prefix: string) {}

  named(name: string): string {
    return `${this.prefix}:${name}`
  }

  /** The partition comes last: a subscription's name may hold colons, a partition number cannot. */
  stream(subscription: string, partition: number): string {
    return `${this.prefix}:events:${subscription}:${partition}`
  }

  attempts(subscription: string): string {
    return `${this.prefix}:attempts:${subscription}`
  }
}
