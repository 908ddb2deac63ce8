// Series written against Debian's linux-source-6.1 tree as a kernel developer would write them, for the
// real-tree review tests and the benchmark: each a list of patches for seriesOnTree().
import type { TreePatch } from './series-on-tree.ts';

const SOB = 'Signed-off-by: Ines Albrecht <ines.albrecht@example.org>';

/** A comment-only change in mm/memremap.c: nothing for the simulator to check. */
export const commentOnly: TreePatch[] = [{
  subject: 'mm/memremap: say who takes a freed fsdax page',
  body: `free_zone_device_page() says why it resets the count but not who relies\non it. Say so.\n\n${SOB}`,
  edits: [{
    path: 'mm/memremap.c',
    find: '\t\t * Reset the page count to 1 to prepare for handing out the page\n\t\t * again.',
    replace: '\t\t * Reset the page count to 1 to prepare for handing out the page\n\t\t * again: the filesystem takes it from there.',
  }],
}];

/**
 * Device private pages made free at refcount 1 again, as the HMM series of 2017 did: the final put hands the
 * page back to its driver on 2 -> 1 (__put_devmap_managed_page_refs(), which put_page() calls for ZONE_DEVICE
 * pages, mm/memremap.c), the memmap init leaves device private pages at 1 (__init_zone_device_page(),
 * mm/mm_init.c:212) and the driver's allocation takes a reference on top (zone_device_page_init()).
 */
export const devprivFreeAt1: TreePatch[] = [{
  subject: 'mm/memremap: free device private pages at refcount 1',
  body: `A device private page goes through the whole __folio_put() path before\nit reaches its driver's ->page_free(). Keep free device private pages at\nrefcount 1 instead, and give them back to the driver on the 2 -> 1\ntransition, as put_page() did for HMM pages.\n\n${SOB}`,
  edits: [
    {
      path: 'mm/memremap.c',
      find: 'bool __put_devmap_managed_page_refs(struct page *page, int refs)\n{\n',
      replace: 'bool __put_devmap_managed_page_refs(struct page *page, int refs)\n{\n\tif (page->pgmap->type == MEMORY_DEVICE_PRIVATE) {\n\t\t/*\n\t\t * Free device private pages sit at refcount 1 on their\n\t\t * driver\'s free list: give the page back on 2 -> 1.\n\t\t */\n\t\tif (page_ref_sub_return(page, refs) == 1)\n\t\t\tpage->pgmap->ops->page_free(page);\n\t\treturn true;\n\t}\n\n',
    },
    {
      path: 'mm/memremap.c',
      find: '\tWARN_ON_ONCE(!percpu_ref_tryget_live(&page->pgmap->ref));\n\tset_page_count(page, 1);',
      replace: '\tWARN_ON_ONCE(!percpu_ref_tryget_live(&page->pgmap->ref));\n\t/* A free device private page is at 1 already (see put_page()). */\n\tif (page->pgmap->type == MEMORY_DEVICE_PRIVATE)\n\t\tpage_ref_inc(page);\n\telse\n\t\tset_page_count(page, 1);',
    },
    {
      path: 'mm/mm_init.c',
      find: '\tif (pgmap->type == MEMORY_DEVICE_PRIVATE ||\n\t    pgmap->type == MEMORY_DEVICE_COHERENT)\n\t\tset_page_count(page, 0);',
      replace: '\tif (pgmap->type == MEMORY_DEVICE_COHERENT)\n\t\tset_page_count(page, 0);',
    },
  ],
}];

/**
 * Soft offline made to take device private pages (mm/memory-failure.c): soft_offline_page() falls back from
 * pfn_to_online_page() (which finds no ZONE_DEVICE page) to pfn_to_page() for a device private page, and
 * HWPoisonHandlable() lets such pages through for MF_SOFT_OFFLINE: the two checks that kept the speculative get
 * in __get_hwpoison_page() off device private pages.
 */
export const softOfflineDevice: TreePatch = {
  subject: 'mm/memory-failure: soft offline device private pages',
  body: `A device private page with correctable errors can be migrated back to\nsystem memory like any movable page, but soft_offline_page() only looks\nat online pages and HWPoisonHandlable() refuses anything off the LRU.\nLet both take device private pages.\n\n${SOB}`,
  edits: [
    {
      path: 'mm/memory-failure.c',
      find: '\tif ((flags & MF_SOFT_OFFLINE) && __PageMovable(page))\n\t\treturn true;',
      replace: '\tif ((flags & MF_SOFT_OFFLINE) &&\n\t    (__PageMovable(page) || is_device_private_page(page)))\n\t\treturn true;',
    },
    {
      path: 'mm/memory-failure.c',
      find: '\t/* Only online pages can be soft-offlined (esp., not ZONE_DEVICE). */\n\tpage = pfn_to_online_page(pfn);\n\tif (!page) {',
      replace: '\t/* Online pages, and device private pages: they migrate back. */\n\tpage = pfn_to_online_page(pfn);\n\tif (!page && is_device_private_page(pfn_to_page(pfn)))\n\t\tpage = pfn_to_page(pfn);\n\tif (!page) {',
    },
  ],
};

/**
 * A new migration helper in mm/migrate.c (after folio_expected_refs(), mm/migrate.c:361): the caller holds the
 * only reference of an isolated anonymous folio; the helper freezes it while the private data moves.
 */
export function moveHelper(unfreezeOnError: boolean): TreePatch {
  const busy = unfreezeOnError
    ? '\tif (folio_mapped(src)) {\n\t\tfolio_ref_unfreeze(src, 1);\n\t\treturn -EBUSY;\n\t}\n'
    : '\tif (folio_mapped(src))\n\t\treturn -EBUSY;\n';
  return {
    subject: 'mm/migrate: add folio_move_private_frozen()',
    body: `Drivers that migrate anonymous folios with private data want to move that\ndata while nobody can take a new reference on the folio. Add a helper that\nfreezes the source folio's only reference around the move.\n\n${SOB}`,
    edits: [{
      path: 'mm/migrate.c',
      find: '\treturn refs;\n}\n\n/*\n * Replace the page in the mapping.',
      replace: '\treturn refs;\n}\n\n' +
        '/**\n * folio_move_private_frozen - move a folio\'s private data with its count frozen\n' +
        ' * @dst: the folio that takes the data\n' +
        ' * @src: an isolated anonymous folio; the caller holds its only reference\n *\n' +
        ' * Return: 0 on success, -EAGAIN if someone else holds a reference, -EBUSY if\n * @src is still mapped.\n */\n' +
        'int folio_move_private_frozen(struct folio *dst, struct folio *src)\n{\n' +
        '\tif (!folio_ref_freeze(src, 1))\n\t\treturn -EAGAIN;\n' + busy + '\n' +
        '\tdst->private = src->private;\n\tsrc->private = NULL;\n\tfolio_ref_unfreeze(src, 1);\n\treturn 0;\n}\n' +
        'EXPORT_SYMBOL_GPL(folio_move_private_frozen);\n\n/*\n * Replace the page in the mapping.',
    }],
  };
}

/** Section 5 of the benchmark: the series reviewed on the whole tree. */
export const REAL_SERIES_61: Record<string, TreePatch[]> = {
  'devpriv-free-at-1': devprivFreeAt1,
  'migration-helper-missing-unfreeze': [moveHelper(false)],
  'comment-only': commentOnly,
  'free-at-1-and-soft-offline-guards-removed': [...devprivFreeAt1, softOfflineDevice],
};
