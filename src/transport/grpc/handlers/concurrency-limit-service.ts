/** ConcurrencyLimitService: tag limits and lease renewal. */
import { durationMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConcurrencyLimitService } from "../../../../gen/flowgate/v1/concurrency_limit_pb.js";
import type { LeaseUseCases } from "../../../application/leases.ts";
import { pageRequest } from "../../../application/paging.ts";
import type { TagLimitRecord, TagLimitUseCases } from "../../../application/tag-limits.ts";
import type { HandlersFor } from "../bridge.ts";
import { uuid } from "../validate.ts";

export function concurrencyLimitServiceHandlers(
  leases: LeaseUseCases,
  tagLimits: TagLimitUseCases,
): HandlersFor<typeof ConcurrencyLimitService> {
  return {
    async renewConcurrencyLease(request) {
      const seconds = durationMs(request.leaseDuration) / 1000;
      const expiration = await leases.renew(uuid(request.leaseId), seconds);
      return { expiration: timestampFromDate(expiration) };
    },
    async createConcurrencyLimit(request) {
      const limit = await tagLimits.create(request.tag, request.concurrencyLimit);
      return { concurrencyLimit: limitMessage(limit) };
    },
    async getConcurrencyLimit(request) {
      return { concurrencyLimit: limitMessage(await tagLimits.get(request.tag)) };
    },
    async listConcurrencyLimits(request) {
      const page = await tagLimits.list(pageRequest(request.pageSize, request.pageToken));
      return { concurrencyLimits: page.items.map(limitMessage), nextPageToken: page.nextPageToken };
    },
    async deleteConcurrencyLimit(request) {
      await tagLimits.delete(request.tag);
      return {};
    },
    async resetConcurrencyLimit(request) {
      const override = request.slotOverride.map(uuid);
      return { concurrencyLimit: limitMessage(await tagLimits.reset(request.tag, override)) };
    },
  };
}

function limitMessage(limit: TagLimitRecord) {
  return {
    id: limit.id,
    tag: limit.tag,
    concurrencyLimit: limit.concurrencyLimit,
    activeSlots: [...limit.activeSlots],
    created: timestampFromDate(limit.created),
    updated: timestampFromDate(limit.updated),
  };
}
