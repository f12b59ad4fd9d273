/**
 * Flow use cases. Each call runs in its own unit of work, which the repository factory
 * provides; the application never touches the ORM directly.
 */
import { NotFoundError } from "../domain/index.ts";
import { type Page, type PageRequest, readPage } from "./paging.ts";

export interface Flow {
  readonly id: string;
  readonly name: string;
  readonly tags: readonly string[];
  readonly created: Date;
  readonly updated: Date;
}

/** Persistence of flows; implemented by src/persistence. */
export interface FlowRepository {
  /** Inserts the flow unless one with this name exists; returns the stored one either way. */
  createIfAbsent(name: string, tags: readonly string[]): Promise<{ flow: Flow; created: boolean }>;
  findById(id: string): Promise<Flow | undefined>;
  /** Flows after the cursor in (created, id) order. */
  list(limit: number, after: { created: Date; id: string } | undefined): Promise<Flow[]>;
  /** Deletes the flow with its runs, freeing the concurrency slots they hold. */
  delete(id: string): Promise<boolean>;
}

export class FlowUseCases {
  readonly #flows: () => FlowRepository;

  /** @param flows gives a repository bound to a fresh unit of work for each call. */
  constructor(flows: () => FlowRepository) {
    this.#flows = flows;
  }

  create(name: string, tags: readonly string[]) {
    return this.#flows().createIfAbsent(name, [...new Set(tags)]);
  }

  async get(id: string): Promise<Flow> {
    const flow = await this.#flows().findById(id);
    if (flow === undefined) throw new NotFoundError("flow", id);
    return flow;
  }

  list(request: PageRequest): Promise<Page<Flow>> {
    return readPage(
      request,
      (limit, after) => this.#flows().list(limit, after),
      (flow) => flow,
    );
  }

  async delete(id: string): Promise<void> {
    if (!(await this.#flows().delete(id))) throw new NotFoundError("flow", id);
  }
}
