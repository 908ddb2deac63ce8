import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { CProgram } from './program.ts';
import { getCParser } from './parse-c.ts';
import { fixtureTree, memorySource } from './fixtures/memory-source.ts';
import { syntheticMmHeader } from './fixtures/synthetic-header.ts';

// How fast it loads is the benchmark's to say (npm run bench); a wall-clock bound here fails on a loaded machine.
test('loading page_ref.h + a 4000-line mm.h + memremap.h finds every function, with its body, at its line', async () => {
  await getCParser();
  const files = fixtureTree('v6');
  const mm = syntheticMmHeader(140);
  files.set('include/linux/mm.h', mm);
  assert.ok(mm.split('\n').length >= 4000);
  const load = () => CProgram.load(memorySource(files), { CONFIG_SYNTH_ON: 'y' }, { files: ['include/linux/page_ref.h', 'include/linux/mm.h', 'include/linux/memremap.h'] });
  const t0 = performance.now();
  const p = await load();
  const ms = performance.now() - t0;
  console.log(`first load after init: ${ms.toFixed(1)} ms for ${mm.split('\n').length} mm.h lines`);
  assert.equal(p.getFunction('synth_helper_139')?.line, mm.split('\n').findIndex((l) => l.includes('synth_helper_139(struct page *page, unsigned long flags)')) + 1);
  assert.equal(p.getFunction('synth_helper_7')?.body.k, 'block');
});
