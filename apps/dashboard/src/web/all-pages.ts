import { api } from './api.ts';
import type { Page } from './types.ts';

/** Every item of a list up to `max`: the API pages by 100, and reading one page would cut lists silently. */
export interface AllPages<T> {
  items: T[];
  /** More exist than `max`: the page says so instead of hiding them. */
  truncated: boolean;
}

export const MAX_LIST_ITEMS = 5_000;

/** Follows `nextCursor` from `url` (its own query string, without limit or cursor) until the end or `max` items. */
export async function fetchAllPages<T>(url: string, max = MAX_LIST_ITEMS): Promise<AllPages<T>> {
  const items: T[] = [];
  const sep = url.includes('?') ? '&' : '?';
  let cursor: string | null = null;
  do {
    const query: string = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: Page<T> = await api<Page<T>>(`${url}${sep}${query}`);
    items.push(...page.items);
    cursor = page.nextCursor ?? null;
  } while (cursor && items.length < max);
  return { items: items.slice(0, max), truncated: cursor !== null || items.length > max };
}

/** What a list shows when it stopped at `max`. */
export const truncatedNote = (what: string) =>
  `Only the first ${MAX_LIST_ITEMS.toLocaleString()} ${what} are shown: more exist.`;
