/** The list commands read pages until --limit items or the last page. */
import { describe, expect, it } from "vitest";
import { collectPages } from "../../../src/cli/commands/pages.ts";

/** A server holding `total` items, answering at most `max` per page, that logs each ask. */
function fakeList(total: number, max = 1000) {
  const asked: number[] = [];
  const fetchPage = async (pageSize: number, pageToken: string) => {
    asked.push(pageSize);
    const start = pageToken === "" ? 0 : Number(pageToken);
    const end = Math.min(total, start + Math.min(pageSize, max));
    const items = Array.from({ length: end - start }, (_, i) => start + i);
    return { items, nextPageToken: end < total ? String(end) : "" };
  };
  return { asked, fetchPage };
}

describe("collectPages", () => {
  it("follows page tokens up to the limit and says more exist", async () => {
    const list = fakeList(25, 10);
    const page = await collectPages(22, list.fetchPage);
    expect(page.items).toEqual(Array.from({ length: 22 }, (_, i) => i));
    expect(page.nextPageToken).toBe("22");
    expect(list.asked).toEqual([22, 12, 2]);
  });

  it("stops at the last page", async () => {
    const list = fakeList(3);
    expect(await collectPages(100, list.fetchPage)).toEqual({
      items: [0, 1, 2],
      nextPageToken: "",
    });
  });

  it("asks for at most the server's largest page", async () => {
    const list = fakeList(2500);
    const page = await collectPages(2500, list.fetchPage);
    expect(page.items).toHaveLength(2500);
    expect(list.asked).toEqual([1000, 1000, 500]);
  });
});
