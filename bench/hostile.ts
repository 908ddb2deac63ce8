// The hostile corpus of issue 10 (test/support/hostile-corpus.ts) at the sizes: each case in its own
// mbox beside the good example series, one `kbot review --json-lines` per case, measured as a user would see
// it (wall time, peak RSS of the process). The test runs the same cases at small sizes and asserts what is
// said; this measures what they cost. `npm run bench:hostile [-- --sizes test|bench] [--only NAME,...]`
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { measureProcess } from './measure-process.ts';
import { formatTable, mib, ms } from './format-table.ts';
import { toMbox, type MboxMessage } from '../test/support/example-mail.ts';
import { makeWorkspace } from '../test/support/workspace.ts';
import * as c from '../test/support/hostile-corpus.ts';

const KBOT = fileURLToPath(new URL('../bin/kbot.js', import.meta.url));

interface Case {
  name: string;
  messages: () => Promise<MboxMessage[]>;
  limits?: Record<string, number>;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: 'bench' }, only: { type: 'string' } } });
  const sizes = values.sizes === 'test' ? c.TEST_SIZES : c.BENCH_SIZES;
  const ws = await makeWorkspace('v4.12-style');
  const work = await mkdtemp(join(tmpdir(), 'kbot-bench-hostile-'));
  const qd = c.macroBomb(sizes.macroDepth);
  const big = `${(sizes.blobBytes / 1048576).toFixed(0)} MiB`;
  const cases: Case[] = [
    { name: 'good series alone', messages: async () => [] },
    { name: '1 modes (6 spellings)', messages: async () => c.MODE_CASES.map((m) => c.modeCase(m.mode)) },
    { name: '3 [PATCH 1/1000000000]', messages: async () => [c.patchMail('n@e', '[PATCH 1/1000000000] x', c.newFileDiff('Documentation/n.txt', 'n\n'))] },
    { name: `4 reply chain of ${sizes.chain}`, messages: async () => c.replyChain(sizes.chain), limits: { max_patches_per_series: sizes.chain + 1, max_messages: sizes.chain + 10 } },
    { name: `5 QD macro nested ${sizes.macroDepth}`, messages: async () => [c.patchMail('q@e', '[PATCH] mm: q', await c.editDiff(ws.tree, 'include/linux/mm.h', c.inPutPage(qd.line, qd.define)))] },
    { name: `6 header of ${big}`, messages: async () => [c.patchMail('b@e', '[PATCH] mm: big', c.newFileDiff('include/linux/huge.h', c.bigHeader(sizes.blobBytes)))], limits: { max_blob_bytes: Math.floor(sizes.blobBytes / 4) } },
    { name: `7 ${sizes.manySeries} single-patch series`, messages: async () => c.manySeries(sizes.manySeries) },
    { name: `7 one series of ${sizes.longSeries} patches`, messages: async () => c.longSeries(sizes.longSeries), limits: { series_seconds: 30, max_patches_per_series: sizes.longSeries, max_messages: sizes.longSeries + 10 } },
    { name: '8 while (1) in put_page', messages: async () => [c.patchMail('s@e', '[PATCH] mm: spin', await c.editDiff(ws.tree, 'include/linux/mm.h', c.inPutPage('while (1);')))] },
    { name: `12 ${sizes.references} References`, messages: async () => [] , limits: {} },
  ];
  const rows: string[][] = [];
  try {
    for (const k of cases) {
      if (values.only && !values.only.split(',').some((o) => k.name.includes(o))) continue;
      const extra = await k.messages();
      const good = k.name.includes('References')
        ? c.good.map((m, i) => (i === 2 ? { ...m, text: m.text.replace(/^(In-Reply-To: .*)$/m, `$1\nReferences: ${c.manyReferences(sizes.references, '<x@y>')}`) } : m))
        : c.good;
      const mbox = join(work, 'case.mbox');
      await writeFile(mbox, toMbox([...good, ...extra]));
      const cfg = join(work, 'case.yaml');
      await writeFile(cfg, stringify({ work_dir: join(work, 'kbot'), limits: k.limits ?? {} }));
      const run = await measureProcess(process.execPath, [KBOT, 'review', mbox, '--tree', ws.tree, '--config', cfg, '--json-lines'], { env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
      const lines = run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; subject?: string; verdict?: string });
      const goodLine = lines.find((l) => l.type === 'series' && l.subject?.includes('device private memory'));
      rows.push([k.name, String(run.code), ms(run.ms), mib(run.peakRssKb), goodLine?.verdict ?? 'missing', String(lines.filter((l) => l.type === 'series').length), String(lines.filter((l) => l.type === 'rejected').length)]);
      process.stderr.write(`${rows[rows.length - 1]!.join('  ')}\n`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
    await ws.cleanup();
  }
  process.stdout.write(`Hostile corpus (${values.sizes} sizes), one kbot review per case beside the good series:\n`);
  process.stdout.write(formatTable(['case', 'exit', 'wall ms', 'peak RSS MiB', 'good series', 'series', 'rejected'], rows));
  return 0;
}

process.exitCode = await main();
