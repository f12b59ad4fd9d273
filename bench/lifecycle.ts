/**
 * The load shape shared by flowgate and the raw-SQL baseline: `clients` async loops take runs
 * from one queue and drive each SCHEDULED → PENDING → RUNNING → COMPLETED, timing every
 * transition, until the deadline passes or the runs run out.
 */

export const LIFECYCLE = ["PENDING", "RUNNING", "COMPLETED"] as const;
export type Target = (typeof LIFECYCLE)[number];

/** One transition; resolves true when it was accepted. */
export type Transition = (runId: string, target: Target, client: number) => Promise<boolean>;

export interface LoadResult {
  readonly transitions: number;
  /** Transitions answered with anything but ACCEPT (the run is then abandoned). */
  readonly notAccepted: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly elapsedMs: number;
  readonly latenciesMs: number[];
  /** True when the queue emptied before the deadline. */
  readonly ranOut: boolean;
}

export async function driveLifecycles(
  clients: number,
  runIds: string[],
  durationMs: number,
  transition: Transition,
): Promise<LoadResult> {
  const queue = runIds.slice().reverse();
  const latenciesMs: number[] = [];
  let transitions = 0;
  let notAccepted = 0;
  let errors = 0;
  let firstError: string | null = null;
  let ranOut = false;
  const start = performance.now();
  const deadline = start + durationMs;

  async function client(index: number): Promise<void> {
    while (performance.now() < deadline) {
      const runId = queue.pop();
      if (runId === undefined) {
        ranOut = true;
        return;
      }
      for (const target of LIFECYCLE) {
        if (performance.now() >= deadline) return;
        const t0 = performance.now();
        let accepted = false;
        try {
          accepted = await transition(runId, target, index);
        } catch (error) {
          errors++;
          firstError ??= String(error);
          break;
        }
        latenciesMs.push(performance.now() - t0);
        transitions++;
        if (!accepted) {
          notAccepted++;
          break;
        }
      }
    }
  }

  await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
  return {
    transitions,
    notAccepted,
    errors,
    firstError,
    elapsedMs: performance.now() - start,
    latenciesMs,
    ranOut,
  };
}
