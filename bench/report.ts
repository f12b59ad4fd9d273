/** One measured level of `npm run bench`, and the printed table of them. */
import { table } from "./stats.ts";
import { TAG_LIMIT, type Workload } from "./targets.ts";

/** Whose RSS: the flowgate server process, or the bench process for the raw-SQL baseline. */
export type RssOf = "server" | "bench";

export interface Row {
  workload: Workload;
  target: string;
  clients: number;
  transitions: number;
  seconds: number;
  transitionsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  peakRssMb: number;
  rssOf: RssOf;
  notAccepted: number;
  errors: number;
  ranOut: boolean;
  sqlPerTransition: number | null;
  /** Transitions per batch (shared transaction) on the server. */
  meanBatchSize: number | null;
  serverCpuMsPerTransition: number | null;
  benchCpuMsPerTransition: number;
  machineCpuBusyPercent: number | null;
  ratioToRawSql?: number;
}

/** Sets each flowgate row's ratio to the raw-SQL row of the same workload and clients. */
export function addRatios(rows: Row[]): void {
  for (const row of rows) {
    const base = rows.find(
      (r) => r.target === "raw-sql" && r.workload === row.workload && r.clients === row.clients,
    );
    if (row.target === "flowgate" && base !== undefined)
      row.ratioToRawSql = row.transitionsPerSecond / base.transitionsPerSecond;
  }
}

export function print(rows: Row[], seconds: number): void {
  const f = (value: number | null | undefined, digits: number) =>
    value == null || Number.isNaN(value) ? "-" : value.toFixed(digits);
  console.log(
    `\nLifecycles, ${seconds} s per level. flow: SetFlowRunState SCHEDULED → PENDING → RUNNING → ` +
      "COMPLETED; task: SetTaskRunState SCHEDULED → PENDING → RUNNING → COMPLETED in a RUNNING " +
      `flow run (tag \`bench\` with a limit of ${TAG_LIMIT}, a unique cache key at RUNNING and COMPLETED)\n`,
  );
  console.log(
    table(
      [
        "workload",
        "target",
        "clients",
        "transitions/s",
        "p50 ms",
        "p99 ms",
        "peak RSS MB",
        "flowgate/raw",
        "SQL/transition",
        "mean batch",
        "server CPU ms/tr",
        "machine CPU %",
        "errors",
      ],
      rows.map((r) => [
        r.workload,
        r.target,
        String(r.clients),
        f(r.transitionsPerSecond, 0) + (r.ranOut ? "*" : ""),
        f(r.p50Ms, 2),
        f(r.p99Ms, 2),
        `${f(r.peakRssMb, 0)} (${r.rssOf})`,
        f(r.ratioToRawSql, 2),
        f(r.sqlPerTransition, 1),
        f(r.meanBatchSize, 1),
        f(r.serverCpuMsPerTransition, 2),
        f(r.machineCpuBusyPercent, 0),
        String(r.errors + r.notAccepted),
      ]),
    ),
  );
  console.log(
    "\nRSS (server): the flowgate server process; RSS (bench): this process (load loop + pg pool)." +
      "\nSQL/transition: statements the server sent per transition; mean batch: transitions per shared transaction." +
      (rows.some((r) => r.ranOut) ? "\n*: ran out of pre-created runs before the deadline." : ""),
  );
}
