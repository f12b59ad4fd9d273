/**
 * grpc.health.v1.Health. Readiness is the overall service "" (what Kubernetes and Envoy probe
 * by default) and each flowgate service by name: it follows the database, and turns
 * NOT_SERVING for good once the server drains. Liveness is {@link LIVENESS_SERVICE}: SERVING
 * whenever the process can answer at all, whatever the database does, so that a database
 * outage takes replicas out of rotation without restarting them.
 */
import type * as grpc from "@grpc/grpc-js";
import { HealthImplementation, type ServingStatus } from "grpc-health-check";

/** The health service name that answers from the process alone (Kubernetes liveness). */
export const LIVENESS_SERVICE = "liveness";

export interface Health {
  /** Sets readiness (ignored once draining: a replica that shuts down stays NOT_SERVING). */
  set(status: ServingStatus): void;
  /** NOT_SERVING for readiness from now on; Watch streams are told at once. */
  drain(): void;
}

export function addHealth(server: grpc.Server, serviceNames: readonly string[]): Health {
  const readiness = ["", ...serviceNames];
  const implementation = new HealthImplementation({
    ...Object.fromEntries(readiness.map((name) => [name, "NOT_SERVING"])),
    [LIVENESS_SERVICE]: "SERVING",
  });
  implementation.addToServer(server);
  let draining = false;
  const setReadiness = (status: ServingStatus) => {
    for (const name of readiness) implementation.setStatus(name, status);
  };
  return {
    set(status) {
      if (!draining) setReadiness(status);
    },
    drain() {
      if (draining) return;
      draining = true;
      setReadiness("NOT_SERVING");
    },
  };
}
