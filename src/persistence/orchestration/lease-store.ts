/**
 * Concurrency leases as rows of `concurrency_lease`, inside the transition's transaction
 * (preface "Replace"): a rollback undoes a lease together with the slots it stands for.
 * A lease is released exactly once, by whoever deletes its row (see LeaseStore's contract).
 */
import type { QueryResult } from "@mikro-orm/core";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ConcurrencyLease, LeaseHolder, LeaseMetadata } from "../../domain/index.ts";
import type { Clock, IdGenerator, LeaseHolding, LeaseStore } from "../../orchestration/index.ts";
import { toDate } from "../state-mapping.ts";

interface LeaseRow {
  id: string;
  resource_ids: string[];
  expiration: Date | string;
  created_at: Date | string;
  slots: number;
  holder_type: LeaseHolder["type"] | null;
  holder_id: string | null;
}

export class PgLeaseStore implements LeaseStore {
  readonly #em: EntityManager;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;

  constructor(em: EntityManager, clock: Clock, ids: IdGenerator) {
    this.#em = em;
    this.#clock = clock;
    this.#ids = ids;
  }

  async createLease(
    resourceIds: readonly string[],
    ttlSeconds: number,
    metadata: LeaseMetadata,
  ): Promise<ConcurrencyLease> {
    const now = this.#clock.now();
    const lease: ConcurrencyLease = {
      id: this.#ids.newId(),
      resourceIds: [...resourceIds],
      expiration: new Date(now.getTime() + ttlSeconds * 1000),
      createdAt: now,
      metadata,
    };
    await this.#em.execute<QueryResult>(
      `insert into concurrency_lease (id, resource_ids, expiration, created_at, slots, holder_type, holder_id)
       values (?, ?::uuid[], ?, ?, ?, ?, ?)`,
      [
        lease.id,
        `{${lease.resourceIds.join(",")}}`,
        lease.expiration,
        now,
        metadata.slots,
        metadata.holder?.type ?? null,
        metadata.holder?.id ?? null,
      ],
      "run",
    );
    return lease;
  }

  async readLease(leaseId: string): Promise<ConcurrencyLease | null> {
    const rows = await this.#em.execute<LeaseRow[]>(
      `select * from concurrency_lease where id = ? for update`,
      [leaseId],
    );
    return rows[0] === undefined ? null : leaseFromRow(rows[0]);
  }

  async renewLease(leaseId: string, ttlSeconds: number): Promise<boolean> {
    const expiration = new Date(this.#clock.now().getTime() + ttlSeconds * 1000);
    const result = await this.#em.execute<QueryResult>(
      `update concurrency_lease set expiration = ? where id = ?`,
      [expiration, leaseId],
      "run",
    );
    return result.affectedRows > 0;
  }

  async revokeLease(leaseId: string): Promise<void> {
    await this.#em.execute<QueryResult>(
      `delete from concurrency_lease where id = ?`,
      [leaseId],
      "run",
    );
  }

  async listHolders(limitId: string): Promise<LeaseHolding[]> {
    const rows = await this.#em.execute<LeaseRow[]>(
      `select * from concurrency_lease
       where ?::uuid = any(resource_ids) and expiration > ? and holder_type is not null order by id`,
      [limitId, this.#clock.now()],
    );
    return rows.map((row) => ({
      leaseId: row.id,
      holder: { type: row.holder_type!, id: row.holder_id! },
    }));
  }

  async readLeasesHeldBy(limitId: string, holder: LeaseHolder): Promise<ConcurrencyLease[]> {
    const rows = await this.#em.execute<LeaseRow[]>(
      `select * from concurrency_lease
       where ?::uuid = any(resource_ids) and holder_type = ? and holder_id = ? order by id for update`,
      [limitId, holder.type, holder.id],
    );
    return rows.map(leaseFromRow);
  }
}

export function leaseFromRow(row: LeaseRow): ConcurrencyLease {
  return {
    id: row.id,
    resourceIds: row.resource_ids,
    expiration: toDate(row.expiration),
    createdAt: toDate(row.created_at),
    metadata: {
      slots: Number(row.slots),
      holder:
        row.holder_type === null || row.holder_id === null
          ? null
          : { type: row.holder_type, id: row.holder_id },
    },
  };
}
