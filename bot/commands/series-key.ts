// Which series a command, a triage decision or a run record is about. Versions of one series have other
// Message-IDs, so the key is what b4 links versions by: the same author and the same title (the subject
// without its [PATCH vN i/N] prefix), case and spacing aside. A v3 that retitles the series is a new series.
import { createHash } from 'node:crypto';
import type { Series } from '../types.ts';

export function seriesKey(series: Pick<Series, 'title' | 'cover' | 'patches'>): string {
  const first = series.cover ?? series.patches.find((p) => p !== null) ?? null;
  const author = first?.from.address.toLowerCase() ?? '';
  return seriesKeyOf(author, series.title);
}

export function seriesKeyOf(author: string, title: string): string {
  const t = normalizeTitle(title);
  return createHash('sha256').update(`${author.toLowerCase()}\n${t}`).digest('hex').slice(0, 16);
}

export function normalizeTitle(title: string): string {
  return title.replace(/^(\s*(re|fwd?):\s*)+/i, '').replace(/^\s*(\[[^\]]*\]\s*)+/, '').replace(/\s+/g, ' ').trim().toLowerCase();
}
