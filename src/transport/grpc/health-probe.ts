/**
 * A native gRPC health probe (what grpc_health_probe does) for container HEALTHCHECKs:
 * `node src/transport/grpc/health-probe.ts [host:port]` exits 0 when grpc.health.v1.Health
 * answers SERVING for the overall service "", 1 otherwise.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from "../../../gen/grpc/health/v1/health_pb.js";
import { loadConfig } from "../../config.ts";

const address = process.argv[2] ?? `127.0.0.1:${loadConfig().port}`;
const client = new grpc.Client(address, grpc.credentials.createInsecure());
client.makeUnaryRequest(
  "/grpc.health.v1.Health/Check",
  (request: ReturnType<typeof create<typeof HealthCheckRequestSchema>>) =>
    Buffer.from(toBinary(HealthCheckRequestSchema, request)),
  (bytes: Buffer) => fromBinary(HealthCheckResponseSchema, bytes),
  create(HealthCheckRequestSchema, { service: "" }),
  { deadline: Date.now() + 3000 },
  (error, response) => {
    const serving = !error && response?.status === HealthCheckResponse_ServingStatus.SERVING;
    process.stdout.write(
      serving ? "SERVING\n" : `NOT SERVING: ${error?.message ?? response?.status}\n`,
    );
    client.close();
    process.exit(serving ? 0 : 1);
  },
);
