/** A bounded record: keeps the newest `limit` items and counts what it let go. */
export class History<T> {
  private items: T[] = []
  private droppedCount = 0

  constructor(private readonly limit: number) {}

  push(item: T): void {
    this.items.push(item)
    if (this.items.length > this.limit) {
      this.items.shift()
      this.droppedCount++
    }
  }

  toJSON() {
    return {
      total: this.items.length + this.droppedCount,
      kept: this.items.length,
      dropped: this.droppedCount,
      note:
        this.droppedCount > 0
          ? `Only the newest ${this.limit} are kept; ${this.droppedCount} older ones were dropped.`
          : undefined,
      data: this.items
    }
  }

  get all(): readonly T[] {
    return this.items
  }

  clear(): void {
    this.items = []
    this.droppedCount = 0
  }
}
