// Reviews on a whole real tree (Debian's linux-source, made a git repository by scripts/real-trees.sh), for the
// real-tree review tests: a scratch folder and config per test file, a check that the tree is there (a failure
// in CI, a skip elsewhere), and one series reviewed as JSON.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reviewJson, type JsonSeries } from './run-kbot.ts';

export const TREES = process.env.KBOT_TREES ?? '/var/cache/kbot/trees';

export interface RealReviewer {
  tree: string;
  kconfig: string;
  /** Whether the tree and its kconfig are there; if not, the test fails in CI and is skipped elsewhere. */
  needTree(t: { skip: (m: string) => void }): boolean;
  /** `kbot review --json` of one mbox text; its one series. */
  review(name: string, mbox: string): Promise<JsonSeries>;
}

/** Registers the test file's before/after hooks for linux-<version>. */
export function realReviewer(version: string): RealReviewer {
  const tree = join(TREES, `linux-${version}`);
  const kconfig = `/usr/src/linux-config-${version}/config.amd64_none_amd64.xz`;
  let work: string;
  let config: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), `kbot-real-review-${version}-`));
    config = join(work, 'kbot.yaml');
    // A budget three times the default: what is asserted is what kbot finds, not how fast (npm run bench says
    // that), and a loaded machine explores less in the same wall time.
    await writeFile(config, `work_dir: ${join(work, 'kbot')}\nsim:\n  kconfig_file: ${kconfig}\n  max_seconds: 60\n`);
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });
  return {
    tree,
    kconfig,
    needTree(t) {
      if (existsSync(join(tree, '.git')) && existsSync(kconfig)) return true;
      const why = `no ${tree} or ${kconfig}: run scripts/real-trees.sh ${version}`;
      if (process.env.CI) assert.fail(why);
      t.skip(why);
      return false;
    },
    async review(name, mbox) {
      const file = join(work, `${name}.mbox`);
      await writeFile(file, mbox);
      const { json } = await reviewJson([file, '--tree', tree, '--config', config], { env: { TMPDIR: work } });
      assert.equal(json.series.length, 1);
      return json.series[0];
    },
  };
}
