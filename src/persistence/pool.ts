/**
 * The `pg` connection pool under MikroORM, kept whole when connections die.
 *
 * pg-pool destroys a client only when it is released (with an error, or found broken at
 * release). Kysely, under MikroORM, releases a transaction's connection only after a
 * successful COMMIT or ROLLBACK (`ControlledTransaction`, kysely-org/kysely#1990): when the
 * database restarts or crashes mid-transaction the ROLLBACK fails on the dead connection,
 * and the client stays checked out forever. Every such fault cost the pool a connection,
 * until it had none and every call waited for ever. So a checked-out client that dies is
 * released here, with its error: pg-pool destroys it and opens a new one on demand. Kysely
 * never hands a dead client to anyone else; its own later release, if any, is then a no-op.
 * This is hand-written because neither library offers the hook (as of kysely 0.29, pg-pool 3).
 */
import type pg from "pg";
import type { PoolStats } from "../application/metrics-source.ts";

/** Releases (so destroys) any checked-out client whose connection breaks. */
export function destroyDeadConnections(pool: pg.Pool): void {
  const checkedOut = new Set<pg.PoolClient>();
  pool.on("acquire", (client) => checkedOut.add(client));
  pool.on("release", (_error, client) => checkedOut.delete(client));
  pool.on("connect", (client) => {
    const destroy = (error: Error) => {
      // An idle client that breaks is pg-pool's own business: it removes it itself.
      if (!checkedOut.has(client)) return;
      const release = client.release.bind(client);
      client.release = () => undefined;
      release(error);
    };
    // `pg` emits "error" when the connection breaks (and "end" after it).
    client.on("error", destroy);
    client.on("end", () => destroy(new Error("connection ended while checked out")));
  });
}

/** The pool's connections right now, as `pg` counts them. */
export function poolStats(pool: pg.Pool): PoolStats {
  const { totalCount: total, idleCount: idle, waitingCount: waiting } = pool;
  return { total, idle, used: total - idle, waiting, size: pool.options.max };
}
