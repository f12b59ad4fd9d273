/** What the metrics endpoint reads from the database (implemented by persistence). */
/** Database-backed figures, read when Prometheus scrapes. */
export interface MetricsSource {
  activeSlots(): Promise<{ kind: "deployment" | "tag"; limit: string; slots: number }[]>;
  /** Seconds since the newest outbox event was written (0 when there is none). */
  outboxLagSeconds(): Promise<number>;
  /** Connections of the pool in use and the pool's size. */
  pool(): { used: number; size: number };
}
