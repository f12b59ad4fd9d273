/**
 * Deployment use cases. A deployment's concurrency limit is a global limit row named
 * `deployment:<id>` that the flow rules take slots on; it is created, resized and removed
 * with the deployment, in the same transaction.
 */
import type { ConcurrencyOptions } from "../domain/index.ts";
import { NotFoundError } from "../domain/index.ts";
import { type Cursor, type Page, type PageRequest, readPage } from "./paging.ts";

export interface DeploymentRecord {
  readonly id: string;
  readonly flowId: string;
  readonly name: string;
  readonly concurrencyLimit: number | null;
  readonly concurrencyOptions: ConcurrencyOptions | null;
  readonly created: Date;
  readonly updated: Date;
}

export interface DeploymentFields {
  readonly name: string;
  readonly concurrencyLimit: number | null;
  readonly concurrencyOptions: ConcurrencyOptions | null;
}

/** Persistence of deployments; every method is one transaction. */
export interface DeploymentRepository {
  /** `undefined` when the flow does not exist. */
  create(flowId: string, fields: DeploymentFields): Promise<DeploymentRecord | undefined>;
  findById(id: string): Promise<DeploymentRecord | undefined>;
  update(id: string, fields: DeploymentFields): Promise<DeploymentRecord | undefined>;
  delete(id: string): Promise<boolean>;
  /** Deployments after the cursor in (created, id) order, of one flow when `flowId` is set. */
  list(
    limit: number,
    after: Cursor | undefined,
    flowId: string | null,
  ): Promise<DeploymentRecord[]>;
}

export class DeploymentUseCases {
  readonly #deployments: () => DeploymentRepository;

  constructor(deployments: () => DeploymentRepository) {
    this.#deployments = deployments;
  }

  async create(flowId: string, fields: DeploymentFields): Promise<DeploymentRecord> {
    const created = await this.#deployments().create(flowId, fields);
    if (created === undefined) throw new NotFoundError("flow", flowId);
    return created;
  }

  async get(id: string): Promise<DeploymentRecord> {
    const found = await this.#deployments().findById(id);
    if (found === undefined) throw new NotFoundError("deployment", id);
    return found;
  }

  async update(id: string, fields: DeploymentFields): Promise<DeploymentRecord> {
    const updated = await this.#deployments().update(id, fields);
    if (updated === undefined) throw new NotFoundError("deployment", id);
    return updated;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.#deployments().delete(id))) throw new NotFoundError("deployment", id);
  }

  list(request: PageRequest, flowId: string | null): Promise<Page<DeploymentRecord>> {
    const deployments = this.#deployments();
    return readPage(
      request,
      (limit, after) => deployments.list(limit, after, flowId),
      (deployment) => deployment,
    );
  }
}
