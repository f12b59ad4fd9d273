/**
 * The limit rows a batch locked before its transitions ran (see lock-runs.ts), as the lock
 * read them. A locked row changes only through this transaction, so until one of its own
 * writes touches it, what the lock read is what a read would return now: the limit ports
 * answer from here instead of asking again, transition after transition. A write forgets
 * the rows it touched; the next read of them goes to the database.
 */
import type { GlobalConcurrencyLimit } from "../../domain/index.ts";

export class LockedLimits {
  /** V2 limits by name; `null`: the lock looked for the name and found no limit. */
  readonly #byName = new Map<string, GlobalConcurrencyLimit | null>();
  readonly #byId = new Map<string, GlobalConcurrencyLimit>();
  /** Tags whose V1 limit rows (if any) this transaction holds locked. */
  readonly #tags = new Set<string>();

  /** Notes the V2 rows the lock returned, and that the `names` it looked for are known. */
  noteLimits(names: readonly string[], limits: readonly GlobalConcurrencyLimit[]): void {
    for (const name of names) this.#byName.set(name, null);
    for (const limit of limits) {
      this.#byName.set(limit.name, limit);
      this.#byId.set(limit.id, limit);
    }
  }

  noteTags(tags: readonly string[]): void {
    for (const tag of tags) this.#tags.add(tag);
  }

  /** The V2 limits named `names` (ordered by name), or `undefined` if one of them is not known. */
  named(names: readonly string[]): GlobalConcurrencyLimit[] | undefined {
    const limits: GlobalConcurrencyLimit[] = [];
    for (const name of names) {
      const limit = this.#byName.get(name);
      if (limit === undefined) return undefined;
      if (limit !== null) limits.push(limit);
    }
    return limits.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The V2 limit `id`, if the lock read it and no write has touched it since. */
  withId(id: string): GlobalConcurrencyLimit | undefined {
    return this.#byId.get(id);
  }

  /** Forgets the V2 rows a write of this transaction changed. */
  forget(ids: readonly string[]): void {
    for (const id of ids) {
      const limit = this.#byId.get(id);
      if (limit === undefined) continue;
      this.#byId.delete(id);
      this.#byName.delete(limit.name);
    }
  }

  /** Whether this transaction holds the V1 limit rows of every tag in `tags` locked. */
  holdsTags(tags: readonly string[]): boolean {
    return tags.every((tag) => this.#tags.has(tag));
  }
}
