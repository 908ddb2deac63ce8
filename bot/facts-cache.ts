// The tree facts of a commit, kept as JSON under the work dir: a tree's facts are read once per commit and
// kconfig, and every later review or `kbot facts` of that commit reads them back in milliseconds.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import type { FactsCache } from '../analyzers/types.ts';

export function factsCache(workDir: string): FactsCache {
  const dir = join(workDir, 'facts');
  const file = (key: string) => join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 40)}.json`);
  return {
    async get(key: string): Promise<unknown | null> {
      try {
        return JSON.parse(await readFile(file(key), 'utf8'));
      } catch {
        return null;
      }
    },
    async put(key: string, value: unknown): Promise<void> {
      await mkdir(dir, { recursive: true });
      const f = file(key);
      // Unique per writer (threads of one process share its pid: SimPool's workers), renamed into place whole.
      const tmp = `${f}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, JSON.stringify(value));
      await rename(tmp, f);
    },
  };
}
