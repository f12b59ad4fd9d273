import { randomUUID } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import type {
  DeploymentFields,
  DeploymentRecord,
  DeploymentRepository,
} from "../application/deployments.ts";
import type { Cursor } from "../application/paging.ts";
import type { CollisionStrategy } from "../domain/index.ts";
import { ConcurrencyLimitEntity, DeploymentEntity, FlowEntity } from "./entities/index.ts";
import { translatingErrors } from "./errors.ts";
import { afterCursor } from "./keyset.ts";

/** The global limit that carries a deployment's concurrency limit. */
export function deploymentLimitName(deploymentId: string): string {
  return `deployment:${deploymentId}`;
}

export class MikroDeploymentRepository implements DeploymentRepository {
  readonly #em: EntityManager;

  constructor(em: EntityManager) {
    this.#em = em;
  }

  create(flowId: string, fields: DeploymentFields) {
    return translatingErrors(() =>
      this.#em.transactional(async (em) => {
        if ((await em.count(FlowEntity, { id: flowId })) === 0) return undefined;
        const deployment = em.create(DeploymentEntity, {
          id: randomUUID(),
          flowId,
          name: fields.name,
        });
        await this.#apply(em, deployment, fields);
        await em.flush();
        return this.#record(em, deployment);
      }),
    );
  }

  findById(id: string) {
    return translatingErrors(async () => {
      const deployment = await this.#em.findOne(DeploymentEntity, { id });
      return deployment === null ? undefined : this.#record(this.#em, deployment);
    });
  }

  list(limit: number, after: Cursor | undefined, flowId: string | null) {
    return translatingErrors(async () => {
      const where = { ...afterCursor(after), ...(flowId !== null && { flowId }) };
      const rows = await this.#em.find(DeploymentEntity, where, {
        orderBy: { created: "asc", id: "asc" },
        limit,
      });
      const limitIds = rows.flatMap((row) => row.concurrencyLimitId ?? []);
      const limits =
        limitIds.length === 0
          ? []
          : await this.#em.find(ConcurrencyLimitEntity, { id: { $in: limitIds } });
      const limitById = new Map(limits.map((row) => [row.id, Number(row.limit)]));
      return rows.map((row) =>
        toRecord(
          row,
          row.concurrencyLimitId == null ? null : (limitById.get(row.concurrencyLimitId) ?? null),
        ),
      );
    });
  }

  update(id: string, fields: DeploymentFields) {
    return translatingErrors(() =>
      this.#em.transactional(async (em) => {
        const deployment = await em.findOne(DeploymentEntity, { id });
        if (deployment === null) return undefined;
        deployment.name = fields.name;
        await this.#apply(em, deployment, fields);
        await em.flush();
        return this.#record(em, deployment);
      }),
    );
  }

  delete(id: string) {
    return translatingErrors(() =>
      this.#em.transactional(async (em) => {
        // The limit row first, as #apply locks it before the deployment row: concurrent
        // updates and deletes take the two locks in one order and cannot deadlock.
        await em.nativeDelete(ConcurrencyLimitEntity, { name: deploymentLimitName(id) });
        const deleted = await em.nativeDelete(DeploymentEntity, { id });
        return deleted > 0;
      }),
    );
  }

  /**
   * Creates, resizes or removes the deployment's limit row. Active slots are kept on resize.
   * Creation is one upsert: concurrent calls that give a deployment its first limit all
   * find the one row (a check-then-insert lost the race on the unique name).
   */
  async #apply(
    em: EntityManager,
    deployment: DeploymentEntity,
    fields: DeploymentFields,
  ): Promise<void> {
    deployment.concurrencyOptions = fields.concurrencyOptions && { ...fields.concurrencyOptions };
    const name = deploymentLimitName(deployment.id);
    if (fields.concurrencyLimit === null) {
      deployment.concurrencyLimitId = null;
      await em.nativeDelete(ConcurrencyLimitEntity, { name });
      return;
    }
    const [limit] = await em.execute<{ id: string }[]>(
      `insert into concurrency_limit_v2 (id, name, "limit", updated) values (?, ?, ?, ?)
       on conflict (name) do update set "limit" = excluded."limit", updated = excluded.updated
       returning id`,
      [randomUUID(), name, fields.concurrencyLimit, new Date()],
      "all",
    );
    deployment.concurrencyLimitId = limit!.id;
  }

  async #record(em: EntityManager, deployment: DeploymentEntity): Promise<DeploymentRecord> {
    const limit =
      deployment.concurrencyLimitId == null
        ? null
        : await em.findOne(ConcurrencyLimitEntity, { id: deployment.concurrencyLimitId });
    return toRecord(deployment, limit === null ? null : Number(limit.limit));
  }
}

function toRecord(deployment: DeploymentEntity, concurrencyLimit: number | null): DeploymentRecord {
  const options = deployment.concurrencyOptions;
  return {
    id: deployment.id,
    flowId: deployment.flowId,
    name: deployment.name,
    concurrencyLimit,
    concurrencyOptions:
      options == null
        ? null
        : {
            collisionStrategy: options.collisionStrategy as CollisionStrategy,
            gracePeriodSeconds: options.gracePeriodSeconds ?? null,
          },
    created: deployment.created,
    updated: deployment.updated,
  };
}
