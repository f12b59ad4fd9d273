/**
 * Fails when gen/ is out of date with proto/ or when buf lint fails: regenerates into a
 * temporary directory and compares it file by file with the committed gen/. Also fails when
 * proto/buf/validate/validate.proto is not what scripts/export-validate-proto.ts prints from
 * the installed @bufbuild/protovalidate, or when buf compiles it to a descriptor other than
 * the package's own (the one the validator reads at runtime).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { embedFileDesc } from "@bufbuild/protobuf/codegenv2";
import { type FileDescriptorProto, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { VALIDATE_PROTO_PATH, validateProtoSource } from "./export-validate-proto.ts";

const root = path.resolve(import.meta.dirname, "..");
const scratch = mkdtempSync(path.join(tmpdir(), "flowgate-gen-"));
try {
  execFileSync("buf", ["lint"], { cwd: root, stdio: "inherit" });
  execFileSync("buf", ["generate", "--output", scratch], { cwd: root, stdio: "inherit" });
  const expected = listFiles(path.join(scratch, "gen"));
  const actual = listFiles(path.join(root, "gen"));
  const stale = [...new Set([...expected, ...actual])].filter(
    (file) =>
      !expected.includes(file) ||
      !actual.includes(file) ||
      !readFileSync(path.join(scratch, "gen", file)).equals(
        readFileSync(path.join(root, "gen", file)),
      ),
  );
  const validateProblem = checkValidateProto(scratch);
  if (stale.length > 0) {
    console.error(`gen/ is out of date with proto/ (run npm run generate): ${stale.join(", ")}`);
    process.exitCode = 1;
  } else if (validateProblem !== undefined) {
    console.error(`${VALIDATE_PROTO_PATH}: ${validateProblem}`);
    process.exitCode = 1;
  } else {
    console.log("gen/ and buf/validate are in sync with proto/ and buf lint passes");
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/** Why the vendored validate.proto differs from the package's descriptor, if it does. */
function checkValidateProto(scratch: string): string | undefined {
  if (readFileSync(path.join(root, VALIDATE_PROTO_PATH), "utf8") !== validateProtoSource())
    return "differs from what npm run generate prints";
  const image = path.join(scratch, "image.binpb");
  execFileSync("buf", ["build", "--exclude-source-info", "-o", image], { cwd: root });
  const built = fromBinary(FileDescriptorSetSchema, readFileSync(image)).file.find(
    (file) => file.name === "buf/validate/validate.proto",
  );
  if (built === undefined) return "not in the buf build output";
  // Compared in the form generated code embeds (json names and source info stripped).
  const same =
    embedded(built) === embedded(file_buf_validate_validate.proto) &&
    built.dependency.join() === file_buf_validate_validate.proto.dependency.join();
  return same ? undefined : "compiles to a descriptor other than @bufbuild/protovalidate's";
}

function embedded(file: FileDescriptorProto): string {
  return embedFileDesc({ ...file, $unknown: undefined }).base64();
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}
