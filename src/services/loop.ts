/**
 * The timer around a service's ticks: tick, sleep `intervalSeconds`, repeat, until stopped.
 * A failed tick is logged and the loop carries on (the database may come back); stopping
 * aborts the sleep and the tick in flight, whose transition then rolls back.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../logger.ts";
import type { BackgroundService } from "./service.ts";

/** Counts each tick's outcome (ran, skipped, failed) for the metrics endpoint. */
export type TickObserver = (service: string, outcome: string) => void;

export class ServiceLoop {
  readonly #service: BackgroundService;
  readonly #log: Logger;
  readonly #observe: TickObserver | undefined;
  readonly #abort = new AbortController();
  #done: Promise<void> | undefined;

  constructor(service: BackgroundService, log: Logger, observe?: TickObserver) {
    this.#service = service;
    this.#observe = observe;
    this.#log = log.child({ service: service.name });
  }

  /** Starts ticking at once; calling it again does nothing. */
  start(): void {
    this.#done ??= this.#run(this.#abort.signal);
  }

  /** Stops the loop and waits for the tick in flight to settle. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#done;
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const result = await this.#service.runOnce(signal);
        this.#log.debug({ result }, "tick");
        this.#observe?.(this.#service.name, result.status);
      } catch (error) {
        if (!signal.aborted) {
          this.#log.error({ err: error }, "tick failed; retrying next interval");
          this.#observe?.(this.#service.name, "failed");
        }
      }
      try {
        // Unref'd: a pending sleep must not keep a stopping process alive.
        await sleep(this.#service.intervalSeconds * 1000, undefined, { signal, ref: false });
      } catch {
        return; // aborted
      }
    }
  }
}
