/**
 * The small read/write ports of flow-run orchestration, each one statement or two inside
 * the transition's transaction.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { CollisionStrategy, Deployment, FlowRun } from "../../domain/index.ts";
import type {
  DeploymentReader,
  EventOutbox,
  FlowRunStateTimestamps,
  RelatedResourceReader,
  RunStateEvent,
} from "../../orchestration/index.ts";
import { ConcurrencyLimitEntity, DeploymentEntity, FlowEntity } from "../entities/index.ts";
import { limitFromRow } from "./global-limits.ts";

/** The channel on which committed events are announced (payload: the run id). */
export const EVENTS_CHANNEL = "flowgate_events";

export class PgFlowRunStateTimestamps implements FlowRunStateTimestamps {
  readonly #em: EntityManager;
  readonly #latest: ReadonlyMap<string, Date>;

  /** @param latest the newest state timestamp of each run locked in this transaction. */
  constructor(em: EntityManager, latest: ReadonlyMap<string, Date> = new Map()) {
    this.#em = em;
    this.#latest = latest;
  }

  async hasStateAt(flowRunId: string, timestamp: Date): Promise<boolean> {
    // The run is locked: no state newer than the latest one we saw can appear meanwhile.
    const latest = this.#latest.get(flowRunId);
    if (latest !== undefined && timestamp > latest) return false;
    const rows = await this.#em.execute(
      `select 1 from flow_run_state where flow_run_id = ? and "timestamp" = ? limit 1`,
      [flowRunId, timestamp],
    );
    return rows.length > 0;
  }
}

export class PgDeploymentReader implements DeploymentReader {
  readonly #em: EntityManager;
  constructor(em: EntityManager) {
    this.#em = em;
  }

  async readDeployment(deploymentId: string): Promise<Deployment | null> {
    const deployment = await this.#em.findOne(DeploymentEntity, { id: deploymentId });
    if (deployment === null) return null;
    const limitId = deployment.concurrencyLimitId ?? null;
    const limit =
      limitId === null ? null : await this.#em.findOne(ConcurrencyLimitEntity, { id: limitId });
    const options = deployment.concurrencyOptions;
    return {
      id: deployment.id,
      name: deployment.name,
      concurrencyLimitId: limitId,
      concurrencyLimit:
        limit === null
          ? null
          : limitFromRow({
              id: limit.id,
              name: limit.name,
              active: Boolean(limit.active),
              limit: Number(limit.limit),
              active_slots: Number(limit.activeSlots),
              denied_slots: Number(limit.deniedSlots),
              slot_decay_per_second: Number(limit.slotDecayPerSecond),
              avg_slot_occupancy_seconds: Number(limit.avgSlotOccupancySeconds),
              updated: limit.updated,
            }),
      concurrencyOptions:
        options == null
          ? null
          : {
              collisionStrategy: options.collisionStrategy as CollisionStrategy,
              gracePeriodSeconds: options.gracePeriodSeconds ?? null,
            },
    };
  }
}

/** Appends to the outbox and announces the run on {@link EVENTS_CHANNEL} (delivered at commit). */
export class PgEventOutbox implements EventOutbox {
  readonly #em: EntityManager;
  constructor(em: EntityManager) {
    this.#em = em;
  }

  async append(event: RunStateEvent): Promise<void> {
    const { sql, params } = appendEventStatement(event);
    await this.#em.execute(sql, params);
  }
}

/**
 * The outbox insert and its notification as one statement (one round trip); PostgreSQL
 * delivers the notification only when the transaction commits.
 */
export function appendEventStatement(event: RunStateEvent): { sql: string; params: unknown[] } {
  return {
    sql: `with inserted as (
       insert into event (id, event, occurred, follows, resource_id, resource, related, payload)
       values (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb) returning resource_id)
     select pg_notify(?, resource_id::text) from inserted`,
    params: [
      event.id,
      event.event,
      event.occurred,
      event.follows,
      runIdOf(event),
      JSON.stringify(event.resource),
      JSON.stringify(event.related),
      JSON.stringify(event.payload),
      EVENTS_CHANNEL,
    ],
  };
}

/** The run id at the end of `prefect.flow-run.<id>` / `prefect.task-run.<id>`. */
function runIdOf(event: RunStateEvent): string {
  const resource = event.resource["prefect.resource.id"] ?? "";
  return resource.slice(resource.lastIndexOf(".") + 1);
}

/** Flow, deployment and tags of a flow run, in the order of spec §4.1. */
/** What the lock query already read about a run's flow. */
export interface KnownFlow {
  readonly id: string;
  readonly name: string;
  readonly tags: readonly string[];
}

export class PgRelatedResourceReader implements RelatedResourceReader {
  readonly #em: EntityManager;
  readonly #flows: ReadonlyMap<string, KnownFlow>;

  constructor(em: EntityManager, flows: ReadonlyMap<string, KnownFlow> = new Map()) {
    this.#em = em;
    this.#flows = flows;
  }

  async readRelatedResources(flowRun: FlowRun): Promise<Readonly<Record<string, string>>[]> {
    const related: Record<string, string>[] = [];
    const flow =
      this.#flows.get(flowRun.flowId) ??
      (await this.#em.findOne(FlowEntity, { id: flowRun.flowId }));
    const tags = new Set(flowRun.tags);
    if (flow !== null) {
      related.push({
        "prefect.resource.id": `prefect.flow.${flow.id}`,
        "prefect.resource.role": "flow",
        "prefect.resource.name": flow.name,
      });
      for (const tag of flow.tags) tags.add(tag);
    }
    if (flowRun.deploymentId !== null) {
      const deployment = await this.#em.findOne(DeploymentEntity, { id: flowRun.deploymentId });
      if (deployment !== null) {
        related.push({
          "prefect.resource.id": `prefect.deployment.${deployment.id}`,
          "prefect.resource.role": "deployment",
          "prefect.resource.name": deployment.name,
        });
      }
    }
    for (const tag of [...tags].sort()) {
      related.push({ "prefect.resource.id": `prefect.tag.${tag}`, "prefect.resource.role": "tag" });
    }
    return related;
  }
}
