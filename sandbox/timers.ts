/** Timers of a stand-in (a run's next step, a reviewer's approval), all cleared when it stops. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Calls `fn` after `seconds`, unless cleared first. */
  after(seconds: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, seconds * 1000);
    this.pending.add(t);
  }

  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
