/**
 * A synchronous last-resort cleanup on process exit (nothing async runs in an 'exit' handler): kill what
 * a run started if the process ends before the run's own teardown did. It listens only while it has
 * something to clean up, so runs that come and go in one process (a nightly of 50 scenarios, a long
 * `compare`) leave no 'exit' listener behind, and a second copy of this module (a scenario file that
 * loads chainsoak again) adds none while it holds nothing.
 */
export class ExitCleanup<T> {
  private readonly live = new Set<T>();
  private readonly onExit = () => this.cleanup([...this.live]);

  constructor(private readonly cleanup: (items: readonly T[]) => void) {}

  add(item: T): void {
    if (this.live.size === 0) process.on('exit', this.onExit);
    this.live.add(item);
  }

  has(item: T): boolean {
    return this.live.has(item);
  }

  delete(item: T): void {
    if (this.live.delete(item) && this.live.size === 0) process.removeListener('exit', this.onExit);
  }
}
