/**
 * grpc.health.v1.Health with the overall service "" (what Kubernetes and Envoy probe by
 * default) and each flowgate service by name.
 */
import type * as grpc from "@grpc/grpc-js";
import { HealthImplementation, type ServingStatus } from "grpc-health-check";

export interface Health {
  set(status: ServingStatus): void;
}

export function addHealth(server: grpc.Server, serviceNames: readonly string[]): Health {
  const names = ["", ...serviceNames];
  const implementation = new HealthImplementation(
    Object.fromEntries(names.map((name) => [name, "NOT_SERVING"])),
  );
  implementation.addToServer(server);
  return {
    set(status) {
      for (const name of names) implementation.setStatus(name, status);
    },
  };
}
