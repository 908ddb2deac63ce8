// A run's page starts where the tree's own code leaves it: the memmap init of its type, its driver's allocation
// (found by what it does: it takes the page off the list the driver's free callback puts it on), and the
// owner's reference. Two trees written here over the v6.6-style example tree, with test_hmm taken out and a
// driver of another style put in (its names, its free list, its ops table reached through the pgmap's owner):
//  - free at 1: the memmap init leaves every device-private page at 1 (a base reference the driver keeps while
//    the page is free), the driver hands a page out with get_page() on top of it, and the core's put gives the
//    page back when the count drops to 1 (to 0 only on the page map's teardown, through the generic path). Its
//    release alone, from one reference over 0, also frees the page (at 0): the old rule started the run there,
//    where the walker's get always fails, and the seed's bug went unseen;
//  - free at 0: the same files, with the init leaving 0, the put freeing at 0 only and the driver setting the
//    count to 1 when it hands a page out.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { MemTreeView } from '../analyzers/mem-tree-view.ts';
import { exampleTreeFiles } from '../test/support/example-files.ts';
import { loadScenarios } from '../bot/load-scenarios.ts';
import { simulateTree } from './simulate.ts';
import { refcountSimAnalyzer } from '../analyzers/refcount-sim.ts';
import type { PatchInput } from '../analyzers/types.ts';
import { DEFAULT_KCONFIG, type SimOptions } from './run-scenario.ts';
import type { Scenario } from './scenarios/scenario.ts';

let scenarios: Scenario[];
let base: Record<string, string>;
const opts: SimOptions = { kconfig: DEFAULT_KCONFIG, walkers: 1, maxStates: 100_000, maxMs: 30_000 };

const DRIVER = (convention: 'free-at-1' | 'free-at-0') => `#include <linux/mm.h>
#include <linux/memremap.h>

struct nvx_vram {
	struct dev_pagemap pagemap;
	spinlock_t lock;
	struct page *spare;	/* free pages, chained through zone_device_data */
	unsigned int nr_spare;
};

static void nvx_vram_reclaim(struct page *pg)
{
	struct nvx_vram *vr = pg->pgmap->owner;

	spin_lock(&vr->lock);
	pg->zone_device_data = vr->spare;
	vr->spare = pg;
	vr->nr_spare++;
	spin_unlock(&vr->lock);
}

static const struct dev_pagemap_ops nvx_vram_ops = {
	.page_free = nvx_vram_reclaim,
};

struct page *nvx_vram_get(struct nvx_vram *vr)
{
	struct page *pg;

	spin_lock(&vr->lock);
	pg = vr->spare;
	if (!pg) {
		spin_unlock(&vr->lock);
		return NULL;
	}
	vr->spare = pg->zone_device_data;
	vr->nr_spare--;
	spin_unlock(&vr->lock);
${convention === 'free-at-1' ? '	get_page(pg);	/* on top of the base reference a free page keeps */' : '	set_page_count(pg, 1);'}
	return pg;
}

int nvx_vram_probe(struct nvx_vram *vr)
{
	vr->pagemap.type = MEMORY_DEVICE_PRIVATE;
	vr->pagemap.ops = &nvx_vram_ops;
	vr->pagemap.owner = vr;
	return PTR_ERR_OR_ZERO(memremap_pages(&vr->pagemap, 0));
}
`;

const PUT = (convention: 'free-at-1' | 'free-at-0' | 'free-at-1-only') => `
/* Device private pages go back to their driver from here. */
bool put_devmem_page(struct page *page)
{
	int left;

	if (!is_device_private_page(page))
		return false;
	left = page_ref_dec_return(page);
${convention === 'free-at-1-only' ? `	if (left == 1)
		page->pgmap->ops->page_free(page);` : convention === 'free-at-1' ? `	if (left > 1)
		return true;
	if (left == 0)
		__folio_put(page_folio(page));
	else
		page->pgmap->ops->page_free(page);` : `	if (left == 0)
		__folio_put(page_folio(page));`}
	return true;
}
`;

/** The v6.6-style tree, test_hmm out, the nvx driver in, and the page life of `convention`. */
function tree(convention: 'free-at-1' | 'free-at-0'): Record<string, string> {
  const files = { ...base };
  delete files['lib/test_hmm.c'];
  const once = (f: string, from: string, to: string) => {
    assert.equal(files[f].split(from).length, 2, `${f}: ${from}`);
    files[f] = files[f].replace(from, to);
  };
  once('include/linux/mm.h', 'static inline void put_page(struct page *page)\n{\n\tstruct folio *folio = page_folio(page);\n',
    'bool put_devmem_page(struct page *page);\n\nstatic inline void put_page(struct page *page)\n{\n\tstruct folio *folio = page_folio(page);\n\n\tif (put_devmem_page(page))\n\t\treturn;\n');
  if (convention === 'free-at-1') once('mm/memremap.c', '\t\tset_page_count(page, 0);\n', '\t\tinit_page_count(page);\n');
  files['mm/memremap.c'] += PUT(convention);
  files['drivers/gpu/nvx/nvx_vram.c'] = DRIVER(convention);
  return files;
}

before(async () => {
  scenarios = await loadScenarios();
  base = await exampleTreeFiles('v6.6-style');
});

const lineOf = (src: string, text: string) => src.split('\n').findIndex((l) => l.includes(text)) + 1;
const INST = 'devpriv-free+walker-get-put[generic]';

test('free at 1: the page starts where init and the driver\'s get_page() leave it, and a walker\'s get on a page back on the free list is found', async () => {
  const files = tree('free-at-1');
  const { runs, facts } = await simulateTree(new MemTreeView(files, 'nvx-free-at-1'), scenarios, opts, INST);
  assert.deepEqual(facts.pageTypes.find((t) => t.name === 'device-private')!.drivers!.map((d) => d.name), ['nvx_vram_ops']);
  assert.equal(runs.length, 1);
  const r = runs[0];
  assert.equal(r.status, 'violations', `${r.status} ${r.reason ?? ''}\n${r.notes.join('\n')}`);
  assert.equal(r.freeRefcount, 1);
  // Where the start came from, with the file:line of the init and of the allocation's get.
  const memremap = files['mm/memremap.c'];
  const drv = files['drivers/gpu/nvx/nvx_vram.c'];
  const start = r.notes.find((n) => n.startsWith('the page starts at refcount 2, as the tree\'s own code leaves it'));
  assert.ok(start, r.notes.join('\n'));
  assert.ok(start.includes(`memmap_init_zone_device() (mm/memremap.c:${lineOf(memremap, 'static void memmap_init_zone_device')}) leaves it at 1`), start);
  assert.ok(start.includes(`nvx_vram_get() (drivers/gpu/nvx/nvx_vram.c:${lineOf(drv, 'struct page *nvx_vram_get')}) takes it off and hands it out at refcount 2`), start);
  assert.ok(start.includes(`(get_page(pg); at drivers/gpu/nvx/nvx_vram.c:${lineOf(drv, 'get_page(pg);')}), the owner's reference`), start);
  assert.ok(start.includes('nvx_vram_reclaim(), nvx_vram_ops\'s page_free callback, puts it on the driver\'s free list'), start);
  // The release alone from 1 would free it at 0 too (the page map's teardown path): the run does not say so.
  assert.ok(!r.notes.some((n) => /^assuming the page starts|frees?( the page)? at (refcount )?0\b/.test(n)), r.notes.join('\n'));
  // The seed's bug: the owner's put gives the page back at 1, and the walker's get succeeds on it there.
  const get = r.violations.find((v) => v.category === 'speculative-get-on-free-page');
  assert.ok(get, r.violations.map((v) => `${v.category}: ${v.message}`).join('\n'));
  // The first step to change the count takes it from 2 (the life's start) to 1.
  const first = get.trace.find((s) => s.refcount.page !== 2)!;
  assert.equal(first.actor, 'owner');
  assert.equal(first.refcount.page, 1);
  const freed = get.trace.find((s) => s.pageState?.page === 'free')!;
  assert.equal(freed.refcount.page, 1);
  assert.ok([freed.func, ...(freed.via ?? [])].some((f) => f.startsWith('put_devmem_page')), JSON.stringify(freed));
  const last = get.trace.at(-1)!;
  assert.equal(last.actor, 'walker');
  assert.equal(last.pageState?.page, 'free');
  assert.equal(last.refcount.page, 2);
  // The start is the tree's, not assumed.
  assert.ok(!get.assumptions.some((a) => /starts at refcount/.test(a)), get.assumptions.join('; '));
});

test('free at 0: the same tree with the driver setting the count to 1 as it hands a page out is clean', async () => {
  const files = tree('free-at-0');
  const { runs } = await simulateTree(new MemTreeView(files, 'nvx-free-at-0'), scenarios, opts, INST);
  assert.equal(runs.length, 1);
  const r = runs[0];
  assert.equal(r.status, 'ok', `${r.status} ${r.reason ?? ''} ${r.violations.map((v) => v.message).join('; ')}\n${r.notes.join('\n')}`);
  assert.equal(r.freeRefcount, 0);
  const drv = files['drivers/gpu/nvx/nvx_vram.c'];
  const start = r.notes.find((n) => n.startsWith('the page starts at refcount 1, as the tree\'s own code leaves it'));
  assert.ok(start, r.notes.join('\n'));
  assert.ok(start.includes('leaves it at 0'), start);
  assert.ok(start.includes(`hands it out at refcount 1 (`) && start.includes(`at drivers/gpu/nvx/nvx_vram.c:${lineOf(drv, 'set_page_count(pg, 1);')}`), start);
  // The life and the release agree: nothing to say about it.
  assert.ok(!r.notes.some((n) => /disagree|the run uses/.test(n)), r.notes.join('\n'));
});

/** A crude one-hunk-per-file patch from two versions of the files (enough for the analyzer's attribution). */
function patchOf(before: Record<string, string>, after: Record<string, string>): PatchInput {
  const files = Object.keys(after).filter((f) => before[f] !== after[f]).map((f) => {
    const a = (before[f] ?? '').split('\n');
    const b = after[f].split('\n');
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    let j = 0;
    while (j < a.length - i && j < b.length - i && a[a.length - 1 - j] === b[b.length - 1 - j]) j++;
    const lines = [...a.slice(i, a.length - j).map((l) => `-${l}`), ...b.slice(i, b.length - j).map((l) => `+${l}`)];
    return { from: before[f] === undefined ? null : f, to: f, hunks: [{ header: `@@ -${i + 1} +${i + 1} @@`, newStart: i + 1, lines }] };
  });
  return { index: 1, messageId: '<nvx@test>', subject: 'mm, nvx: keep a base reference on free device private pages', files };
}

test('the review of a series moving the tree from free at 0 to free at 1 finds the get on a free page, and says it frees at 1', async () => {
  const b = tree('free-at-0');
  const a = tree('free-at-1');
  const analyzer = refcountSimAnalyzer({ scenarios: scenarios.filter((sc) => sc.name === 'devpriv-free+walker-get-put'), sim: opts });
  const res = await analyzer.run({
    seriesId: 'nvx', title: 'mm, nvx: keep a base reference on free device private pages', coverMessageId: null,
    patches: [patchOf(b, a)], before: new MemTreeView(b, 'nvx-before'), after: new MemTreeView(a, 'nvx-after'),
  });
  const f = res.findings.find((x) => x.category === 'speculative-get-on-free-page' && x.title === 'any lockless get_page_unless_zero() user can take a reference on a free page');
  assert.ok(f, res.findings.map((x) => `${x.category}: ${x.title}`).join('\n') + '\n' + res.notes.join('\n'));
  const words = `${f.detail}\n${f.context ?? ''}`;
  assert.match(words, /after the series the tree frees the page when its refcount reaches 1 \(found by running its own release path\); before the series it did so at 0\./);
  assert.ok(!/reaches 0/.test(words), words);
  assert.ok(!/assuming the page starts/.test(words), words);
});

/**
 * The same driver, its free list in a device state it reaches from the pgmap's chunk through the chunk's drm (as
 * nouveau does): the allocation is handed the drm, not the state the free callback wrote.
 */
const INDIRECT = `#include <linux/mm.h>
#include <linux/memremap.h>

struct nvx_dev {
	spinlock_t lock;
	struct page *spare;
};

struct nvx_drm {
	struct nvx_dev *dev;
};

struct nvx_chunk {
	struct dev_pagemap pagemap;
	struct nvx_drm *drm;
};

static void nvx_vram_reclaim(struct page *pg)
{
	struct nvx_chunk *ck = container_of(pg->pgmap, struct nvx_chunk, pagemap);
	struct nvx_dev *dev = ck->drm->dev;

	spin_lock(&dev->lock);
	pg->zone_device_data = dev->spare;
	dev->spare = pg;
	spin_unlock(&dev->lock);
}

static const struct dev_pagemap_ops nvx_vram_ops = {
	.page_free = nvx_vram_reclaim,
};

struct page *nvx_vram_get(struct nvx_drm *drm)
{
	struct page *pg;

	spin_lock(&drm->dev->lock);
	pg = drm->dev->spare;
	if (!pg) {
		spin_unlock(&drm->dev->lock);
		return NULL;
	}
	drm->dev->spare = pg->zone_device_data;
	spin_unlock(&drm->dev->lock);
	get_page(pg);
	return pg;
}

int nvx_vram_probe(struct nvx_chunk *ck)
{
	ck->pagemap.type = MEMORY_DEVICE_PRIVATE;
	ck->pagemap.ops = &nvx_vram_ops;
	return PTR_ERR_OR_ZERO(memremap_pages(&ck->pagemap, 0));
}
`;

test('free at 1, the free list reached through the pgmap\'s chunk: the allocation is handed what the free path went through, and the bug is found', async () => {
  const files = { ...tree('free-at-1'), 'drivers/gpu/nvx/nvx_vram.c': INDIRECT };
  const { runs } = await simulateTree(new MemTreeView(files, 'nvx-indirect'), scenarios, opts, INST);
  const r = runs[0];
  assert.equal(r.status, 'violations', `${r.status} ${r.reason ?? ''}\n${r.notes.join('\n')}`);
  assert.equal(r.freeRefcount, 1);
  const start = r.notes.find((n) => n.startsWith('the page starts at refcount 2, as the tree\'s own code leaves it'));
  assert.ok(start?.includes(`(get_page(pg); at drivers/gpu/nvx/nvx_vram.c:${lineOf(INDIRECT, 'get_page(pg);')})`), r.notes.join('\n'));
  assert.ok(r.violations.some((v) => v.category === 'speculative-get-on-free-page'), r.violations.map((v) => v.category).join());
});

test('a life the release does not end (a driver handing pages out at 1 to a core that frees at 1 only): the run starts by the rule, and says so in its notes and findings', async () => {
  // The core gives device private pages back at 1 only; the init leaves them at 1 and the driver sets 1 as it
  // hands one out, so the owner's put from there leaves the page at 0, never freed.
  const files = tree('free-at-0');
  files['mm/memremap.c'] = files['mm/memremap.c'].replace(PUT('free-at-0'), PUT('free-at-1-only')).replace('\t\tset_page_count(page, 0);\n', '\t\tinit_page_count(page);\n');
  assert.ok(files['mm/memremap.c'].includes('if (left == 1)') && files['mm/memremap.c'].includes('init_page_count(page);'));
  const { runs } = await simulateTree(new MemTreeView(files, 'nvx-free-at-1-only'), scenarios, opts, INST);
  const r = runs[0];
  const why = r.notes.find((n) => n.startsWith('assuming the page starts at refcount 2: one reference per holder (1) over the count at which the owner\'s release alone frees it (1), since the owner\'s release from there (refcount 1) does not free it'));
  assert.ok(why, r.notes.join('\n'));
  // What the life did is still said, up to where it stopped making sense.
  assert.ok(r.notes.some((n) => n.startsWith('the page starts at refcount 1, as the tree\'s own code leaves it')), r.notes.join('\n'));
  assert.equal(r.freeRefcount, 1);
  // Started at 2 by the rule, the run finds the get on a page back at 1; the finding names the rule.
  const get = r.violations.find((v) => v.category === 'speculative-get-on-free-page');
  assert.ok(get, `${r.status} ${r.violations.map((v) => v.category).join()}`);
  assert.equal(get.assumptions[0], why);
});
