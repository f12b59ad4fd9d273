/**
 * The ports only flow-run orchestration uses, inside the transition's transaction:
 * deployments with their limits, and the related resources of a flow run's events.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type {
  CollisionStrategy,
  Deployment,
  FlowRun,
  GlobalConcurrencyLimit,
} from "../../domain/index.ts";
import type { DeploymentReader, RelatedResourceReader } from "../../orchestration/index.ts";
import { DeploymentEntity, FlowEntity } from "../entities/index.ts";
import { FLOW_RUNS } from "../run-kinds.ts";
import { type LimitRow, limitFromRow } from "./global-limits.ts";
import type { LockedLimits } from "./locked-limits.ts";
import type { OrchestrationUnitOfWork } from "./unit-of-work.ts";

export class PgDeploymentReader implements DeploymentReader {
  readonly #em: EntityManager;
  readonly #locked: LockedLimits | undefined;

  /** @param locked the limits a batch locked up front. */
  constructor(em: EntityManager, locked?: LockedLimits) {
    this.#em = em;
    this.#locked = locked;
  }

  async readDeployment(deploymentId: string): Promise<Deployment | null> {
    const deployment = await this.#em.findOne(DeploymentEntity, { id: deploymentId });
    if (deployment === null) return null;
    const limitId = deployment.concurrencyLimitId ?? null;
    const options = deployment.concurrencyOptions;
    return {
      id: deployment.id,
      name: deployment.name,
      concurrencyLimitId: limitId,
      concurrencyLimit: limitId === null ? null : await this.#readLimit(limitId),
      concurrencyOptions:
        options == null
          ? null
          : {
              collisionStrategy: options.collisionStrategy as CollisionStrategy,
              gracePeriodSeconds: options.gracePeriodSeconds ?? null,
            },
    };
  }

  /**
   * The limit as it is now: never the unit of work's copy, which a slot taken earlier in
   * the same transaction (a raw UPDATE) would have left behind.
   */
  async #readLimit(limitId: string): Promise<GlobalConcurrencyLimit | null> {
    const locked = this.#locked?.withId(limitId);
    if (locked !== undefined) return locked;
    const [row] = await this.#em.execute<LimitRow[]>(
      `select * from concurrency_limit_v2 where id = ?`,
      [limitId],
    );
    return row === undefined ? null : limitFromRow(row);
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
