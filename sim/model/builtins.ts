// The model's side of the kernel API: what the simulator does itself instead of interpreting tree code.
// Three kinds, all data:
//  - atomic_t operations: single atomic steps on a field (the tree's page_ref_* and folio_ref_* wrappers around
//    them are interpreted from the tree);
//  - model facts about a page (zone, flags, pfn, head page) that kernels compute from packed bit fields and
//    section tables the model does not lay out; the simulator models order-0 pages, so compound_head() and
//    page_folio() are the page itself;
//  - calls with no effect on refcounts or page life (tracepoints, barriers, lockdep, RCU, wake-ups), and the
//    page allocator's free entry points, which end a page's life.

/** atomic_*() family: name without the atomic_/atomic_long_/atomic64_ prefix and ordering suffix → semantics. */
export interface AtomicSpec {
  /** Argument position of the atomic_t pointer. */
  ptr: number;
  /** Computes the new value and the returned value from the old one and the other arguments. */
  apply(old: number, args: number[]): { next: number; ret: number; writes: boolean };
}

export const ATOMICS: Record<string, AtomicSpec> = {
  read: { ptr: 0, apply: (o) => ({ next: o, ret: o, writes: false }) },
  set: { ptr: 0, apply: (_o, a) => ({ next: a[1], ret: 0, writes: true }) },
  add: { ptr: 1, apply: (o, a) => ({ next: o + a[0], ret: 0, writes: true }) },
  sub: { ptr: 1, apply: (o, a) => ({ next: o - a[0], ret: 0, writes: true }) },
  inc: { ptr: 0, apply: (o) => ({ next: o + 1, ret: 0, writes: true }) },
  dec: { ptr: 0, apply: (o) => ({ next: o - 1, ret: 0, writes: true }) },
  add_return: { ptr: 1, apply: (o, a) => ({ next: o + a[0], ret: o + a[0], writes: true }) },
  sub_return: { ptr: 1, apply: (o, a) => ({ next: o - a[0], ret: o - a[0], writes: true }) },
  inc_return: { ptr: 0, apply: (o) => ({ next: o + 1, ret: o + 1, writes: true }) },
  dec_return: { ptr: 0, apply: (o) => ({ next: o - 1, ret: o - 1, writes: true }) },
  fetch_add: { ptr: 1, apply: (o, a) => ({ next: o + a[0], ret: o, writes: true }) },
  fetch_sub: { ptr: 1, apply: (o, a) => ({ next: o - a[0], ret: o, writes: true }) },
  fetch_inc: { ptr: 0, apply: (o) => ({ next: o + 1, ret: o, writes: true }) },
  fetch_dec: { ptr: 0, apply: (o) => ({ next: o - 1, ret: o, writes: true }) },
  sub_and_test: { ptr: 1, apply: (o, a) => ({ next: o - a[0], ret: o - a[0] === 0 ? 1 : 0, writes: true }) },
  dec_and_test: { ptr: 0, apply: (o) => ({ next: o - 1, ret: o - 1 === 0 ? 1 : 0, writes: true }) },
  inc_and_test: { ptr: 0, apply: (o) => ({ next: o + 1, ret: o + 1 === 0 ? 1 : 0, writes: true }) },
  add_negative: { ptr: 1, apply: (o, a) => ({ next: o + a[0], ret: o + a[0] < 0 ? 1 : 0, writes: true }) },
  add_unless: {
    ptr: 0,
    apply: (o, a) => (o !== a[2] ? { next: o + a[1], ret: 1, writes: true } : { next: o, ret: 0, writes: false }),
  },
  fetch_add_unless: {
    ptr: 0,
    apply: (o, a) => (o !== a[2] ? { next: o + a[1], ret: o, writes: true } : { next: o, ret: o, writes: false }),
  },
  inc_not_zero: {
    ptr: 0,
    apply: (o) => (o !== 0 ? { next: o + 1, ret: 1, writes: true } : { next: o, ret: 0, writes: false }),
  },
  xchg: { ptr: 0, apply: (o, a) => ({ next: a[1], ret: o, writes: true }) },
  cmpxchg: {
    ptr: 0,
    apply: (o, a) => (o === a[1] ? { next: a[2], ret: o, writes: true } : { next: o, ret: o, writes: false }),
  },
};

/** Splits "atomic_long_dec_return_relaxed" into its operation ("dec_return"), or null. */
/** Memoised: the machine asks for every builtin it executes, on the explorer's hot path. */
function memo<T>(f: (name: string) => T): (name: string) => T {
  const cache = new Map<string, T>();
  return (name) => {
    if (cache.has(name)) return cache.get(name)!;
    const v = f(name);
    cache.set(name, v);
    return v;
  };
}

export const atomicOp = memo(atomicOpOf);

function atomicOpOf(name: string): string | null {
  // The same operations on a plain word (set_mask_bits()' try_cmpxchg(&folio->flags, ...)): their definitions
  // are each architecture's inline asm.
  const w = /^(?:arch_|raw_)?(cmpxchg|try_cmpxchg|xchg)(?:64|128|_local|64_local)?(?:_relaxed|_acquire|_release)?$/.exec(name);
  if (w) return w[1];
  const m = /^(?:arch_|raw_)?atomic(?:_long|64)?_(.+?)(?:_relaxed|_acquire|_release)?$/.exec(name);
  if (!m) return null;
  const op = m[1];
  if (op in ATOMICS || op === 'try_cmpxchg') return op;
  return null;
}

/** Lock primitives: acquire blocks while the lock word is non-zero. */
export const LOCK_ACQUIRE = new Set([
  'spin_lock', 'spin_lock_irq', 'spin_lock_irqsave', 'spin_lock_bh', 'raw_spin_lock', 'raw_spin_lock_irq',
  'raw_spin_lock_irqsave', 'mutex_lock', 'write_lock', 'write_lock_irq', 'write_lock_irqsave', 'read_lock',
  'read_lock_irq', 'read_lock_irqsave', 'down_write', 'down_read', 'xa_lock', 'xa_lock_irq', 'xa_lock_irqsave',
]);
export const LOCK_RELEASE = new Set([
  'spin_unlock', 'spin_unlock_irq', 'spin_unlock_irqrestore', 'spin_unlock_bh', 'raw_spin_unlock',
  'raw_spin_unlock_irq', 'raw_spin_unlock_irqrestore', 'mutex_unlock', 'write_unlock', 'write_unlock_irq',
  'write_unlock_irqrestore', 'read_unlock', 'read_unlock_irq', 'read_unlock_irqrestore', 'up_write', 'up_read',
  'xa_unlock', 'xa_unlock_irq', 'xa_unlock_irqrestore',
]);
export const LOCK_TRY = new Set(['spin_trylock', 'raw_spin_trylock', 'mutex_trylock', 'write_trylock']);

/** Calls with no effect on what the simulator checks: barriers, tracing, lockdep, RCU, sleeping, wake-ups. */
export const NO_EFFECT = new Set([
  'barrier', 'smp_mb', 'smp_rmb', 'smp_wmb', 'smp_mb__before_atomic', 'smp_mb__after_atomic', 'mb', 'rmb', 'wmb',
  'smp_store_release', 'cpu_relax', 'might_sleep', 'might_fault', 'cond_resched', 'rcu_read_lock',
  'rcu_read_unlock', 'preempt_disable', 'preempt_enable', 'local_irq_save', 'local_irq_restore',
  'local_irq_disable', 'local_irq_enable', 'lockdep_assert_held', 'lockdep_assert_irqs_disabled',
  'wake_up', 'wake_up_all', 'wake_up_page', 'wake_up_bit', 'dump_page', 'dump_stack', 'pr_err',
  'pr_warn', 'pr_info', 'pr_debug', 'printk', 'pr_warn_once', 'kasan_check_read', 'kasan_check_write',
  'instrument_atomic_read', 'instrument_atomic_write', 'instrument_atomic_read_write', 'percpu_ref_get',
  'percpu_ref_put', 'percpu_ref_tryget', 'percpu_ref_tryget_live', 'put_dev_pagemap', 'mem_cgroup_uncharge',
  'mem_cgroup_uncharge_list', 'count_vm_event', 'count_vm_events', '__count_vm_events', 'inc_node_page_state',
  'dec_node_page_state', 'mod_node_page_state', 'set_page_private', '__ClearPageWaiters', 'page_cpupid_reset_last',
  'kmemleak_ignore', 'flush_dcache_page', 'lru_add_drain', 'lru_add_drain_all', 'shake_page', 'cond_resched_rcu',
  'synchronize_rcu', 'mmu_notifier_invalidate_range', 'VM_WARN_ON_ONCE_PAGE', 'debug_check_no_locks_freed',
  // The kernel's log and its debugging output in every era's spelling: what they print changes no page.
  '_printk', 'vprintk', 'printk_deferred', '_printk_deferred', 'printk_ratelimited', 'pr_emerg', 'pr_alert', 'pr_crit',
  'pr_notice', 'pr_cont', 'pr_err_once', 'pr_info_once', 'pr_warn_ratelimited', 'pr_err_ratelimited',
  'pr_info_ratelimited', 'pr_debug_ratelimited', '__dynamic_pr_debug', '__warn_printk', '__dump_page', 'dump_page_owner',
  'show_mem', 'dump_mm', 'dump_vma', 'dev_err', 'dev_warn', 'dev_info', 'dev_dbg', 'dev_notice', 'dev_printk',
]);

/** The page allocator's entry points that free a page: a call ends the page's life. */
export const BUDDY_FREE = new Set([
  'free_hot_cold_page', 'free_unref_page', 'free_the_page', '__free_pages_ok', '__free_pages', '__free_page',
  'free_unref_folios', 'free_compound_page', 'free_frozen_pages', '__free_frozen_pages', 'free_pages_prepare_and_free',
]);

/**
 * The page allocator's entry points that hand out pages (every era's spelling; 6.10+ adds a `_noprof` suffix
 * under alloc_hooks()): the page they return is another page than the scenario's, or NULL. Their insides
 * (zonelists, mempolicy, reclaim, compaction) are not followed: a call returns an unknown pointer, which the
 * caller's own test (`if (!page)`) takes both ways. A driver's allocation path that backs its device pages with
 * system memory (test_hmm's alloc_page(GFP_HIGHUSER)) would otherwise explore the whole page allocator.
 */
export const BUDDY_ALLOC = new Set([
  'alloc_pages', '__alloc_pages', 'alloc_page', 'alloc_pages_node', '__alloc_pages_node', 'alloc_pages_current',
  '__alloc_pages_nodemask', 'alloc_pages_vma', 'alloc_page_vma', 'alloc_pages_exact', 'alloc_pages_exact_nid',
  'folio_alloc', '__folio_alloc', '__folio_alloc_node', 'vma_alloc_folio', 'folio_alloc_mpol', 'alloc_pages_mpol',
  '__get_free_pages', '__get_free_page', 'get_zeroed_page', '__alloc_frozen_pages', 'alloc_frozen_pages',
]);

export const isBuddyAlloc = memo((name: string): boolean => BUDDY_ALLOC.has(name.replace(/_noprof$/, '')));

/** Page facts computed by the model (order-0 pages, no section tables). Name → argument count. */
export const PAGE_FACTS = new Set([
  'pfn_to_page', 'page_to_pfn', 'pfn_to_online_page', 'pfn_valid', 'compound_head', '_compound_head', 'page_folio',
  'folio_page', 'page_zonenum', 'folio_zonenum', 'memdesc_is_zone_device', 'memdesc_zonenum', 'page_pgmap', 'folio_pgmap',
  'virt_to_page', 'page_to_virt', 'folio_nr_pages', 'compound_order', 'folio_order', 'thp_nr_pages', 'hpage_nr_pages',
  'page_is_devmap_managed_key', 'static_branch_unlikely', 'static_branch_likely', 'static_key_enabled',
  'static_key_false', 'static_key_true', 'tracepoint_enabled', 'page_ref_tracepoint_active', 'folio_ref_count_tracepoint',
  'in_interrupt', 'in_atomic', 'irqs_disabled', 'is_zero_pfn', 'pfn_present', 'zone_device_data_ok', 'get_dev_pagemap',
]);

/** Page flag tests and updates: PageLRU / SetPageLRU / ClearPageLRU / folio_test_lru / __SetPageX ... */
export const flagOp = memo(flagOpOf);

function flagOpOf(name: string): { flag: string; op: 'test' | 'set' | 'clear' | 'testclear' | 'testset' } | null {
  let m = /^(?:__)?(Set|Clear|TestClear|TestSet)?Page([A-Z][A-Za-z0-9]*)$/.exec(name);
  if (m) {
    const op = m[1] === 'Set' ? 'set' : m[1] === 'Clear' ? 'clear' : m[1] === 'TestClear' ? 'testclear'
      : m[1] === 'TestSet' ? 'testset' : 'test';
    return { flag: m[2].toLowerCase(), op };
  }
  m = /^(?:__)?folio_(test_clear|test_set|test|set|clear)_([a-z0-9_]+)$/.exec(name);
  if (m) {
    const op = m[1] === 'test' ? 'test' : m[1] === 'set' ? 'set' : m[1] === 'clear' ? 'clear'
      : m[1] === 'test_clear' ? 'testclear' : 'testset';
    return { flag: m[2].replace(/_/g, ''), op };
  }
  return null;
}

/** The fields a page's count lives in (atomic_t _refcount; _count before 4.6). */
export const REF_FIELDS: ReadonlySet<string> = new Set(['_refcount', '_count']);

/**
 * What a builtin the machine may take as a shared step touches, by argument position: the one description both
 * an actor's next step (Machine.footprint, on the argument values) and what its code may still do (future.ts,
 * on where its pointers point) read, so the two cannot disagree.
 */
export interface BuiltinTouch {
  /** Pointer arguments the builtin loads or stores through (their field, or the object's own word). */
  through: ReadonlyArray<{ arg: number; write: boolean }>;
  /** Fields of the object an argument points into (a page's flags word; its count, which a free's message says). */
  fields?: { arg: number; names: readonly string[]; write: boolean };
  /** The pages' life: 0 untouched, 1 read, 2 written. */
  life: 0 | 1 | 2;
  /** An atomic op that may change a count: the allocator's first reference on a free page hands it out (writes the life). */
  lifeIfAllocator: boolean;
}

/** BuiltinTouch of a builtin, or null when it touches nothing shared (a page fact, a decision, BUG()). */
export const builtinTouch = memo((name: string): BuiltinTouch | null => {
  const op = atomicOp(name);
  if (op) {
    const writes = op !== 'read';
    const through = [{ arg: op === 'try_cmpxchg' ? 0 : ATOMICS[op].ptr, write: writes }];
    // atomic_try_cmpxchg(v, &old, new) writes *old on failure.
    if (op === 'try_cmpxchg') through.push({ arg: 1, write: true });
    return { through, life: 1, lifeIfAllocator: writes };
  }
  if (LOCK_ACQUIRE.has(name) || LOCK_RELEASE.has(name) || LOCK_TRY.has(name)) return { through: [{ arg: 0, write: true }], life: 0, lifeIfAllocator: false };
  // A free, a hand-out or a wake-up of the page its first argument points into.
  if (BUDDY_FREE.has(name) || name === '__kbot_alloc' || name === 'wake_up_var') {
    return { through: [], fields: { arg: 0, names: [...REF_FIELDS], write: false }, life: 2, lifeIfAllocator: false };
  }
  if (name === '__kbot_wait_free') return { through: [], life: 1, lifeIfAllocator: false };
  const fo = flagOp(name);
  if (fo) return { through: [], fields: { arg: 0, names: ['__flags'], write: fo.op !== 'test' }, life: 0, lifeIfAllocator: false };
  return null;
});

/** Names the model always takes over, even where the tree defines them (order-0 model, flag bits, keys). */
export function isModelName(name: string): boolean {
  return PAGE_FACTS.has(name) || flagOp(name) !== null || atomicOp(name) !== null || LOCK_ACQUIRE.has(name) ||
    LOCK_RELEASE.has(name) || LOCK_TRY.has(name) || NO_EFFECT.has(name) || BUDDY_FREE.has(name) || isBuddyAlloc(name) ||
    name === 'wake_up_var' || name.startsWith('trace_') || name.startsWith('__kbot_');
}

/** Fallback values of zone numbers when the tree's mmzone.h is not among the files read. */
export const ZONE_FALLBACK: Record<string, number> = {
  ZONE_DMA: 0, ZONE_DMA32: 1, ZONE_NORMAL: 2, ZONE_HIGHMEM: 3, ZONE_MOVABLE: 4, ZONE_DEVICE: 5,
};
