/**
 * The ports only flow-run orchestration uses, inside the transition's transaction:
 * deployments with their limits, and the related resources of a flow run's events.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { CollisionStrategy, Deployment, FlowRun } from "../../domain/index.ts";
import type { DeploymentReader, RelatedResourceReader } from "../../orchestration/index.ts";
import { ConcurrencyLimitEntity, DeploymentEntity, FlowEntity } from "../entities/index.ts";
import { FLOW_RUNS } from "../run-kinds.ts";
import { limitFromRow } from "./global-limits.ts";
import type { OrchestrationUnitOfWork } from "./unit-of-work.ts";

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

/** A flow as the related resources need it. */
interface KnownFlow {
  readonly id: string;
  readonly name: string;
  readonly tags: readonly string[];
}

/** Flow, deployment and tags of a flow run, in the order of spec §4.1. */
export class PgRelatedResourceReader implements RelatedResourceReader {
  readonly #uow: OrchestrationUnitOfWork;

  constructor(uow: OrchestrationUnitOfWork) {
    this.#uow = uow;
  }

  async readRelatedResources(flowRun: FlowRun): Promise<Readonly<Record<string, string>>[]> {
    const { em } = this.#uow;
    const related: Record<string, string>[] = [];
    const flow =
      this.#lockedFlow(flowRun) ?? (await em.findOne(FlowEntity, { id: flowRun.flowId }));
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
      const deployment = await em.findOne(DeploymentEntity, { id: flowRun.deploymentId });
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

  /** The run's flow as the lock statement read it (FLOW_RUNS' lock extras). */
  #lockedFlow(flowRun: FlowRun): KnownFlow | null {
    const extras = this.#uow.held(FLOW_RUNS, flowRun.id)?.extras;
    if (extras?.x_flow_name == null) return null;
    return {
      id: flowRun.flowId,
      name: extras.x_flow_name as string,
      tags: (extras.x_flow_tags as string[] | null) ?? [],
    };
  }
}
