// Messages → Series, as b4 does it: thread first (a patch belongs to the cover letter or patch 1 it replies to),
// then (version, total, sender) for parts sent without threading; versions of one series are linked by title
// and author. Pure: no I/O, nothing guessed silently — every guess or drop is a note or a problem.
import { normalizeTitle } from '../mail/parse-subject.ts';
import type { Message, Series } from '../types.ts';
import { DEFAULT_LIMITS } from '../../config/defaults.ts';

export interface Assembly {
  series: Series[];
  notes: string[];
}

interface Group {
  /** Input position of the first message, for a stable output order. */
  order: number;
  version: number;
  total: number;
  sender: string;
  cover: Message | null;
  parts: Map<number, Message>;
  problems: string[];
}

export interface AssemblyLimits {
  /** limits.max_thread_depth: how many replies up a thread are followed. */
  maxThreadDepth?: number;
}

export function assembleSeries(messages: Message[], opts: AssemblyLimits = {}): Assembly {
  const notes: string[] = [];
  const byId = new Map<string, Message>();
  const position = new Map<Message, number>();
  const unique: Message[] = [];
  for (const m of messages) {
    const first = byId.get(m.messageId);
    if (first) {
      notes.push(`duplicate Message-ID ${m.messageId} from ${m.source} ignored (first seen in ${first.source})`);
      continue;
    }
    byId.set(m.messageId, m);
    position.set(m, unique.length);
    unique.push(m);
  }

  // Thread anchor: the cover letter or patch 1 a message hangs from, following replies within one revision.
  // Iterative, with the depth bounded (limits.max_thread_depth): a thread thousands of replies deep is input.
  const anchors = new Map<Message, Message | null>();
  const maxDepth = opts.maxThreadDepth ?? DEFAULT_LIMITS.max_thread_depth;
  const parentsOf = (m: Message): Message[] => {
    const out: Message[] = [];
    for (const id of [m.inReplyTo, ...[...m.references].reverse()]) {
      const parent = id ? byId.get(id) : undefined;
      // Follow only replies to an earlier part: a lone [PATCH] posted in reply to another is its own series.
      // The index falls at each step, so no chain of parents comes back to a message.
      if (parent && parent !== m && sameRevision(parent, m) && parent.parsedSubject.index < m.parsedSubject.index) out.push(parent);
    }
    return out;
  };
  let cutAt: Message | null = null;
  const anchorOf = (start: Message): Message | null => {
    interface Frame { m: Message; parents: Message[]; next: number }
    const stack: Frame[] = [];
    // What the frame last left (or the message last looked up) hangs from; undefined: not known yet.
    let found: Message | null | undefined;
    const enter = (m: Message): void => {
      if (anchors.has(m)) found = anchors.get(m)!;
      else if (isCover(m)) {
        anchors.set(m, m);
        found = m;
      } else if (stack.length >= maxDepth) {
        cutAt ??= m;
        found = null;
      } else {
        stack.push({ m, parents: parentsOf(m), next: 0 });
        found = undefined;
      }
    };
    enter(start);
    while (stack.length) {
      const f = stack[stack.length - 1];
      if (found) {
        anchors.set(f.m, found);
        stack.pop();
        continue;
      }
      if (f.next < f.parents.length) {
        enter(f.parents[f.next++]);
        continue;
      }
      found = f.m.parsedSubject.index === 1 ? f.m : null;
      anchors.set(f.m, found);
      stack.pop();
    }
    return found ?? null;
  };

  const groups = new Map<Message, Group>();
  const loose: Message[] = [];
  for (const m of unique) {
    const anchor = anchorOf(m);
    if (!anchor) {
      loose.push(m);
      continue;
    }
    let group = groups.get(anchor);
    if (!group) {
      group = newGroup(anchor, position.get(anchor)!);
      groups.set(anchor, group);
    }
    group.order = Math.min(group.order, position.get(m)!);
    place(group, m, notes);
  }

  // A cover letter whose patches did not reply to it, and the patches: join them when exactly one fits.
  const all = [...groups.values()];
  for (const g of all.filter((x) => x.cover === null)) {
    const covers = all.filter((c) => c.cover && c.parts.size === 0 && sameKey(c, g));
    if (covers.length === 1) {
      const c = covers[0];
      for (const m of g.parts.values()) place(c, m, notes);
      c.order = Math.min(c.order, g.order);
      all.splice(all.indexOf(g), 1);
    }
  }
  // Parts whose cover letter was not received still share its Message-ID as their parent: group by that first,
  // then, for parts sent without threading, fall back to (version, total, sender) as b4 does.
  for (const m of loose) {
    const key = { version: m.parsedSubject.version, total: m.parsedSubject.total, sender: m.from.address };
    const fits = all.filter((g) => sameKey(g, key) && !g.parts.has(m.parsedSubject.index));
    const siblings = m.inReplyTo
      ? fits.filter((g) => [...g.parts.values()].some((p) => p.inReplyTo === m.inReplyTo))
      : [];
    let group = siblings[0] ?? fits[fits.length - 1];
    if (!group) {
      group = newGroup(m, position.get(m)!);
      all.push(group);
    }
    group.order = Math.min(group.order, position.get(m)!);
    place(group, m, notes);
  }

  if (cutAt) {
    const m = cutAt as Message;
    notes.push(`a thread deeper than limits.max_thread_depth (${maxDepth}) replies: ${m.messageId} and what it replies to were not followed further up; the parts are grouped by version, count and sender instead`);
  }
  const series = all.sort((a, b) => a.order - b.order).map((g) => toSeries(g, byId));
  linkVersions(series, notes);
  return { series, notes };
}

function isCover(m: Message): boolean {
  return m.parsedSubject.isPatch && m.parsedSubject.index === 0;
}

function sameRevision(a: Message, b: Message): boolean {
  return a.parsedSubject.version === b.parsedSubject.version && a.parsedSubject.total === b.parsedSubject.total;
}

function sameKey(g: { version: number; total: number; sender: string }, k: { version: number; total: number; sender: string }): boolean {
  return g.version === k.version && g.total === k.total && g.sender === k.sender;
}

function newGroup(first: Message, order: number): Group {
  return {
    order,
    version: first.parsedSubject.version,
    total: first.parsedSubject.total,
    sender: first.from.address,
    cover: null,
    parts: new Map(),
    problems: [],
  };
}

function place(group: Group, m: Message, notes: string[]): void {
  const { index, total } = m.parsedSubject;
  if (isCover(m)) {
    if (group.cover) notes.push(`second cover letter ${m.messageId} ignored (the series already has ${group.cover.messageId})`);
    else group.cover = m;
    return;
  }
  if (index < 1 || index > total) {
    group.problems.push(`${m.messageId} is numbered ${index}/${total}, outside the series; ignored`);
    return;
  }
  const taken = group.parts.get(index);
  if (taken) {
    notes.push(`second patch ${index}/${total} ${m.messageId} ignored (the series already has ${taken.messageId})`);
    return;
  }
  group.parts.set(index, m);
}

function toSeries(g: Group, byId: Map<string, Message>): Series {
  const patches: Array<Message | null> = [];
  const missing: number[] = [];
  for (let i = 1; i <= g.total; i++) {
    const p = g.parts.get(i) ?? null;
    patches.push(p);
    if (!p) missing.push(i);
  }
  const first = patches.find((p): p is Message => p !== null) ?? null;
  const lead = g.cover ?? patches[0] ?? first;
  if (!lead) throw new Error('unreachable: a group always holds a message');
  const problems = [...g.problems];
  const absentParent =
    g.cover || g.total < 2 ? undefined : patches.find((p) => p?.inReplyTo && !byId.has(p.inReplyTo))?.inReplyTo;
  if (absentParent) problems.push(`no cover letter; the patches reply to ${absentParent}, which is not in the input`);
  if (!g.cover && !patches[0] && first) {
    problems.push(`no cover letter and no patch 1; the title is taken from patch ${first.parsedSubject.index}/${g.total}`);
  }
  for (const p of patches) {
    if (p && p.from.address !== lead.from.address) {
      problems.push(`patch ${p.parsedSubject.index}/${g.total} is from ${p.from.address}, the series from ${lead.from.address}`);
    }
  }
  const baseFrom = g.cover?.baseCommit ? g.cover : patches[0]?.baseCommit ? patches[0] : null;
  const prereqFrom = g.cover?.prerequisitePatchIds.length ? g.cover : patches[0];
  const series: Series = {
    id: lead.messageId,
    title: lead.parsedSubject.title,
    version: g.version,
    revisionInferred: lead.parsedSubject.revisionInferred,
    total: g.total,
    isRfc: [g.cover, ...patches].some((m) => m?.parsedSubject.isRfc),
    treeTags: lead.parsedSubject.treeTags,
    cover: g.cover,
    patches,
    missing,
    olderVersions: [],
    prerequisitePatchIds: prereqFrom?.prerequisitePatchIds ?? [],
    problems,
  };
  if (baseFrom?.baseCommit) series.baseCommit = baseFrom.baseCommit;
  return series;
}

/** Versions of one series share the author and the title of the cover letter or of patch 1. */
function linkVersions(series: Series[], notes: string[]): void {
  const author = (s: Series) => (s.cover ?? s.patches.find((p) => p) ?? null)?.from.address ?? '';
  const keys = (s: Series) =>
    new Set([s.cover?.parsedSubject.title, s.patches[0]?.parsedSubject.title, s.title].filter((t): t is string => !!t).map(normalizeTitle));
  const parent = series.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  // One pass over (author, title) keys: the first series with a key is the one the others join.
  const firstWith = new Map<string, number>();
  for (let i = 0; i < series.length; i++) {
    for (const k of keys(series[i])) {
      const key = `${author(series[i])}\0${k}`;
      const j = firstWith.get(key);
      if (j === undefined) firstWith.set(key, i);
      else parent[find(i)] = find(j);
    }
  }
  const clusters = new Map<number, number[]>();
  series.forEach((_, i) => {
    const root = find(i);
    const members = clusters.get(root);
    if (members) members.push(i);
    else clusters.set(root, [i]);
  });
  for (const members of clusters.values()) {
    if (members.length < 2) continue;
    // Newest = highest version; for equal versions (a RESEND) the one seen later.
    const ordered = [...members].sort((a, b) => series[a].version - series[b].version || a - b);
    const newest = series[ordered[ordered.length - 1]];
    for (const i of ordered.slice(0, -1)) {
      const old = series[i];
      old.supersededBy = newest.id;
      newest.olderVersions.push(old.id);
      notes.push(`v${old.version} ${old.id} is superseded by v${newest.version} ${newest.id} ("${newest.title}")`);
    }
  }
}
