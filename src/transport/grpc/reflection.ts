/**
 * Server reflection (v1 and v1alpha) fed with protobuf-es descriptors: each service's file
 * and all its imports, serialized as FileDescriptorProtos, plus the files of the messages
 * that error details carry (`google.rpc.Status`, `google.rpc.BadRequest`,
 * `google.rpc.ErrorInfo`, …), which no service imports. grpcurl and `buf curl` can then list,
 * describe and call every service, and decode `grpc-status-details-bin`, without proto files.
 */
import { type DescFile, toBinary } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type * as grpc from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { file_google_rpc_error_details } from "../../../gen/google/rpc/error_details_pb.js";
import { file_google_rpc_status } from "../../../gen/google/rpc/status_pb.js";

/** Files whose messages travel in error details rather than in any request or response. */
const ERROR_DETAIL_FILES: readonly DescFile[] = [
  file_google_rpc_status,
  file_google_rpc_error_details,
];

export function addReflection(
  server: grpc.Server,
  services: readonly GenService<GenServiceMethods>[],
): void {
  const packageDefinition: Record<string, { fileDescriptorProtos: Buffer[] }> = {};
  for (const service of services) {
    packageDefinition[service.typeName] = {
      fileDescriptorProtos: withImports(service.file).map(encode),
    };
  }
  // @grpc/reflection indexes the symbols of every file it is given, whatever the entry's key.
  for (const file of ERROR_DETAIL_FILES) {
    packageDefinition[file.name] = { fileDescriptorProtos: withImports(file).map(encode) };
  }
  // @grpc/reflection reads only `fileDescriptorProtos` from each entry of the definition.
  new ReflectionService(packageDefinition as never).addToServer(server);
}

function withImports(file: DescFile, seen = new Set<string>()): DescFile[] {
  if (seen.has(file.name)) return [];
  seen.add(file.name);
  return [file, ...file.dependencies.flatMap((dependency) => withImports(dependency, seen))];
}

function encode(file: DescFile): Buffer {
  return Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto));
}
