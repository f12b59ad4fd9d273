/**
 * The edge validation (src/transport/grpc/validate.ts) against the real contract: Prefect's
 * messages where the spec keeps them, the JSON checks protovalidate cannot do, short field
 * paths, and that every field a client can send carries a limit.
 */
import {
  create,
  type DescField,
  type DescMessage,
  getExtension,
  getOption,
  hasExtension,
  hasOption,
  isFieldSet,
  type JsonObject,
  type MessageInitShape,
  ScalarType,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import {
  type FieldRules,
  field as fieldRulesOption,
  RepeatedRulesSchema,
  type StringRules,
  StringRulesSchema,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { describe, expect, it } from "vitest";
import { ConcurrencyLimitService } from "../../../gen/flowgate/v1/concurrency_limit_pb.js";
import { DeploymentService } from "../../../gen/flowgate/v1/deployment_pb.js";
import { FlowSchema, FlowService } from "../../../gen/flowgate/v1/flow_pb.js";
import {
  CreateFlowRunInputRequestSchema,
  CreateFlowRunRequestSchema,
  FlowRunService,
  SetFlowRunStateRequestSchema,
} from "../../../gen/flowgate/v1/flow_run_pb.js";
import { no_nul } from "../../../gen/flowgate/v1/limits_pb.js";
import { StateType } from "../../../gen/flowgate/v1/states_pb.js";
import {
  CreateTaskRunRequestSchema,
  TaskRunService,
} from "../../../gen/flowgate/v1/task_run_pb.js";
import { InvalidArgumentError } from "../../../src/domain/index.ts";
import {
  MAX_JSON_BYTES,
  MAX_JSON_DEPTH,
  validateRequest,
} from "../../../src/transport/grpc/validate.ts";

/** The InvalidArgumentError `validateRequest` throws for `init`, or undefined when valid. */
function refusal<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>) {
  try {
    validateRequest(schema, create(schema, init));
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    const { field, message } = error as InvalidArgumentError;
    return { field, description: message.slice(field.length + 2) };
  }
}

const FLOW_ID = "0193c1a2-0000-7000-8000-000000000001";

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe("Prefect's TaskRunPolicy limits, with Prefect's messages (spec §1.6)", () => {
  const task = (
    empiricalPolicy: MessageInitShape<typeof CreateTaskRunRequestSchema>["empiricalPolicy"],
  ) => refusal(CreateTaskRunRequestSchema, { taskKey: "t", empiricalPolicy });

  it.each([
    { name: "50 retry delays", policy: { retryDelay: Array.from({ length: 50 }, () => 1) } },
    { name: "one delay of a day", policy: { retryDelay: [86_400] } },
    { name: "jitter 0", policy: { retryJitterFactor: 0 } },
    { name: "no retries", policy: { retries: 0 } },
  ])("accepts $name", ({ policy }) => {
    expect(task(policy)).toBeUndefined();
  });

  it.each([
    {
      name: "51 retry delays",
      policy: { retryDelay: Array.from({ length: 51 }, () => 1) },
      field: "empirical_policy.retry_delay",
      description: "Can not configure more than 50 retry delays per task.",
    },
    {
      name: "a negative jitter factor",
      policy: { retryJitterFactor: -0.1 },
      field: "empirical_policy.retry_jitter_factor",
      description: "`retry_jitter_factor` must be >= 0.",
    },
    {
      name: "an infinite jitter factor",
      policy: { retryJitterFactor: Number.POSITIVE_INFINITY },
      field: "empirical_policy.retry_jitter_factor",
      description: "must be finite",
    },
    {
      name: "a NaN delay",
      policy: { retryDelay: [Number.NaN] },
      field: "empirical_policy.retry_delay[0]",
      description: expect.any(String),
    },
    {
      name: "negative retries",
      policy: { retries: -1 },
      field: "empirical_policy.retries",
      description: "must be greater than or equal to 0",
    },
  ])("refuses $name, naming the field", ({ policy, field, description }) => {
    expect(task(policy)).toEqual({ field, description });
  });
});

describe("JSON data (checked by hand: protovalidate cannot look inside Struct and Value)", () => {
  const data = (value: number) => create(ValueSchema, { kind: { case: "numberValue", value } });

  it("accepts JSON nested 32 deep and refuses 33", () => {
    expect(MAX_JSON_DEPTH).toBe(32);
    const params = (depth: number) => ({ flowId: FLOW_ID, parameters: { x: nested(depth - 1) } });
    expect(refusal(CreateFlowRunRequestSchema, params(32) as never)).toBeUndefined();
    expect(refusal(CreateFlowRunRequestSchema, params(33) as never)).toEqual({
      field: "parameters",
      description: "must nest at most 32 levels deep",
    });
  });

  it("refuses more than 256 KiB of JSON text", () => {
    const parameters = { big: "x".repeat(MAX_JSON_BYTES) };
    expect(refusal(CreateFlowRunRequestSchema, { flowId: FLOW_ID, parameters })).toEqual({
      field: "parameters",
      description: `must be at most ${MAX_JSON_BYTES} bytes as JSON text`,
    });
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    "refuses %d in state.data and in parameters",
    (value) => {
      const state = { type: StateType.RUNNING, data: data(value) };
      expect(refusal(SetFlowRunStateRequestSchema, { flowRunId: FLOW_ID, state })).toEqual({
        field: "state.data",
        description: "google.protobuf.Value cannot be NaN or Infinity",
      });
      expect(
        refusal(CreateFlowRunRequestSchema, { flowId: FLOW_ID, parameters: { x: value } }),
      ).toMatchObject({ field: "parameters" });
    },
  );

  it("refuses a NUL in a key or a string", () => {
    for (const parameters of [{ "k\u0000": 1 }, { k: ["a\u0000"] }] as JsonObject[]) {
      expect(refusal(CreateFlowRunRequestSchema, { flowId: FLOW_ID, parameters })).toEqual({
        field: "parameters",
        description: "must not contain the NUL character (U+0000)",
      });
    }
  });

  it.each([
    { value: "{not json", description: "is not valid JSON" },
    { value: "1e400", description: "numbers must be finite" },
    { value: '{"k":"\\u0000"}', description: "must not contain the NUL character (U+0000)" },
    { value: JSON.stringify(nested(33)), description: "must nest at most 32 levels deep" },
  ])("refuses JSON text $value", ({ value, description }) => {
    const input = { flowRunId: FLOW_ID, key: "k", value };
    expect(refusal(CreateFlowRunInputRequestSchema, input)).toEqual({
      field: "value",
      description,
    });
  });
});

describe("field paths", () => {
  it("quote at most a short prefix of a map key", () => {
    const key = "k".repeat(100_000);
    const state = {
      type: StateType.PAUSED,
      stateDetails: { runInputKeyset: { [key]: "v" } },
    };
    expect(refusal(SetFlowRunStateRequestSchema, { flowRunId: FLOW_ID, state })).toEqual({
      field: `state.state_details.run_input_keyset["${"k".repeat(32)}…"]`,
      description: "must be at most 255 characters",
    });
  });
});

const SERVICES = [
  FlowService,
  DeploymentService,
  FlowRunService,
  TaskRunService,
  ConcurrencyLimitService,
] as readonly GenService<GenServiceMethods>[];

/** Types whose limits validate.ts checks by hand (JSON), not by annotation. */
const JSON_TYPES = ["google.protobuf.Struct", "google.protobuf.Value"];

function rulesOf(field: DescField): FieldRules | undefined {
  return hasOption(field, fieldRulesOption) ? getOption(field, fieldRulesOption) : undefined;
}

/** A bounded string: a UUID, or a length or byte limit together with the no_nul rule. */
function boundedString(rules: StringRules): boolean {
  if (rules.wellKnown.case === "uuid") return true;
  const length =
    isFieldSet(rules, StringRulesSchema.field.maxLen) ||
    isFieldSet(rules, StringRulesSchema.field.maxBytes);
  return length && hasExtension(rules, no_nul) && getExtension(rules, no_nul);
}

/** What is missing from the rules of one value of `field` (an item, for a list). */
function valueProblem(field: DescField, rules: FieldRules | undefined): string | undefined {
  const type = rules?.type;
  const kind = field.fieldKind === "list" ? field.listKind : field.fieldKind;
  if (kind === "enum") {
    return type?.case === "enum" && type.value.definedOnly ? undefined : "no enum.defined_only";
  }
  if (kind === "scalar" && field.scalar !== undefined) {
    switch (field.scalar) {
      case ScalarType.STRING:
        return type?.case === "string" && boundedString(type.value)
          ? undefined
          : "unbounded string";
      case ScalarType.DOUBLE:
        return type?.case === "double" && type.value.finite ? undefined : "no double.finite";
      case ScalarType.INT32:
        return type?.case === "int32" && type.value.greaterThan.case !== undefined
          ? undefined
          : "no lower bound";
      default:
        return undefined;
    }
  }
  return undefined;
}

/** Every field of `schema` (and its nested messages) a client sends, with what it lacks. */
function problems(schema: DescMessage, prefix = ""): string[] {
  const found: string[] = [];
  for (const field of schema.fields) {
    const path = `${prefix}${field.name}`;
    const rules = rulesOf(field);
    if (field.fieldKind === "message") {
      const name = field.message.typeName;
      if (JSON_TYPES.includes(name)) continue;
      if (name === "google.protobuf.Timestamp" || name === "google.protobuf.Duration") {
        const type = rules?.type;
        const bounded =
          (type?.case === "timestamp" || type?.case === "duration") &&
          type.value.lessThan.case !== undefined &&
          type.value.greaterThan.case !== undefined;
        if (!bounded) found.push(`${path}: no range`);
      } else found.push(...problems(field.message, `${path}.`));
    } else if (field.fieldKind === "list") {
      const bounded =
        rules?.type.case === "repeated"
          ? isFieldSet(rules.type.value, RepeatedRulesSchema.field.maxItems) || rules.cel.length > 0
          : false;
      if (!bounded) found.push(`${path}: no item limit`);
      const items = rules?.type.case === "repeated" ? rules.type.value.items : undefined;
      const problem = valueProblem(field, items);
      if (problem !== undefined) found.push(`${path}[]: ${problem}`);
    } else if (field.fieldKind === "map") {
      const map = rules?.type.case === "map" ? rules.type.value : undefined;
      const keys = map?.keys?.type;
      const values = map?.values?.type;
      const bounded =
        map !== undefined &&
        map.maxPairs > 0n &&
        keys?.case === "string" &&
        boundedString(keys.value) &&
        values?.case === "string" &&
        boundedString(values.value);
      if (!bounded) found.push(`${path}: unbounded map`);
    } else {
      const problem = valueProblem(field, rules);
      if (problem !== undefined) found.push(`${path}: ${problem}`);
    }
  }
  return found;
}

describe("the contract", () => {
  it("this check finds a field without a limit (a response message has none)", () => {
    expect(problems(FlowSchema)).toContain("name: unbounded string");
  });

  it("bounds every field of every request (add a buf.validate rule to a new field)", () => {
    const requests = SERVICES.flatMap((service) => service.methods.map((method) => method.input));
    const missing = requests.flatMap((schema) =>
      problems(schema).map((problem) => `${schema.typeName}.${problem}`),
    );
    expect(missing).toEqual([]);
  });
});
