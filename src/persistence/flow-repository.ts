import { randomUUID } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Flow, FlowRepository } from "../application/flows.ts";
import { FlowEntity } from "./entities/index.ts";
import { translatingErrors } from "./errors.ts";
import { afterCursor } from "./keyset.ts";
import { deleteFlowFreeingSlots } from "./run-deletion.ts";

export class MikroFlowRepository implements FlowRepository {
  readonly #em: EntityManager;

  constructor(em: EntityManager) {
    this.#em = em;
  }

  createIfAbsent(name: string, tags: readonly string[]) {
    return translatingErrors(async () => {
      const now = new Date();
      // One statement decides who wins a race between two creators of the same name.
      const inserted = await this.#em
        .createQueryBuilder(FlowEntity)
        .insert({ id: randomUUID(), name, tags: [...tags], created: now, updated: now })
        .onConflict("name")
        .ignore()
        .execute("run");
      const flow = await this.#em.findOneOrFail(FlowEntity, { name });
      return { flow: toFlow(flow), created: inserted.affectedRows === 1 };
    });
  }

  findById(id: string) {
    return translatingErrors(async () => {
      const flow = await this.#em.findOne(FlowEntity, { id });
      return flow === null ? undefined : toFlow(flow);
    });
  }

  list(limit: number, after: { created: Date; id: string } | undefined) {
    return translatingErrors(async () => {
      const where = afterCursor(after);
      const rows = await this.#em.find(FlowEntity, where, {
        orderBy: { created: "asc", id: "asc" },
        limit,
      });
      return rows.map(toFlow);
    });
  }

  delete(id: string) {
    return translatingErrors(() =>
      this.#em.transactional((em) => deleteFlowFreeingSlots(em, id, new Date())),
    );
  }
}

function toFlow(entity: FlowEntity): Flow {
  return {
    id: entity.id,
    name: entity.name,
    tags: entity.tags,
    created: entity.created,
    updated: entity.updated,
  };
}
