/**
 * deploy/grafana's dashboard and deploy/prometheus's alert rules query only what flowgate
 * exports. Every expression is parsed with Prometheus's own PromQL grammar
 * (@prometheus-io/lezer-promql); every metric it selects must have samples in a real
 * server's /metrics after some traffic, every label it matches on must be on those samples
 * (job and instance are Prometheus's target labels), and every grpc_code it names must be a
 * code as go-grpc-prometheus writes it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConcurrencyLimitService } from "../../gen/flowgate/v1/concurrency_limit_pb.js";
import { FlowService } from "../../gen/flowgate/v1/flow_pb.js";
import { StateType } from "../../gen/flowgate/v1/states_pb.js";
import { flowRunHelpers } from "../support/flow-runs.ts";
import { startTestServer, type TestServer } from "../support/server.ts";
import { taskRunHelpers } from "../support/task-runs.ts";

const root = path.resolve(import.meta.dirname, "../..");
const dashboard = JSON.parse(
  readFileSync(path.join(root, "deploy/grafana/flowgate-dashboard.json"), "utf8"),
);
const rules = parse(
  readFileSync(path.join(root, "deploy/prometheus/flowgate-alerts.yaml"), "utf8"),
);

/** Grafana's variables, as Grafana substitutes them before Prometheus sees a query. */
function substitute(expr: string): string {
  return expr.replaceAll("$__rate_interval", "5m").replaceAll("$job", ".*");
}

const queries: { source: string; expr: string }[] = [
  ...dashboard.panels.flatMap((panel: { title: string; targets: { expr: string }[] }) =>
    panel.targets.map((target) => ({
      source: `panel "${panel.title}"`,
      expr: substitute(target.expr),
    })),
  ),
  ...rules.groups.flatMap((group: { rules: { alert: string; expr: string }[] }) =>
    group.rules.map((rule) => ({ source: `alert ${rule.alert}`, expr: rule.expr })),
  ),
];

interface Selector {
  readonly metric: string;
  readonly matchers: { label: string; op: string; value: string }[];
}

/** The vector selectors of `expr`; throws on a syntax error. */
function selectors(expr: string): Selector[] {
  const tree = parser.parse(expr);
  const found: Selector[] = [];
  const text = (node: SyntaxNode) => expr.slice(node.from, node.to);
  tree.iterate({
    enter(ref) {
      if (ref.type.isError)
        throw new Error(`syntax error at ${ref.from}: ${expr.slice(ref.from, ref.from + 30)}`);
      if (ref.name !== "VectorSelector") return;
      const node = ref.node;
      const metric = node.getChild("Identifier");
      const matchers = node
        .getChild("LabelMatchers")
        ?.getChildren("UnquotedLabelMatcher")
        .map((matcher) => ({
          label: text(matcher.getChild("LabelName")!),
          op: text(matcher.getChild("MatchOp")!),
          value: JSON.parse(text(matcher.getChild("StringLiteral")!)) as string,
        }));
      if (metric !== null) found.push({ metric: text(metric), matchers: matchers ?? [] });
    },
  });
  return found;
}

/** Samples by metric name: the label sets of each. */
function samples(exposition: string): Map<string, Record<string, string>[]> {
  const byName = new Map<string, Record<string, string>[]>();
  for (const line of exposition.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (match === null) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [
        pair[1],
        pair[2],
      ]),
    );
    byName.set(match[1]!, [...(byName.get(match[1]!) ?? []), labels as Record<string, string>]);
  }
  return byName;
}

/** go-grpc-prometheus's grpc_code values (Go's codes.Code.String()). */
const GO_CODES = new Set([
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
]);
const TARGET_LABELS = new Set(["job", "instance"]);

let server: TestServer;
let scraped: Map<string, Record<string, string>[]>;

beforeAll(async () => {
  server = await startTestServer({
    FLOWGATE_METRICS_PORT: "0",
    FLOWGATE_LATE_RUNS_LOOP_SECONDS: "0.2",
  });
  // Traffic that gives every series a sample: transitions, a watch, a failed call, a tag
  // limit with a holder, background ticks.
  const flows = flowRunHelpers(server);
  const run = await flows.newRun();
  await flows.propose(run.id, { type: StateType.RUNNING });
  await server
    .client(FlowService)
    .getFlow({ flowId: "not-a-uuid" })
    .catch(() => {});
  const controller = new AbortController();
  await (async () => {
    for await (const _ of flows.runs.watchFlowRun(
      { flowRunId: run.id },
      { signal: controller.signal },
    ))
      controller.abort();
  })().catch(() => {});
  await server
    .client(ConcurrencyLimitService)
    .createConcurrencyLimit({ tag: "observed", concurrencyLimit: 2 });
  const tasks = taskRunHelpers(server);
  const task = await tasks.newTask({ flowRunId: await tasks.newFlowRun(), tags: ["observed"] });
  await tasks.propose(task.id, { type: StateType.RUNNING });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const response = await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`);
  scraped = samples(await response.text());
});
afterAll(() => server.stop());

describe("the dashboard and the alert rules", () => {
  it("query something: panels and alerts are there", () => {
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    expect(rules.groups[0].rules.map((rule: { alert: string }) => rule.alert)).toEqual(
      expect.arrayContaining([
        "FlowgateHighErrorRatio",
        "FlowgateHighLatencyP99",
        "FlowgateOutboxLag",
        "FlowgateDatabasePoolSaturated",
        "FlowgateBackgroundServiceFailing",
        "FlowgateConcurrencySlotsExhausted",
      ]),
    );
  });

  it.each(queries.map((query) => [query.source, query.expr]))(
    "%s queries metrics that exist",
    (_, expr) => {
      const found = selectors(expr);
      expect(found.length).toBeGreaterThan(0);
      for (const { metric, matchers } of found) {
        const series = scraped.get(metric);
        expect(series, `${metric} has no sample`).toBeDefined();
        for (const { label, value } of matchers) {
          if (TARGET_LABELS.has(label)) continue;
          expect(
            series!.some((labels) => label in labels),
            `${metric} has no label ${label}`,
          ).toBe(true);
          if (label === "grpc_code") {
            for (const code of value.split("|"))
              expect(GO_CODES.has(code), `grpc_code ${code}`).toBe(true);
          }
        }
      }
    },
  );
});
