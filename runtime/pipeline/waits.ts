/** Waits on a condition of the pipeline, checked again at each `wake`. */
export class Waiters {
  private waiters: { test: () => boolean; resolve: () => void }[] = []

  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ test, resolve }))
  }

  wake(): void {
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.test()) return true
      waiter.resolve()
      return false
    })
  }
}

/** Timed waits that can all be ended at once, when the pipeline stops. */
export class Pauses {
  private readonly pauses = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>()

  pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.pauses.delete(entry)
          resolve()
        }, ms),
        resolve
      }
      this.pauses.add(entry)
    })
  }

  end(): void {
    for (const entry of this.pauses) {
      clearTimeout(entry.timer)
      entry.resolve()
    }
    this.pauses.clear()
  }
}
