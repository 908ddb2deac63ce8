// A realistic reviewed series for the report tests: a three-patch series to linux-mm whose patch 2 makes
// a ZONE_DEVICE driver keep idle pages at refcount 1, so a pfn walker's speculative get succeeds on a
// free page and its put_page() hands the page to page_free() a second time. The code is invented, in the
// shape of kernel code.
import type { Finding } from '../../../analyzers/types.ts';
import type { ApplyResult, Message, Series } from '../../types.ts';

export function makeMessage(p: Partial<Message> & { messageId: string; subject: string; index: number; total: number }): Message {
  const title = p.subject.replace(/^(re:\s*)?\[[^\]]*\]\s*/i, '');
  return {
    parsedSubject: {
      title,
      prefixes: ['PATCH', 'v2', `${p.index}/${p.total}`],
      isPatch: true,
      isRfc: false,
      isReply: false,
      version: 2,
      revisionInferred: false,
      index: p.index,
      total: p.total,
      treeTags: [],
    },
    from: { name: 'Alice Example', address: 'alice@example.org' },
    to: ['Andrew Morton <akpm@linux-foundation.org>'],
    cc: ['linux-mm@kvack.org', 'linux-kernel@vger.kernel.org', '"Doe, John" <john.doe@example.com>'],
    references: [],
    body: '',
    trailers: [],
    prerequisitePatchIds: [],
    problems: [],
    source: 'mbox:/fixtures/demo.mbox',
    headers: [],
    ...p,
  };
}

const COVER_ID = '<20240501120000.1000-1-alice@example.org>';

export function demoSeries(): Series {
  const cover = makeMessage({
    messageId: COVER_ID,
    subject: '[PATCH v2 0/3] demo_devmem: simplify page refcounting',
    index: 0,
    total: 3,
  });
  const patch = (i: number, title: string) =>
    makeMessage({
      messageId: `<20240501120000.1000-${i + 1}-alice@example.org>`,
      subject: `[PATCH v2 ${i}/3] ${title}`,
      index: i,
      total: 3,
      inReplyTo: COVER_ID,
      references: [COVER_ID],
    });
  return {
    id: COVER_ID,
    title: 'demo_devmem: simplify page refcounting',
    version: 2,
    revisionInferred: false,
    total: 3,
    isRfc: false,
    treeTags: [],
    cover,
    patches: [
      patch(1, 'demo_devmem: add a free list lock'),
      patch(2, 'demo_devmem: keep idle pages at refcount 1'),
      patch(3, 'demo_devmem: drop the allocation refcount reset'),
    ],
    missing: [],
    olderVersions: [],
    baseCommit: '0f1e2d3c4b5a69788796a5b4c3d2e1f001234567',
    prerequisitePatchIds: [],
    problems: [],
  };
}

export function appliedOnBaseCommit(): ApplyResult {
  return {
    status: 'applied',
    base: {
      commit: '0f1e2d3c4b5a69788796a5b4c3d2e1f001234567',
      source: 'base-commit',
      why: 'The cover letter gives base-commit: 0f1e2d3c4b5a, which the tree has.',
    },
    head: '89abcdef0123456789abcdef0123456789abcdef',
  };
}

/** The finding the refcount simulator reports for patch 2. */
export function doublePageFreeFinding(): Finding {
  const page = (ref: number, free: string[], state: string) => ({
    refcount: { page0: ref },
    freeList: free,
    pageState: { page0: state },
  });
  return {
    analyzer: 'refcount-sim',
    category: 'double-free',
    severity: 'error',
    title: 'page_free() runs twice for one page: a pfn walker gets a reference to a free device page',
    detail:
      'After this patch demo_page_free() leaves idle pages at refcount 1. A pfn walker ' +
      '(memory_failure() here) that calls get_page_unless_zero() on such a page succeeds, although ' +
      'the page sits on the driver\'s free list, and its put_page() drops the count back to 1, which ' +
      'the devmap put path takes as "the page became idle": it calls ->page_free() again and the page ' +
      'is added to the free list a second time.\n\n' +
      'Before this patch idle pages had refcount 0, so the walker\'s get failed and left them alone.',
    patch: '<20240501120000.1000-3-alice@example.org>',
    files: ['drivers/misc/demo_devmem.c'],
    hunk: [
      ' static void demo_page_free(struct page *page)',
      ' {',
      ' \tstruct demo_devmem *dmem = page_to_dmem(page);',
      ' ',
      '-\tset_page_count(page, 0);',
      '+\t/* idle pages stay at refcount 1, ready for the next user */',
      ' \tspin_lock(&dmem->lock);',
      ' \tlist_add(&page->lru, &dmem->free_list);',
      ' \tspin_unlock(&dmem->lock);',
    ],
    hunkFile: 'drivers/misc/demo_devmem.c:84',
    callSites: ['mm/memory-failure.c:1342', 'mm/memremap.c:508', 'drivers/misc/demo_devmem.c:91'],
    scenario: 'devmap-put-free+walker-get-put',
    trace: [
      { cpu: 'CPU0', actor: 'owner', func: 'put_page', file: 'include/linux/mm.h', line: 1436, op: 'page_ref_dec_return(page) = 1', ...page(1, [], 'allocated') },
      { cpu: 'CPU0', actor: 'owner', func: 'put_devmap_managed_page', file: 'mm/memremap.c', line: 508, op: 'refcount 1: idle, call ->page_free()', ...page(1, [], 'allocated') },
      { cpu: 'CPU0', actor: 'owner', func: 'demo_page_free', file: 'drivers/misc/demo_devmem.c', line: 91, op: 'list_add(&page->lru, &dmem->free_list)', ...page(1, ['page0'], 'free') },
      { cpu: 'CPU1', actor: 'walker', func: 'get_page_unless_zero', file: 'mm/memory-failure.c', line: 1342, op: 'page_ref_add_unless(page, 1, 0) = true', ...page(2, ['page0'], 'free') },
      { cpu: 'CPU1', actor: 'walker', func: 'put_page', file: 'mm/memory-failure.c', line: 1375, op: 'page_ref_dec_return(page) = 1', ...page(1, ['page0'], 'free') },
      { cpu: 'CPU1', actor: 'walker', func: 'put_devmap_managed_page', file: 'mm/memremap.c', line: 508, op: 'refcount 1: idle, call ->page_free()', ...page(1, ['page0'], 'free') },
      { cpu: 'CPU1', actor: 'walker', func: 'demo_page_free', file: 'drivers/misc/demo_devmem.c', line: 91, op: 'list_add() of a page already on the list', ...page(1, ['page0', 'page0'], 'free') },
    ],
  };
}
