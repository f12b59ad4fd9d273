import { describe, expect, it } from "vitest";
import type { StateType } from "../../../src/domain/index.ts";
import { SetEndTime } from "../../../src/orchestration/index.ts";
import { at, makeFlowRun, makeState, runFlow } from "./support.ts";

interface Case {
  name: string;
  from: StateType;
  to: StateType;
  start: Date | null;
  end: Date | null;
  expectedStart: Date | null;
  expectedEnd: Date | null;
}

describe("SetEndTime", () => {
  it.each<Case>([
    {
      name: "RUNNING → COMPLETED sets the end",
      from: "RUNNING",
      to: "COMPLETED",
      start: at(-10),
      end: null,
      expectedStart: at(-10),
      expectedEnd: at(0),
    },
    {
      name: "SCHEDULED → CANCELLED sets start and end",
      from: "SCHEDULED",
      to: "CANCELLED",
      start: null,
      end: null,
      expectedStart: at(0),
      expectedEnd: at(0),
    },
    {
      name: "final → final keeps the first end",
      from: "FAILED",
      to: "COMPLETED",
      start: at(-10),
      end: at(-5),
      expectedStart: at(-10),
      expectedEnd: at(-5),
    },
    {
      name: "final → SCHEDULED clears the end",
      from: "FAILED",
      to: "SCHEDULED",
      start: at(-10),
      end: at(-5),
      expectedStart: at(-10),
      expectedEnd: null,
    },
    {
      name: "PENDING → RUNNING leaves both",
      from: "PENDING",
      to: "RUNNING",
      start: null,
      end: null,
      expectedStart: null,
      expectedEnd: null,
    },
  ])("$name", async (c) => {
    const run = makeFlowRun({ startTime: c.start, endTime: c.end });
    await runFlow({
      initial: makeState(c.from),
      proposed: makeState(c.to),
      run,
      transforms: [SetEndTime],
    });
    expect({ start: run.startTime, end: run.endTime }).toEqual({
      start: c.expectedStart,
      end: c.expectedEnd,
    });
  });
});
