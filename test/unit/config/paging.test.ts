import { describe, expect, it } from "vitest";
import { decodePageToken, encodePageToken, pageRequest } from "../../../src/application/paging.ts";

describe("paging", () => {
  it("defaults page_size 0 to 100 and accepts 1000", () => {
    expect(pageRequest(0, "").pageSize).toBe(100);
    expect(pageRequest(1000, "").pageSize).toBe(1000);
  });

  it("round-trips a cursor through an opaque token", () => {
    const cursor = { created: new Date("2026-01-02T03:04:05.678Z"), id: "a" };
    expect(decodePageToken(encodePageToken(cursor))).toEqual(cursor);
    expect(decodePageToken("")).toBeUndefined();
  });

  it("rejects a token it did not issue", () => {
    expect(() => decodePageToken("bm9wZQ")).toThrow(/^page_token: /);
  });
});
