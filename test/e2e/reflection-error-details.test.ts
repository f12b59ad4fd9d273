/**
 * Reflection serves the messages that error details carry (google.rpc.ErrorInfo,
 * google.rpc.BadRequest), which no service imports: a reflection client (grpcurl resolves
 * `Any` values this way) can decode `grpc-status-details-bin` without proto files. The
 * client here is the reference one: grpc-js with the reflection proto that @grpc/reflection
 * ships, loaded by @grpc/proto-loader.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import {
  anyUnpack,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { startTestServer, type TestServer } from "../support/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ FLOWGATE_BACKGROUND_SERVICES: "false" });
});
afterAll(() => server.stop());

interface ReflectionAnswer {
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** Asks reflection v1 for the files that declare `symbol` (and their imports). */
async function fileContainingSymbol(symbol: string): Promise<ReflectionAnswer> {
  const require = createRequire(import.meta.url);
  const proto = path.join(
    path.dirname(require.resolve("@grpc/reflection/package.json")),
    "build/proto/grpc/reflection/v1/reflection.proto",
  );
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(proto)) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  };
  const client = new loaded.grpc.reflection.v1.ServerReflection(
    `127.0.0.1:${server.app.port}`,
    grpc.credentials.createInsecure(),
  );
  try {
    const call = (
      client as unknown as {
        ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionAnswer>;
      }
    ).ServerReflectionInfo();
    const answer = new Promise<ReflectionAnswer>((resolve, reject) => {
      call.once("data", resolve);
      call.once("error", reject);
    });
    call.write({ fileContainingSymbol: symbol });
    const result = await answer;
    call.end();
    return result;
  } finally {
    client.close();
  }
}

describe("reflection of error details", () => {
  it.each(["google.rpc.BadRequest", "google.rpc.ErrorInfo", "google.rpc.Status"])(
    "serves the file declaring %s (before: Symbol not found)",
    async (symbol) => {
      const answer = await fileContainingSymbol(symbol);
      expect(answer.errorResponse).toBeUndefined();
      const files = answer.fileDescriptorResponse!.fileDescriptorProto.map((bytes) =>
        fromBinary(FileDescriptorProtoSchema, bytes),
      );
      const declared = files.flatMap((file) =>
        file.messageType.map((message) => `${file.package}.${message.name}`),
      );
      expect(declared).toContain(symbol);
    },
  );

  it("decodes a real error's BadRequest with nothing but the reflected descriptors", async () => {
    const flows = new grpc.Client(
      `127.0.0.1:${server.app.port}`,
      grpc.credentials.createInsecure(),
    );
    const error = await new Promise<grpc.ServiceError>((resolve) =>
      flows.makeUnaryRequest(
        "/flowgate.v1.FlowService/GetFlow",
        () => Buffer.from([0x0a, 0x01, 0x78]), // GetFlowRequest{flow_id: "x"}
        (bytes: Buffer) => bytes,
        {},
        (failure) => resolve(failure as grpc.ServiceError),
      ),
    );
    flows.close();
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    const status = fromBinary(
      StatusSchema,
      error.metadata.get("grpc-status-details-bin")[0] as Buffer,
    );

    const answer = await fileContainingSymbol("google.rpc.BadRequest");
    const registry = createFileRegistry(
      create(FileDescriptorSetSchema, {
        file: answer.fileDescriptorResponse!.fileDescriptorProto.map((bytes) =>
          fromBinary(FileDescriptorProtoSchema, bytes),
        ),
      }),
    );
    const badRequest = status.details.find((detail) =>
      detail.typeUrl.endsWith("google.rpc.BadRequest"),
    );
    const decoded = anyUnpack(badRequest!, registry) as unknown as {
      fieldViolations: { field: string; description: string }[];
    };
    expect(decoded.fieldViolations[0]?.field).toBe("flow_id");
  });
});
