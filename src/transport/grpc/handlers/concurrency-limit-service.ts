/** ConcurrencyLimitService: lease renewal. */
import { durationMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConcurrencyLimitService } from "../../../../gen/flowgate/v1/concurrency_limit_pb.js";
import type { LeaseUseCases } from "../../../application/leases.ts";
import { InvalidArgumentError } from "../../../domain/index.ts";
import type { HandlersFor } from "../bridge.ts";
import { requireUuid } from "../validate.ts";

export function concurrencyLimitServiceHandlers(
  leases: LeaseUseCases,
): HandlersFor<typeof ConcurrencyLimitService> {
  return {
    async renewConcurrencyLease(request) {
      const leaseId = requireUuid("lease_id", request.leaseId);
      if (request.leaseDuration === undefined)
        throw new InvalidArgumentError("lease_duration", "is required");
      const expiration = await leases.renew(leaseId, durationMs(request.leaseDuration) / 1000);
      return { expiration: timestampFromDate(expiration) };
    },
  };
}
