/** What the metrics endpoint reads from the database (implemented by persistence). */

/** One concurrency limit: its active slots and its capacity. */
export interface SlotUsage {
  readonly kind: "deployment" | "tag";
  readonly limit: string;
  readonly slots: number;
  readonly capacity: number;
}

/** The database pool right now. */
export interface PoolStats {
  /** Open connections, in use or idle. */
  readonly total: number;
  readonly idle: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
  /** The pool's capacity. */
  readonly max: number;
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
  pool(): Promise<PoolStats>;
}
