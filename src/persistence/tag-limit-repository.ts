import { LockMode } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Cursor } from "../application/paging.ts";
import type { TagLimitRecord, TagLimitRepository } from "../application/tag-limits.ts";
import type { Clock, IdGenerator } from "../orchestration/index.ts";
import { TagLimitEntity, TagLimitHolderEntity, TaskRunEntity } from "./entities/index.ts";
import { translatingErrors } from "./errors.ts";
import { afterCursor } from "./keyset.ts";

export class MikroTagLimitRepository implements TagLimitRepository {
  readonly #em: EntityManager;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  /** How long a slot granted by a reset is held before the reaper may free it. */
  readonly #holderTtlSeconds: number;

  constructor(em: EntityManager, clock: Clock, ids: IdGenerator, holderTtlSeconds: number) {
    this.#em = em;
    this.#clock = clock;
    this.#ids = ids;
    this.#holderTtlSeconds = holderTtlSeconds;
  }

  upsert(tag: string, concurrencyLimit: number) {
    return translatingErrors(async () => {
      const now = this.#clock.now();
      await this.#em.execute(
        `insert into tag_concurrency_limit (id, tag, concurrency_limit, created, updated) values (?, ?, ?, ?, ?)
         on conflict (tag) do update set concurrency_limit = excluded.concurrency_limit, updated = excluded.updated`,
        [this.#ids.newId(), tag, concurrencyLimit, now, now],
        "run",
      );
      return (await this.findByTag(tag))!;
    });
  }

  findByTag(tag: string) {
    return translatingErrors(async () => {
      const limit = await this.#em.fork().findOne(TagLimitEntity, { tag });
      return limit === null ? undefined : (await this.#records([limit]))[0];
    });
  }

  list(limit: number, after: Cursor | undefined) {
    return translatingErrors(async () => {
      const where = afterCursor(after);
      const rows = await this.#em.find(TagLimitEntity, where, {
        orderBy: { created: "asc", id: "asc" },
        limit,
      });
      return this.#records(rows);
    });
  }

  delete(tag: string) {
    return translatingErrors(
      async () => (await this.#em.nativeDelete(TagLimitEntity, { tag })) > 0,
    );
  }

  reset(tag: string, taskRunIds: readonly string[]) {
    return translatingErrors(() =>
      this.#em.transactional(async (em) => {
        const limit = await em.findOne(
          TagLimitEntity,
          { tag },
          { lockMode: LockMode.PESSIMISTIC_WRITE },
        );
        if (limit === null) return undefined;
        const known =
          taskRunIds.length === 0
            ? []
            : await em.find(TaskRunEntity, { id: { $in: [...taskRunIds] } });
        const unknown = taskRunIds.filter((id) => !known.some((run) => run.id === id));
        if (unknown.length > 0) return { unknownTaskRuns: unknown };
        await em.nativeDelete(TagLimitHolderEntity, { limitId: limit.id });
        const now = this.#clock.now();
        const expiresAt = new Date(now.getTime() + this.#holderTtlSeconds * 1000);
        for (const taskRunId of taskRunIds) {
          await em.insert(TagLimitHolderEntity, {
            limitId: limit.id,
            taskRunId,
            expiresAt,
            created: now,
          });
        }
        return (await this.#records([limit], em))[0]!;
      }),
    );
  }

  async #records(
    limits: TagLimitEntity[],
    em: EntityManager = this.#em,
  ): Promise<TagLimitRecord[]> {
    if (limits.length === 0) return [];
    const holders = await em.find(
      TagLimitHolderEntity,
      { limitId: { $in: limits.map((l) => l.id) } },
      { orderBy: { taskRunId: "asc" } },
    );
    return limits.map((limit) => ({
      id: limit.id,
      tag: limit.tag,
      concurrencyLimit: Number(limit.concurrencyLimit),
      activeSlots: holders.filter((h) => h.limitId === limit.id).map((h) => h.taskRunId),
      created: limit.created,
      updated: limit.updated,
    }));
  }
}
