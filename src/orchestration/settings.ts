/**
 * Settings the rules read (spec §1.9), as one typed, frozen object passed in `deps`.
 *
 * The engine never reads the environment: the composition root builds this object from its
 * config (overriding what it must) and every rule reads the same values. Defaults are
 * Prefect's, except for flowgate's own `tagSlotLeaseSeconds` and `strictDeploymentLimits`.
 */

/** The engine's settings; see {@link defaultOrchestrationSettings} for the defaults. */
export interface OrchestrationSettings {
  /** `server.deployments.concurrency_slot_wait_seconds`: AwaitingConcurrencySlot offset. */
  readonly deploymentConcurrencySlotWaitSeconds: number;
  /**
   * `server.concurrency.initial_deployment_lease_duration` (30..3600): the TTL of a
   * deployment lease when the deployment has no grace period.
   */
  readonly initialDeploymentLeaseDurationSeconds: number;
  /** `server.tasks.tag_concurrency_slot_wait_seconds` (≥ 0): tag-limit WAIT delay. */
  readonly tagConcurrencySlotWaitSeconds: number;
  /** `server.concurrency.maximum_concurrency_slot_wait_seconds`: denied-slot decay only. */
  readonly maximumConcurrencySlotWaitSeconds: number;
  /**
   * flowgate's own (Prefect leases tag slots for 100 years): how long a task run's tag slot
   * (V1 holder row or V2 `tag:` lease) lives without a state change or a renewal before the
   * reaper may free it. Long tasks keep their slots by renewing (RenewConcurrencyLease).
   */
  readonly tagSlotLeaseSeconds: number;
  /** `server.tasks.max_cache_key_length`: CacheInsertion. */
  readonly maxCacheKeyLength: number;
  /** `TRUNCATE_STATE_MESSAGES_AT`: state messages in event payloads are cut beyond this. */
  readonly truncateStateMessagesAt: number;
  /**
   * flowgate's own (default `false`, Prefect's behaviour): when `true`, a deployed run takes
   * a deployment slot on every way into PENDING or RUNNING, not only SCHEDULED → PENDING,
   * and is turned away as SecureFlowConcurrencySlots turns it away when none is free
   * (SecureFlowConcurrencySlotsStrictly).
   */
  readonly strictDeploymentLimits: boolean;
}

/**
 * Prefect's defaults (spec §1.9); `tagSlotLeaseSeconds` 300, like a deployment lease;
 * `strictDeploymentLimits` off.
 */
export function defaultOrchestrationSettings(
  overrides: Partial<OrchestrationSettings> = {},
): OrchestrationSettings {
  return Object.freeze({
    deploymentConcurrencySlotWaitSeconds: 30,
    initialDeploymentLeaseDurationSeconds: 300,
    tagConcurrencySlotWaitSeconds: 10,
    tagSlotLeaseSeconds: 300,
    maximumConcurrencySlotWaitSeconds: 30,
    maxCacheKeyLength: 2000,
    truncateStateMessagesAt: 100_000,
    strictDeploymentLimits: false,
    ...overrides,
  });
}
