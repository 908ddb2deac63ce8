// The example trees build reproducibly, every example series is exactly what make-series.ts generates from its
// source, and each applies (or, for does-not-apply, fails to apply) with git am, the way the bot will apply it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExampleTree, git, listExampleTrees } from './build-tree.ts';
import { makeSeries, seriesDir } from './make-series.ts';
import { allSeries } from './series-src/index.ts';

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kbot-examples-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** git am as a reviewer would run it: the cover letter (no diff) is dropped, not an error. */
async function gitAm(repo: string, mbox: string): Promise<{ ok: boolean; message: string }> {
  try {
    await git(repo, ['am', '-q', '--empty=drop', mbox]);
    return { ok: true, message: '' };
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    return { ok: false, message: `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message };
  }
}

test('every example tree builds to the same commit twice, on master, with a clean worktree', async () => {
  const trees = await listExampleTrees();
  assert.ok(trees.includes('v4.12-style'), `trees: ${trees.join(', ')}`);
  await withTemp(async (dir) => {
    for (const name of trees) {
      const a = await buildExampleTree(name, join(dir, `${name}-a`));
      const b = await buildExampleTree(name, join(dir, `${name}-b`));
      assert.match(a.head, /^[0-9a-f]{40}$/);
      assert.equal(a.head, b.head, `${name} is not reproducible`);
      assert.equal((await git(a.path, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim(), 'master');
      assert.equal((await git(a.path, ['status', '--porcelain'])).trim(), '');
    }
  });
});

test('an unknown tree name is a clear error', async () => {
  await withTemp(async (dir) => {
    await assert.rejects(buildExampleTree('v9.99-style', join(dir, 'x')), /no example tree "v9.99-style" \(known: .*v4.12-style/);
    await assert.rejects(buildExampleTree('../etc', join(dir, 'y')), /bad example tree name/);
  });
});

for (const s of allSeries) {
  test(`series ${s.name}: the committed mbox is what make-series.ts generates`, async () => {
    const committed = await readFile(join(seriesDir, `${s.name}.mbox`), 'utf8');
    assert.equal(await makeSeries(s), committed, `run: node --import tsx examples/make-series.ts ${s.name}`);
  });

  const shouldApply = !s.prep?.length;
  test(`series ${s.name}: git am ${shouldApply ? 'applies every patch' : 'fails'} on ${s.tree}`, async () => {
    await withTemp(async (dir) => {
      const { path, head } = await buildExampleTree(s.tree, join(dir, 'tree'));
      const mbox = join(seriesDir, `${s.name}.mbox`);
      const text = await readFile(mbox, 'utf8');
      const base = /^base-commit: ([0-9a-f]{40})$/m.exec(text)?.[1];
      const r = await gitAm(path, mbox);
      if (shouldApply) {
        assert.equal(base, head, 'base-commit: must name the tree the series was made against');
        assert.ok(r.ok, r.message);
        const added = (await git(path, ['rev-list', '--count', `${head}..HEAD`])).trim();
        assert.equal(Number(added), s.patches.length);
        const subjects = (await git(path, ['log', '--reverse', '--format=%s', `${head}..HEAD`])).trim().split('\n');
        assert.deepEqual(subjects, s.patches.map((p) => p.subject));
      } else {
        assert.equal(base, undefined);
        assert.equal(r.ok, false);
        assert.match(r.message, /patch does not apply|Patch failed/);
        await git(path, ['am', '--abort']);
        assert.equal((await git(path, ['rev-parse', 'HEAD'])).trim(), head);
      }
    });
  });
}
