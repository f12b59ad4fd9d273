/**
 * Request validation at the gRPC edge, before any handler work (the bridge calls
 * {@link validateRequest} right after decoding).
 *
 * The limits live in the contract: `buf.validate` annotations on the request fields in
 * proto/flowgate/v1 and the predefined rules of limits.proto, enforced with protovalidate,
 * so that every client language sees them. Only what protovalidate cannot express is checked
 * here by hand, as documented on those fields: JSON data (google.protobuf.Struct and Value
 * fields, and fields of JSON text) holds finite numbers only, no NUL character, nests at
 * most {@link MAX_JSON_DEPTH} deep and is at most {@link MAX_JSON_BYTES} bytes as JSON text.
 *
 * A violation is an InvalidArgumentError naming the field path (`tags[3]`,
 * `state.state_details.run_input_keyset["k"]`); descriptions never quote the bad value, so a
 * megabyte of garbage cannot turn into a megabyte of trailers.
 *
 * Handlers then only normalize: {@link uuid} lowercases an id the contract has checked.
 */
import {
  createRegistry,
  type DescMessage,
  type JsonValue,
  type MessageShape,
  toJson,
} from "@bufbuild/protobuf";
import {
  isReflectMessage,
  type Path,
  type ReflectMessage,
  reflect,
} from "@bufbuild/protobuf/reflect";
import { createValidator, type Violation } from "@bufbuild/protovalidate";
import { file_flowgate_v1_limits } from "../../../gen/flowgate/v1/limits_pb.js";
import { InvalidArgumentError } from "../../domain/index.ts";

/** JSON data is at most this many bytes as JSON text (limits.proto). */
export const MAX_JSON_BYTES = 262_144;
/** JSON data nests objects and arrays at most this deep (limits.proto). */
export const MAX_JSON_DEPTH = 32;
/** Map keys in a field path are cut to this many characters. */
const MAX_QUOTED_KEY = 32;

const validator = createValidator({
  // limits.proto's predefined rules (no_nul, not_blank) are extensions the validator must know.
  registry: createRegistry(file_flowgate_v1_limits),
  // One violation is reported; stopping at it keeps a request with 100,000 bad items cheap.
  failFast: true,
});

const JSON_TYPES = new Set([
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.ListValue",
]);

/**
 * Fields of JSON text, by message type: the contract types them as strings, so their size and
 * NUL characters are protovalidate's, and their structure is checked here.
 */
const JSON_TEXT_FIELDS: ReadonlyMap<string, string> = new Map([
  ["flowgate.v1.CreateFlowRunInputRequest", "value"],
]);

/** Throws InvalidArgumentError for the first limit `message` breaks. */
export function validateRequest<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): void {
  const result = validator.validate(schema, message);
  if (result.kind === "invalid") throw violationError(result.violations);
  // A rule that does not compile or cannot be evaluated is a bug in the contract: INTERNAL.
  if (result.kind === "error") throw result.error;
  checkJsonFields(reflect(schema, message), "");
}

/** A UUID the contract has checked, lowercased so that ids compare equal as strings. */
export function uuid(value: string): string {
  return value.toLowerCase();
}

/** An optional UUID field: `null` when empty. */
export function optionalUuid(value: string): string | null {
  return value === "" ? null : uuid(value);
}

function violationError(violations: readonly Violation[]): InvalidArgumentError {
  const [first] = violations;
  if (first === undefined) throw new Error("protovalidate reported no violation");
  return new InvalidArgumentError(fieldPath(first.field), first.message);
}

/** `state.state_details.run_input_keyset["key"]`, with long map keys cut short. */
function fieldPath(path: Path): string {
  let text = "";
  for (const element of path) {
    switch (element.kind) {
      case "field":
      case "oneof":
        text += text === "" ? element.name : `.${element.name}`;
        break;
      case "extension":
        text += `[${element.typeName}]`;
        break;
      case "list_sub":
        text += `[${element.index}]`;
        break;
      case "map_sub":
        text += subscript(element.key);
        break;
    }
  }
  return text;
}

/** `["key"]` for a string key (cut short, escaped), `[7]` for a number or boolean key. */
function subscript(key: string | number | bigint | boolean): string {
  if (typeof key !== "string") return `[${key}]`;
  return `[${JSON.stringify(key.length > MAX_QUOTED_KEY ? `${key.slice(0, MAX_QUOTED_KEY)}…` : key)}]`;
}

/** Finds the JSON fields of a request (at any depth) and checks each one. */
function checkJsonFields(message: ReflectMessage, prefix: string): void {
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    const path = `${prefix}${field.name}`;
    switch (field.fieldKind) {
      case "message":
        checkMessage(message.get(field), path);
        break;
      case "list": {
        let index = 0;
        for (const item of message.get(field)) {
          if (isReflectMessage(item)) checkMessage(item, `${path}[${index}]`);
          index++;
        }
        break;
      }
      case "map":
        for (const [key, item] of message.get(field)) {
          if (isReflectMessage(item)) checkMessage(item, path + subscript(String(key)));
        }
        break;
      case "scalar":
        if (JSON_TEXT_FIELDS.get(message.desc.typeName) === field.name)
          checkJsonText(path, String(message.get(field)));
        break;
    }
  }
}

function checkMessage(message: ReflectMessage, path: string): void {
  if (JSON_TYPES.has(message.desc.typeName)) checkJsonMessage(path, message);
  else checkJsonFields(message, `${path}.`);
}

function checkJsonMessage(path: string, message: ReflectMessage): void {
  let json: JsonValue;
  try {
    // Throws for NaN or ±Infinity ("cannot be NaN or Infinity") and for a Value with no kind.
    json = toJson(message.desc, message.message);
  } catch (error) {
    throw new InvalidArgumentError(path, (error as Error).message);
  }
  checkJsonValue(path, json, 0);
  // Decoding already bounds the depth (protobuf recursion limit), so this cannot overflow.
  if (Buffer.byteLength(JSON.stringify(json)) > MAX_JSON_BYTES)
    throw new InvalidArgumentError(path, `must be at most ${MAX_JSON_BYTES} bytes as JSON text`);
}

/** JSON text; its size is protovalidate's (`max_bytes`), since it is a string field. */
function checkJsonText(path: string, text: string): void {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(path, "is not valid JSON");
  }
  checkJsonValue(path, json, 0);
}

/** Finite numbers, no NUL in keys and strings, and containers nested at most MAX_JSON_DEPTH deep. */
function checkJsonValue(path: string, value: unknown, depth: number): void {
  if (typeof value === "string") {
    if (value.includes("\u0000")) throw nulError(path);
  } else if (typeof value === "number") {
    // JSON text such as 1e400 parses to Infinity.
    if (!Number.isFinite(value)) throw new InvalidArgumentError(path, "numbers must be finite");
  } else if (typeof value === "object" && value !== null) {
    if (depth >= MAX_JSON_DEPTH)
      throw new InvalidArgumentError(path, `must nest at most ${MAX_JSON_DEPTH} levels deep`);
    for (const [key, item] of Object.entries(value)) {
      if (key.includes("\u0000")) throw nulError(path);
      checkJsonValue(path, item, depth + 1);
    }
  }
}

function nulError(path: string): InvalidArgumentError {
  return new InvalidArgumentError(path, "must not contain the NUL character (U+0000)");
}
