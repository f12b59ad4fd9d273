/**
 * Tag concurrency limits (V1). A limit's active slots are its holder rows — one per task run
 * holding a slot — so `active slots == live holders` holds by construction.
 */
import { InvalidArgumentError, NotFoundError } from "../domain/index.ts";
import { type Cursor, type Page, type PageRequest, readPage } from "./paging.ts";

export interface TagLimitRecord {
  readonly id: string;
  readonly tag: string;
  readonly concurrencyLimit: number;
  /** Ids of the task runs holding a slot, sorted. */
  readonly activeSlots: readonly string[];
  readonly created: Date;
  readonly updated: Date;
}

/** Persistence of tag limits; every method is one transaction. */
export interface TagLimitRepository {
  upsert(tag: string, concurrencyLimit: number): Promise<TagLimitRecord>;
  findByTag(tag: string): Promise<TagLimitRecord | undefined>;
  list(limit: number, after: Cursor | undefined): Promise<TagLimitRecord[]>;
  delete(tag: string): Promise<boolean>;
  /**
   * Replaces the holders of `tag` with `taskRunIds` (none: frees every slot). Resolves
   * `undefined` for an unknown tag, or the ids that are not task runs.
   */
  reset(
    tag: string,
    taskRunIds: readonly string[],
  ): Promise<TagLimitRecord | { unknownTaskRuns: string[] } | undefined>;
}

export class TagLimitUseCases {
  readonly #limits: () => TagLimitRepository;

  constructor(limits: () => TagLimitRepository) {
    this.#limits = limits;
  }

  create(tag: string, concurrencyLimit: number): Promise<TagLimitRecord> {
    return this.#limits().upsert(tag, concurrencyLimit);
  }

  async get(tag: string): Promise<TagLimitRecord> {
    const found = await this.#limits().findByTag(tag);
    if (found === undefined) throw new NotFoundError("concurrency limit", tag);
    return found;
  }

  list(page: PageRequest): Promise<Page<TagLimitRecord>> {
    return readPage(
      page,
      (limit, after) => this.#limits().list(limit, after),
      (limit) => limit,
    );
  }

  async delete(tag: string): Promise<void> {
    if (!(await this.#limits().delete(tag))) throw new NotFoundError("concurrency limit", tag);
  }

  async reset(tag: string, slotOverride: readonly string[]): Promise<TagLimitRecord> {
    const result = await this.#limits().reset(tag, [...new Set(slotOverride)]);
    if (result === undefined) throw new NotFoundError("concurrency limit", tag);
    if ("unknownTaskRuns" in result) {
      throw new InvalidArgumentError(
        "slot_override",
        `unknown task runs: ${result.unknownTaskRuns.join(", ")}`,
      );
    }
    return result;
  }
}
