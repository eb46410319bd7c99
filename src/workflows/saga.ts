// Compensations as a list: each forward step that changes production pushes the step that undoes
// it; `compensate` runs them newest first, in a non-cancellable scope so a cancelled release still
// puts production back.
import { CancellationScope, log } from '@temporalio/workflow';

export interface Compensation {
  name: string;
  run: () => Promise<void>;
}

export class Saga {
  private readonly stack: Compensation[] = [];
  /** Names of compensations that ran, in order (kept for the report and tests). */
  readonly ran: string[] = [];
  /** Told after each compensation ran (the audit log records it). */
  observer?: (name: string, error?: unknown) => void;

  add(name: string, run: () => Promise<void>): void {
    this.stack.push({ name, run });
  }

  /** Drops a compensation that is no longer wanted (e.g. blue is gone after the retention window). */
  remove(name: string): void {
    const i = this.stack.findIndex((c) => c.name === name);
    if (i >= 0) this.stack.splice(i, 1);
  }

  /** Forgets every compensation: the release is promoted and the undo path is a new one. */
  clear(): void {
    this.stack.length = 0;
  }

  get pending(): string[] {
    return this.stack.map((c) => c.name).reverse();
  }

  /**
   * Runs every compensation newest first. A failing one is logged and the rest still run; the first error is rethrown
   * at the end.
   */
  async compensate(): Promise<void> {
    let firstError: unknown;
    await CancellationScope.nonCancellable(async () => {
      while (this.stack.length) {
        const c = this.stack.pop()!;
        this.ran.push(c.name);
        try {
          await c.run();
          this.observer?.(c.name);
        } catch (err) {
          log.error('compensation failed', { compensation: c.name, error: String(err) });
          this.observer?.(c.name, err);
          firstError ??= err;
        }
      }
    });
    if (firstError) throw firstError;
  }
}
