// public-inbox archives: each commit adds one message as the blob "m" at the root of its tree. A v1 inbox is one
// such repository; a v2 inbox splits history into epochs git/0.git, git/1.git, ... read in order.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import type { RawMessage, Rejected } from '../types.ts';
import { tooLarge } from './limits.ts';
import { runGit } from '../tree/run-git.ts';

export async function isGitRepository(dir: string): Promise<boolean> {
  if (await exists(join(dir, '.git'))) return true;
  // A bare repository.
  return (await exists(join(dir, 'HEAD'))) && (await exists(join(dir, 'objects'))) && (await exists(join(dir, 'refs')));
}

/** The epoch repositories of a v2 inbox directory, in epoch order; empty when `dir` is not one. */
export async function listEpochs(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(join(dir, 'git'));
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+\.git$/.test(n))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
    .map((n) => join(dir, 'git', n));
}

export async function readPublicInbox(
  repos: string[],
  maxMessageBytes: number,
): Promise<{ messages: RawMessage[]; rejected: Rejected[] }> {
  const messages: RawMessage[] = [];
  const rejected: Rejected[] = [];
  for (const repo of repos) {
    const r = await readInboxRange(repo, null, maxMessageBytes);
    messages.push(...r.messages);
    rejected.push(...r.rejected);
  }
  return { messages, rejected };
}

/**
 * The messages one epoch's commits after `since` added (all of them when null), oldest first, and the commit
 * read up to. `kbot serve`'s poller passes the last commit it queued, so it walks only what is new.
 */
export async function readInboxRange(
  repo: string,
  since: string | null,
  maxMessageBytes: number,
): Promise<{ messages: RawMessage[]; rejected: Rejected[]; head: string | null }> {
  const messages: RawMessage[] = [];
  const rejected: Rejected[] = [];
  const git = simpleGit({ baseDir: repo });
  const head = (await git.raw(['rev-parse', '--verify', '-q', 'HEAD']).catch(() => '')).trim() || null;
  if (!head) return { messages, rejected, head };
  // One log for the commits with the blob each one wrote to "m"; a commit that deletes "m" (a spam purge) adds
  // nothing. Sizes come from one batch-check so a huge blob is refused before it is read.
  const log = await git.raw(['log', '--reverse', '--root', '--no-abbrev', '--raw', '--format=%H %cI', since ? `${since}..${head}` : head, '--', 'm']);
  const entries: Array<{ sha: string; date: string; blob: string }> = [];
  let current: { sha: string; date: string } | null = null;
  for (const line of log.split('\n')) {
    const commit = /^([0-9a-f]{40,64}) (\S+)$/.exec(line);
    if (commit) {
      current = { sha: commit[1], date: commit[2] };
      continue;
    }
    const raw = /^:\d+ \d+ [0-9a-f]+ ([0-9a-f]+) [AM]\tm$/.exec(line);
    if (raw && current) entries.push({ ...current, blob: raw[1] });
  }
  const sizes = new Map<string, number>();
  if (entries.length) {
    const check = await runGit(['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'], { cwd: repo, input: entries.map((e) => `${e.blob}\n`).join('') });
    for (const line of check.stdout.split('\n')) {
      const [name, type, size] = line.split(' ');
      if (type === 'blob') sizes.set(name, Number(size));
    }
  }
  for (const { sha, date, blob } of entries) {
    const source = `public-inbox:${repo}@${sha}`;
    const size = sizes.get(blob) ?? 0;
    if (size > maxMessageBytes) {
      rejected.push(tooLarge(source, size, maxMessageBytes));
      continue;
    }
    const raw: Buffer = await git.binaryCatFile(['blob', blob]);
    messages.push({ raw, source, receivedAt: date });
  }
  return { messages, rejected, head };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
