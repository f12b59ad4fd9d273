/** The loop around a service's ticks: keeps going after a failed tick, stops promptly. */
import { expect, it } from "vitest";
import { createLogger } from "../../../src/logger.ts";
import {
  type BackgroundService,
  ServiceLoop,
  type TickResult,
} from "../../../src/services/index.ts";

const log = createLogger("silent");

/** A service whose ticks follow a script; records the signal each tick got. */
class ScriptedService implements BackgroundService {
  readonly name = "scripted";
  readonly intervalSeconds: number;
  readonly signals: AbortSignal[] = [];
  readonly #script: ((signal: AbortSignal) => Promise<TickResult>)[];

  constructor(intervalSeconds: number, script: ((signal: AbortSignal) => Promise<TickResult>)[]) {
    this.intervalSeconds = intervalSeconds;
    this.#script = script;
  }

  runOnce(signal?: AbortSignal): Promise<TickResult> {
    if (signal === undefined) throw new Error("the loop must pass its signal");
    this.signals.push(signal);
    const step = this.#script[Math.min(this.signals.length - 1, this.#script.length - 1)]!;
    return step(signal);
  }
}

const ran = async (): Promise<TickResult> => ({ status: "ran", processed: 0 });

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

it("logs a failed tick and ticks again", async () => {
  const thirdTick = deferred();
  const service = new ScriptedService(0, [
    async () => {
      throw new Error("database down");
    },
    ran,
    async () => {
      thirdTick.resolve();
      return ran();
    },
  ]);
  const loop = new ServiceLoop(service, log);
  loop.start();
  await thirdTick.promise;
  await loop.stop();
  expect(service.signals.length).toBeGreaterThanOrEqual(3);
});

it("stops while sleeping between ticks without waiting for the interval", async () => {
  const firstTick = deferred();
  const service = new ScriptedService(3600, [
    async () => {
      firstTick.resolve();
      return ran();
    },
  ]);
  const loop = new ServiceLoop(service, log);
  loop.start();
  await firstTick.promise;
  await loop.stop(); // an hour-long sleep would time the test out
  expect(service.signals).toHaveLength(1);
});

it("aborts the tick in flight on stop and waits for it to settle", async () => {
  const started = deferred();
  let settled = false;
  const service = new ScriptedService(3600, [
    (signal) =>
      new Promise<TickResult>((resolve) => {
        started.resolve();
        signal.addEventListener("abort", () => {
          settled = true;
          resolve({ status: "ran", processed: 0 });
        });
      }),
  ]);
  const loop = new ServiceLoop(service, log);
  loop.start();
  await started.promise;
  await loop.stop();
  expect(service.signals[0]?.aborted).toBe(true);
  expect(settled).toBe(true);
});
