// One spelling of Message-IDs across kbot: with angle brackets, as in the header ("<id@host>").

/** "<id@host>", "id@host" or " <id@host> (comment)" → "<id@host>"; null when there is no id at all. */
export function normalizeMessageId(value: string | undefined | null): string | null {
  if (!value) return null;
  const bracketed = /<([^<>\s]+)>/.exec(value);
  if (bracketed) return `<${bracketed[1]}>`;
  const bare = value.trim().split(/\s+/)[0];
  return bare ? `<${bare}>` : null;
}

/** Every id in a References/In-Reply-To value, in order. */
export function messageIdList(value: string | string[] | undefined | null): string[] {
  if (!value) return [];
  const joined = Array.isArray(value) ? value.join(' ') : value;
  const ids = [...joined.matchAll(/<([^<>\s]+)>/g)].map((m) => `<${m[1]}>`);
  if (ids.length > 0) return ids;
  return joined.split(/\s+/).filter(Boolean).map((s) => `<${s}>`);
}

/** The id as it appears in archive URLs (no brackets, URL-encoded). */
export function messageIdForUrl(id: string): string {
  return encodeURIComponent(id.replace(/^<|>$/g, '')).replace(/%40/g, '@');
}

/**
 * The root of the thread and the newest ids, as other bots trim References; the rest are dropped, and that is
 * said in the message's problems.
 */
export function boundReferences(ids: string[], max: number, problems?: string[]): string[] {
  if (ids.length <= max) return ids;
  problems?.push(`References holds ${ids.length} ids; the first and the last ${max - 1} are kept (limits.max_references ${max})`);
  return [ids[0], ...ids.slice(ids.length - (max - 1))];
}
