/** Paging for the list commands: read pages until `limit` items or the last page. */
import type { CliContext } from "../context.ts";

/** A page as every List RPC answers it. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken: string;
}

/** The server's largest page. */
const MAX_PAGE_SIZE = 1000;

/**
 * Up to `limit` items across pages; `nextPageToken` is non-empty when more exist (the list
 * commands say so, so that a truncated table is never mistaken for the whole).
 */
export async function collectPages<T>(
  limit: number,
  fetchPage: (pageSize: number, pageToken: string) => Promise<Page<T>>,
): Promise<Page<T>> {
  const items: T[] = [];
  let pageToken = "";
  do {
    const page = await fetchPage(Math.min(MAX_PAGE_SIZE, limit - items.length), pageToken);
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== "" && items.length < limit);
  return { items, nextPageToken: pageToken };
}

/** In table output, a note on stderr that the list goes on. */
export function printTruncation(context: CliContext, page: Page<unknown>): void {
  if (page.nextPageToken !== "" && !context.json) {
    context.note(`(more exist: raise --limit above ${page.items.length} to see them)`);
  }
}
