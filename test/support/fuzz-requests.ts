/**
 * fast-check arbitraries for malformed and extreme gRPC requests, built from the protobuf-es
 * descriptors field by field (reflection over `DescMessage.fields`), so that a field added to
 * the contract is fuzzed without touching this file.
 *
 * Half of the messages are plausible (ids of entities that exist, small numbers, enum
 * values, timestamps near now), so that requests get past validation into orchestration,
 * slots and leases. The other half are extreme: huge, NUL-bearing, blank and non-BMP
 * strings, huge repeated fields and maps, int32 and double edges, NaN and ±Infinity, enum
 * numbers outside the enum, JSON nested past every limit or holding NaN, timestamps outside
 * 0001–9999. Encoded messages are sometimes corrupted (a flipped, cut or inserted byte), and
 * some requests are random bytes.
 */
import {
  create,
  type DescEnum,
  type DescField,
  type DescMessage,
  getOption,
  hasOption,
  type Message,
  ScalarType,
  toBinary,
} from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import { field as fieldRules } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import fc from "fast-check";

/**
 * What exists on the server under test: names in use, and ids by the kind of entity
 * (`flow_run`, `task_run`, ... as {@link idKind} names them). The fuzzer adds to it as calls
 * create entities; generators read it when they run.
 */
export interface FuzzPool {
  readonly names: readonly string[];
  readonly ids: Map<string, string[]>;
}

/** The kind of entity an id field names: `flow_run_id` and `child_flow_run_id` → `flow_run`. */
export function idKind(fieldName: string): string {
  if (fieldName === "slot_override") return "task_run";
  if (fieldName.endsWith("lease_id")) return "lease";
  return fieldName.replace(/^(child|parent)_/, "").replace(/_id$/, "");
}

/** One of `strings`, as they are when the value is generated. */
function oneOf(strings: () => readonly string[]): fc.Arbitrary<string> {
  return fc.nat().map((i) => {
    const current = strings();
    return current[i % current.length] ?? "";
  });
}

/** The encoded request: mostly a generated message, sometimes corrupted, sometimes noise. */
export function requestBytes(schema: DescMessage, pool: FuzzPool): fc.Arbitrary<Uint8Array> {
  const encode = (values: Values) =>
    message(schema, values).map((value) => toBinary(schema, value));
  const extreme = encode(extremeValues(pool));
  return fc.oneof(
    { weight: 4, arbitrary: encode(plausibleValues(pool)) },
    { weight: 4, arbitrary: extreme },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) },
    { weight: 1, arbitrary: corrupted(extreme) },
  );
}

/** Where the values of one kind of message come from. */
interface Values {
  /** Plausible values set every field the contract requires. */
  readonly plausible: boolean;
  /** A field is left unset once in this many messages. */
  readonly unsetOneIn: number;
  readonly text: fc.Arbitrary<string>;
  /** For fields that hold ids (named `*_id` or `slot_override`), by {@link idKind}. */
  id(kind: string): fc.Arbitrary<string>;
  readonly int32: fc.Arbitrary<number>;
  readonly double: fc.Arbitrary<number>;
  readonly nanos: fc.Arbitrary<number>;
  readonly timestampSeconds: fc.Arbitrary<bigint>;
  readonly durationSeconds: fc.Arbitrary<bigint>;
  readonly json: fc.Arbitrary<unknown>;
  enumNumber(schema: DescEnum): fc.Arbitrary<number>;
  list<T>(item: fc.Arbitrary<T>): fc.Arbitrary<T[]>;
  map<T>(value: fc.Arbitrary<T>): fc.Arbitrary<Record<string, T>>;
}

function message(schema: DescMessage, values: Values): fc.Arbitrary<Message> {
  const fields = schema.fields.map((field) =>
    values.plausible && isRequired(field)
      ? fieldValue(field, values)
      : fc.option(fieldValue(field, values), { nil: undefined, freq: values.unsetOneIn }),
  );
  return fc.tuple(...fields).map((chosen) => {
    const init: Record<string, unknown> = {};
    schema.fields.forEach((field, i) => {
      const value = chosen[i];
      if (value === undefined) return;
      if (field.oneof === undefined) init[field.localName] = value;
      else init[field.oneof.localName] = { case: field.localName, value };
    });
    return create(schema, init);
  });
}

function fieldValue(field: DescField, values: Values): fc.Arbitrary<unknown> {
  if (field.scalar === ScalarType.STRING && /_id$|^slot_override$/.test(field.name)) {
    const id = values.id(idKind(field.name));
    return field.fieldKind === "list" ? values.list(id) : id;
  }
  switch (field.fieldKind) {
    case "scalar":
      return scalar(field.scalar, values);
    case "enum":
      return values.enumNumber(field.enum);
    case "message":
      return messageValue(field.message, values);
    case "list":
      return values.list(
        field.listKind === "scalar"
          ? scalar(field.scalar, values)
          : field.listKind === "enum"
            ? values.enumNumber(field.enum)
            : messageValue(field.message, values),
      );
    case "map":
      return values.map(
        field.mapKind === "scalar"
          ? scalar(field.scalar, values)
          : field.mapKind === "enum"
            ? values.enumNumber(field.enum)
            : messageValue(field.message, values),
      );
  }
}

/** The field carries `(buf.validate.field).required = true`. */
function isRequired(field: DescField): boolean {
  return hasOption(field, fieldRules) && getOption(field, fieldRules).required;
}

/** Well-known types get their own values; other messages are generated field by field. */
function messageValue(schema: DescMessage, values: Values): fc.Arbitrary<unknown> {
  switch (schema.typeName) {
    case "google.protobuf.Timestamp":
      return fc.record({ seconds: values.timestampSeconds, nanos: values.nanos });
    case "google.protobuf.Duration":
      return fc.record({ seconds: values.durationSeconds, nanos: values.nanos });
    // protobuf-es holds a Struct field as a plain JSON object, a Value field as a message.
    case "google.protobuf.Struct":
      return fc.dictionary(values.text, values.json, { maxKeys: 4 });
    case "google.protobuf.Value":
      return (values.plausible ? values.json : fc.oneof(values.json, fc.constant(undefined))).map(
        valueMessage,
      );
    default:
      return message(schema, values);
  }
}

function scalar(type: ScalarType, values: Values): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.STRING:
      return values.text;
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return values.double;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return values.int32;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.nat({ max: 4_294_967_295 });
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 64 });
    default:
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  }
}

/** 0001-01-01 and 9999-12-31T23:59:59, protobuf's range of timestamps, in Unix seconds. */
const MIN_TIMESTAMP = -62_135_596_800n;
const MAX_TIMESTAMP = 253_402_300_799n;
const NOW = BigInt(Math.floor(Date.now() / 1000));

function plausibleValues(pool: FuzzPool): Values {
  const text = fc.oneof(
    { weight: 3, arbitrary: oneOf(() => pool.names) },
    fc.constantFrom("", "x", "AwaitingRetry", "Late"),
  );
  return {
    plausible: true,
    unsetOneIn: 5,
    text,
    id: (kind) =>
      fc.oneof({ weight: 5, arbitrary: oneOf(() => pool.ids.get(kind) ?? []) }, fc.uuid()),
    // Mostly small, sometimes the largest value the contract allows somewhere.
    int32: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 120 }) },
      fc.constantFrom(86_400, 2_147_483_647),
    ),
    double: fc.oneof(
      { weight: 8, arbitrary: fc.double({ min: 0, max: 30, noNaN: true }) },
      fc.constant(86_400),
    ),
    nanos: fc.integer({ min: 0, max: 999_999_999 }),
    timestampSeconds: fc.oneof(
      { weight: 8, arbitrary: fc.bigInt({ min: NOW - 3600n, max: NOW + 3600n }) },
      fc.constantFrom(MIN_TIMESTAMP, MAX_TIMESTAMP),
    ),
    durationSeconds: fc.oneof(
      { weight: 8, arbitrary: fc.bigInt({ min: 1n, max: 3600n }) },
      fc.constant(86_400n),
    ),
    json: jsonTree(fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), text)),
    // Unspecified (0) is rarely what a worker sends.
    enumNumber: (schema) => fc.constantFrom(...schema.values.slice(1).map((value) => value.number)),
    list: (item) => fc.array(item, { maxLength: 3 }),
    map: (value) => fc.dictionary(text, value, { maxKeys: 3 }),
  };
}

function extremeValues(pool: FuzzPool): Values {
  const text = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.oneof(
        fc.constant(""),
        oneOf(() => pool.names),
      ),
    },
    { weight: 3, arbitrary: fc.string({ maxLength: 16 }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 32 }) },
    fc.uuid().map((id) => id.toUpperCase()),
    fc.string({ maxLength: 8 }).map((s) => `${s}\u0000${s}`),
    fc.constantFrom(" ", "\t\n", "\u00a0", "\ufeff", "\u2028", "\ud800"),
    fc.integer({ min: 250, max: 260 }).map((n) => "a".repeat(n)),
    fc.constantFrom("é".repeat(300), "😀".repeat(600), "𝔘".repeat(2001)),
    fc.integer({ min: 1000, max: 1_200_000 }).map((n) => "x".repeat(n)),
  );
  const double = fc.oneof(
    fc.double(),
    fc.double({ min: 0, max: 100, noNaN: true }),
    fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e308, -1e308, 5e-324, 86_400, 86_400.5),
  );
  const json = fc.oneof(
    { weight: 6, arbitrary: jsonTree(fc.oneof(fc.constant(null), fc.boolean(), double, text)) },
    fc.integer({ min: 20, max: 70 }).map(nested),
    fc.integer({ min: 200_000, max: 600_000 }).map((n) => "j".repeat(n)),
    fc.constant({ "key\u0000": 1 }),
  );
  return {
    plausible: false,
    unsetOneIn: 2,
    text,
    id: () => text,
    int32: fc.oneof(
      fc.integer(),
      fc.integer({ min: -2, max: 1002 }),
      fc.constantFrom(59, 60, 86_400, 86_401, 2_147_483_647, -2_147_483_648),
    ),
    double,
    nanos: fc.oneof(fc.integer({ min: 0, max: 999_999_999 }), fc.integer()),
    timestampSeconds: fc.oneof(
      fc.bigInt({ min: NOW - 100_000n, max: NOW + 100_000n }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.constantFrom(MIN_TIMESTAMP - 1n, MIN_TIMESTAMP, 0n, MAX_TIMESTAMP, MAX_TIMESTAMP + 1n),
    ),
    durationSeconds: fc.oneof(
      fc.bigInt({ min: -10n, max: 90_000n }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.constantFrom(0n, 86_400n, 86_401n, 315_576_000_000n, 315_576_000_001n),
    ),
    json,
    enumNumber: (schema) =>
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...schema.values.map((value) => value.number)) },
        fc.integer({ min: -3, max: 120 }),
        fc.integer(),
      ),
    // Mostly a few items; sometimes far more than any limit allows (one value, repeated).
    list: (item) =>
      fc.oneof(
        { weight: 10, arbitrary: fc.array(item, { maxLength: 4 }) },
        fc
          .tuple(item, fc.integer({ min: 101, max: 150_000 }))
          .map(([value, n]) => Array.from({ length: repeats(n, value) }, () => value)),
      ),
    map: (value) =>
      fc.oneof(
        { weight: 10, arbitrary: fc.dictionary(text, value, { maxKeys: 4 }) },
        fc
          .tuple(value, fc.integer({ min: 17, max: 20_000 }))
          .map(([v, n]) =>
            Object.fromEntries(Array.from({ length: repeats(n, v) }, (_, i) => [`k${i}`, v])),
          ),
      ),
  };
}

/**
 * Requests stay around the server's 4 MiB limit (some a little over it): building a gigabyte
 * in the test process tests nothing more, since the server refuses it by its length prefix.
 */
const MAX_REPEATED_BYTES = 6_000_000;

/** `n`, or fewer when `n` copies of `value` would pass MAX_REPEATED_BYTES. */
function repeats(n: number, value: unknown): number {
  const size = typeof value === "string" ? value.length + 8 : 16;
  return Math.max(1, Math.min(n, Math.floor(MAX_REPEATED_BYTES / size)));
}

/** JSON of a few levels with the given leaves. */
function jsonTree(leaf: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const { node } = fc.letrec<{ node: unknown }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.array(tie("node"), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 8 }), tie("node"), { maxKeys: 3 }),
    ),
  }));
  return node;
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

/** A google.protobuf.Value for any JSON, NaN included; `undefined` is a Value with no kind. */
function valueMessage(value: unknown): Value {
  if (value === undefined) return create(ValueSchema);
  if (value === null) return create(ValueSchema, { kind: { case: "nullValue", value: 0 } });
  if (typeof value === "number")
    return create(ValueSchema, { kind: { case: "numberValue", value } });
  if (typeof value === "string")
    return create(ValueSchema, { kind: { case: "stringValue", value } });
  if (typeof value === "boolean")
    return create(ValueSchema, { kind: { case: "boolValue", value } });
  if (Array.isArray(value)) {
    return create(ValueSchema, {
      kind: { case: "listValue", value: { values: value.map(valueMessage) } },
    });
  }
  const fields = Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, valueMessage(v)]),
  );
  return create(ValueSchema, { kind: { case: "structValue", value: { fields } } });
}

/** An encoded message with one byte flipped, the tail cut off, or a byte inserted. */
function corrupted(encoded: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      encoded,
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom("flip", "cut", "insert"),
    )
    .map(([bytes, at, byte, how]) => {
      const index = bytes.length === 0 ? 0 : at % bytes.length;
      if (how === "cut") return bytes.slice(0, index);
      if (how === "flip") {
        const copy = Uint8Array.from(bytes);
        copy[index] = (copy[index] ?? 0) ^ (byte | 1);
        return copy;
      }
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes.subarray(0, index));
      longer[index] = byte;
      longer.set(bytes.subarray(index), index + 1);
      return longer;
    });
}
