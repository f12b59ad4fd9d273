/** What the metrics endpoint reads from the database (implemented by persistence). */

/** One concurrency limit: its active slots and its capacity. */
export interface SlotUsage {
  readonly kind: "deployment" | "tag";
  readonly limit: string;
  readonly slots: number;
  readonly capacity: number;
}

/** Database-backed figures, read when Prometheus scrapes. */
export interface MetricsSource {
  activeSlots(): Promise<SlotUsage[]>;
  /**
   * Seconds since the oldest committed event that this replica's event listener has not
   * received was written: 0 while the listener is connected (PostgreSQL delivers each event's
   * notification at commit), growing while it is cut off.
   */
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
