/**
 * Keyset paging. A page token is an opaque, URL-safe encoding of the last item's
 * (created, id): stable under concurrent inserts, unlike offsets.
 */
import { InvalidArgumentError } from "../domain/index.ts";

export const DEFAULT_PAGE_SIZE = 100;

export interface PageRequest {
  readonly pageSize: number;
  readonly pageToken: string;
}

export interface Page<T> {
  readonly items: T[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

export interface Cursor {
  readonly created: Date;
  readonly id: string;
}

/** Applies the default of `page_size` (the contract bounds it: 0 to 1000). */
export function pageRequest(pageSize: number, pageToken: string): PageRequest {
  return { pageSize: pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize, pageToken };
}

export function encodePageToken(last: Cursor): string {
  return Buffer.from(JSON.stringify([last.created.toISOString(), last.id])).toString("base64url");
}

export function decodePageToken(token: string): Cursor | undefined {
  if (token === "") return undefined;
  try {
    const [created, id] = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    const date = new Date(created);
    if (typeof id === "string" && !Number.isNaN(date.getTime())) return { created: date, id };
  } catch {
    // fall through to the error below
  }
  throw new InvalidArgumentError("page_token", "not a token from a previous response");
}

/**
 * Reads one page: asks `read` for one row more than the page holds (to know whether another
 * page follows, without a count) after the request's cursor, and encodes the next token.
 */
export async function readPage<T>(
  request: PageRequest,
  read: (limit: number, after: Cursor | undefined) => Promise<T[]>,
  cursorOf: (item: T) => Cursor,
): Promise<Page<T>> {
  const rows = await read(request.pageSize + 1, decodePageToken(request.pageToken));
  const items = rows.slice(0, request.pageSize);
  const last = items.at(-1);
  const more = rows.length > request.pageSize && last !== undefined;
  return { items, nextPageToken: more ? encodePageToken(cursorOf(last)) : "" };
}
