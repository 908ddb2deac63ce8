// Each (driver, pgmap) pair is its own page: a page gets the callbacks of a driver that sets up its pgmap type
// (read from the driver's ops table, the pgmap it is wired into and the type stored there), never the first
// callback in the tree. Two drivers written here, over the v6.6-style example tree (which has test_hmm's): one
// wires a global pgmap by designated initializers; the other, in CamelCase, wires its pgmap in a probe function
// that picks the type at run time, and keeps its own refcount convention (a free page stays at 1 on its list).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExampleTree } from '../examples/build-tree.ts';
import { GitTreeView } from './../bot/tree/git-tree-view.ts';
import { MemTreeView } from '../analyzers/mem-tree-view.ts';
import { loadScenarios } from '../bot/load-scenarios.ts';
import { simulateTree } from './simulate.ts';
import { DEFAULT_KCONFIG, type SimOptions } from './run-scenario.ts';
import { renderFacts } from './facts/render-facts.ts';
import type { Scenario } from './scenarios/scenario.ts';

let dir: string;
let scenarios: Scenario[];
let files: Record<string, string>;
const opts: SimOptions = { kconfig: DEFAULT_KCONFIG, walkers: 1, maxStates: 100_000, maxMs: 30_000 };

const VRAM = `#include <linux/mm.h>
#include <linux/memremap.h>

struct vram_pool {
	spinlock_t lock;
	struct page *head;
	unsigned long nfree;
};

static struct vram_pool pool;

static void vram_page_release(struct page *page)
{
	spin_lock(&pool.lock);
	page->zone_device_data = pool.head;
	pool.head = page;
	pool.nfree++;
	spin_unlock(&pool.lock);
}

static const struct dev_pagemap_ops vram_pagemap_ops = {
	.page_free = vram_page_release,
};

static struct dev_pagemap vram_pgmap = {
	.type = MEMORY_DEVICE_PRIVATE,
	.ops = &vram_pagemap_ops,
};

int vram_pool_init(void)
{
	return PTR_ERR_OR_ZERO(memremap_pages(&vram_pgmap, 0));
}
`;

const XB = `#include <linux/mm.h>
#include <linux/memremap.h>

struct XbDevice {
	struct dev_pagemap Pagemap;
	spinlock_t Lock;
	struct page *FreeHead;
};

/* Our pages keep one reference while they wait on the free list. */
static void XbPageFree(struct page *Page)
{
	struct XbDevice *Dev = Page->pgmap->owner;

	set_page_count(Page, 1);
	spin_lock(&Dev->Lock);
	Page->zone_device_data = Dev->FreeHead;
	Dev->FreeHead = Page;
	spin_unlock(&Dev->Lock);
}

static const struct dev_pagemap_ops XbOps = {
	.page_free = XbPageFree,
};

int XbProbe(struct XbDevice *Dev, bool Coherent)
{
	Dev->Pagemap.type = Coherent ? MEMORY_DEVICE_COHERENT : MEMORY_DEVICE_PRIVATE;
	Dev->Pagemap.ops = &XbOps;
	Dev->Pagemap.owner = Dev;
	return PTR_ERR_OR_ZERO(memremap_pages(&Dev->Pagemap, 0));
}
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kbot-drivers-'));
  scenarios = await loadScenarios();
  const t = await buildExampleTree('v6.6-style', join(dir, 'tree'));
  const view = new GitTreeView(t.path, t.head);
  files = {};
  for (const f of await view.listFiles()) files[f] = (await view.readFile(f))!;
  view.close();
  files['drivers/gpu/vram_pool.c'] = VRAM;
  files['drivers/accel/xb/xb_mem.c'] = XB;
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lineOf = (src: string, text: string) => src.split('\n').findIndex((l) => l.includes(text)) + 1;

test('every driver that sets up a pgmap type is one of that type\'s drivers, with where it says so', async () => {
  const { facts } = await simulateTree(new MemTreeView(files, 'two-drivers'), scenarios, opts, 'no-such-scenario');
  const priv = facts.pageTypes.find((t) => t.name === 'device-private')!;
  const coh = facts.pageTypes.find((t) => t.name === 'device-coherent')!;
  assert.deepEqual(priv.drivers!.map((d) => d.name), ['dmirror_devmem_ops', 'vram_pagemap_ops', 'XbOps']);
  // The probe picks the type at run time: both types are Xb's.
  assert.deepEqual(coh.drivers!.map((d) => d.name), ['XbOps']);
  const xb = priv.drivers!.find((d) => d.name === 'XbOps')!;
  assert.deepEqual(xb.callbacks, { page_free: 'XbPageFree' });
  assert.deepEqual(xb.wiredAt, { func: 'XbProbe', file: 'drivers/accel/xb/xb_mem.c', line: lineOf(XB, 'Pagemap.ops = &XbOps') });
  assert.deepEqual(xb.types.map((t) => t.type).sort(), ['MEMORY_DEVICE_COHERENT', 'MEMORY_DEVICE_PRIVATE']);
  const vram = priv.drivers!.find((d) => d.name === 'vram_pagemap_ops')!;
  // Wired and typed by the initializer of a global: outside any function.
  assert.deepEqual(vram.types, [{ type: 'MEMORY_DEVICE_PRIVATE', at: { func: '', file: 'drivers/gpu/vram_pool.c', line: lineOf(VRAM, '.type = MEMORY_DEVICE_PRIVATE') } }]);
  assert.deepEqual(vram.wiredAt, { func: '', file: 'drivers/gpu/vram_pool.c', line: lineOf(VRAM, '.ops = &vram_pagemap_ops') });
  // What `kbot facts` prints under the type.
  const text = renderFacts(facts);
  assert.match(text, new RegExp(`driver vram_pagemap_ops: page_free vram_page_release\\(\\) \\(drivers/gpu/vram_pool.c:${lineOf(VRAM, '.page_free')}\\), wired into a pgmap at drivers/gpu/vram_pool.c:${lineOf(VRAM, '.ops = &vram_pagemap_ops')},`));
  // test_hmm's Makefile builds it only under CONFIG_TEST_HMM, which the default kconfig leaves off.
  assert.match(text, /driver dmirror_devmem_ops: .*\[not built under this kconfig\]/);
});

test('each driver\'s pages run with that driver\'s callback: only the driver that keeps free pages at 1 is racy', async () => {
  const { runs } = await simulateTree(new MemTreeView(files, 'two-drivers'), scenarios, opts, 'devpriv-free+walker-get-put[generic]');
  const by = Object.fromEntries(runs.map((r) => [r.name, r]));
  assert.deepEqual(Object.keys(by).sort(), ['XbOps', 'dmirror_devmem_ops', 'vram_pagemap_ops'].map((d) => `devpriv-free+walker-get-put[generic]@${d}`));
  const xb = by['devpriv-free+walker-get-put[generic]@XbOps'];
  assert.equal(xb.status, 'violations', `${xb.status} ${xb.reason ?? ''}`);
  const get = xb.violations.find((v) => v.category === 'speculative-get-on-free-page');
  assert.ok(get, xb.violations.map((v) => v.category).join());
  // The interleaving goes through Xb's own callback, where the count is set back to 1.
  const inXb = get.trace.find((s) => s.func === 'set_page_count' && (s.via ?? []).some((v) => v.startsWith('XbPageFree ')));
  assert.ok(inXb, get.trace.map((s) => `${s.func}: ${s.op} via ${(s.via ?? []).join(' > ')}`).join('\n'));
  assert.equal(inXb.refcount.page, 1);
  assert.ok(!get.trace.some((s) => [s.func, ...(s.via ?? [])].some((f) => /vram_page_release|dmirror_devmem_free/.test(f))));
  for (const d of ['vram_pagemap_ops', 'dmirror_devmem_ops']) {
    const r = by[`devpriv-free+walker-get-put[generic]@${d}`];
    assert.equal(r.status, 'ok', `${d}: ${r.status} ${r.reason ?? ''} ${r.violations.map((v) => v.message).join('; ')}`);
    assert.ok(r.notes.some((n) => n.startsWith(`the page is ${d}'s`)), r.notes.join('\n'));
  }
});

test('an instance names its driver; a driver the type does not have gives no instance', async () => {
  const view = new MemTreeView(files, 'two-drivers');
  const one = await simulateTree(view, scenarios, opts, 'devcoherent-free+walker-get-put[generic]');
  // One driver sets up coherent pages: the instance keeps its plain name.
  assert.deepEqual(one.runs.map((r) => r.name), ['devcoherent-free+walker-get-put[generic]']);
  assert.ok(one.runs[0].notes.some((n) => n.startsWith("the page is XbOps's")), one.runs[0].notes.join('\n'));
  const none = await simulateTree(view, scenarios, opts, 'devcoherent-free+walker-get-put[generic]@vram_pagemap_ops');
  assert.deepEqual(none.runs, []);
});
