/** What the metrics endpoint reads from the database (implemented by persistence). */
/** Database-backed figures, read when Prometheus scrapes. */
export interface MetricsSource {
  activeSlots(): Promise<{ kind: "deployment" | "tag"; limit: string; slots: number }[]>;
  /** Seconds since the newest outbox event was written (0 when there is none). */
  outboxLagSeconds(): Promise<number>;
  /** The connection pool as it is right now (no query: it answers while the database does not). */
  pool(): PoolStats;
}

/** The database connection pool's connections. */
export interface PoolStats {
  /** Open connections, checked out or idle. */
  readonly total: number;
  readonly idle: number;
  /** Checked out by a transaction or a query. */
  readonly used: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
  /** The most connections the pool may open. */
  readonly size: number;
}
