// Series written against Debian's linux-source-6.12 tree as a kernel developer would write them, for the
// real-tree review tests: each a list of patches for seriesOnTree().
import type { TreePatch } from './series-on-tree.ts';

const SOB = 'Signed-off-by: Tomasz Wierzbicki <tomasz.wierzbicki@example.org>';

/**
 * Device private folios made free at refcount 1, in the shape of the 2017 HMM patch (shared/seeds): a branch at
 * the top of the inline put_page() (include/linux/mm.h) that hands the page back to its driver on the 2 -> 1
 * transition; the memmap init (mm/mm_init.c, __init_zone_device_page()) leaves device private pages at 1; the
 * driver's allocation (zone_device_page_init(), mm/memremap.c) takes its reference on top of that.
 */
export const devprivFreeAt1: TreePatch[] = [{
  subject: 'mm: keep free device private folios at refcount 1',
  body: `A device private folio goes through folio_put() and __folio_put() before\nfree_zone_device_folio() gives it back to the driver. Catch the 2 -> 1\ntransition in put_page() instead and call ->page_free() there, so that a\nfree device private page keeps one reference while it sits on the\ndriver's free list.\n\n${SOB}`,
  edits: [
    {
      path: 'include/linux/mm.h',
      find: 'static inline void put_page(struct page *page)\n{\n\tstruct folio *folio = page_folio(page);\n\n',
      replace: 'static inline void put_page(struct page *page)\n{\n\tstruct folio *folio = page_folio(page);\n\n\t/*\n\t * Free device private folios sit at refcount 1 on their driver\'s\n\t * free list: hand the page back on 2 -> 1.\n\t */\n\tif (unlikely(folio_is_device_private(folio))) {\n\t\tif (folio_ref_sub_return(folio, 1) == 1)\n\t\t\tfolio->page.pgmap->ops->page_free(page);\n\t\treturn;\n\t}\n\n',
    },
    {
      path: 'mm/mm_init.c',
      find: '\tif (pgmap->type == MEMORY_DEVICE_PRIVATE ||\n\t    pgmap->type == MEMORY_DEVICE_COHERENT)\n\t\tset_page_count(page, 0);',
      replace: '\tif (pgmap->type == MEMORY_DEVICE_COHERENT)\n\t\tset_page_count(page, 0);',
    },
    {
      path: 'mm/memremap.c',
      find: '\tWARN_ON_ONCE(!percpu_ref_tryget_live(&page->pgmap->ref));\n\tset_page_count(page, 1);\n\tlock_page(page);',
      replace: '\tWARN_ON_ONCE(!percpu_ref_tryget_live(&page->pgmap->ref));\n\t/* A free device private page is at 1 already (see put_page()). */\n\tif (is_device_private_page(page))\n\t\tpage_ref_inc(page);\n\telse\n\t\tset_page_count(page, 1);\n\tlock_page(page);',
    },
  ],
}];

/** A comment-only change in mm/memremap.c: nothing for the simulator to check. */
export const commentOnly: TreePatch[] = [{
  subject: 'mm/memremap: say who takes a freed fsdax folio',
  body: `free_zone_device_folio() says why it resets the count but not who relies\non it. Say so.\n\n${SOB}`,
  edits: [{
    path: 'mm/memremap.c',
    find: '\t\t * Reset the refcount to 1 to prepare for handing out the page\n\t\t * again.',
    replace: '\t\t * Reset the refcount to 1 to prepare for handing out the page\n\t\t * again: the filesystem takes it from there.',
  }],
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
 * A new migration helper in mm/migrate.c (before __migrate_folio()): the caller holds the only reference of an
 * isolated anonymous folio; the helper freezes it while the private data moves, and (unless unfreezeOnError)
 * returns on the still-mapped error path with the count frozen.
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
      find: ' *                    Migration functions\n ***********************************************************/\n\n',
      replace: ' *                    Migration functions\n ***********************************************************/\n\n' +
        '/**\n * folio_move_private_frozen - move a folio\'s private data with its count frozen\n' +
        ' * @dst: the folio that takes the data\n' +
        ' * @src: an isolated anonymous folio; the caller holds its only reference\n *\n' +
        ' * Return: 0 on success, -EAGAIN if someone else holds a reference, -EBUSY if\n * @src is still mapped.\n */\n' +
        'int folio_move_private_frozen(struct folio *dst, struct folio *src)\n{\n' +
        '\tif (!folio_ref_freeze(src, 1))\n\t\treturn -EAGAIN;\n' + busy + '\n' +
        '\tdst->private = src->private;\n\tsrc->private = NULL;\n\tfolio_ref_unfreeze(src, 1);\n\treturn 0;\n}\n' +
        'EXPORT_SYMBOL_GPL(folio_move_private_frozen);\n\n',
    }],
  };
}
