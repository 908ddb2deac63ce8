// Series written against Debian's linux-source-6.12 tree as a kernel developer would write them, for the
// real-tree review tests: each a list of patches for seriesOnTree().
import type { TreePatch } from './series-on-tree.ts';
import { moveHelperPatch, softOfflineDevicePatch } from './real-series-shared.ts';

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

/** soft_offline_page() and HWPoisonHandlable() let through to device private pages (see real-series-shared.ts). */
export const softOfflineDevice: TreePatch = softOfflineDevicePatch(SOB);

/** A new migration helper in mm/migrate.c, before its "Migration functions" banner (above __migrate_folio()). */
export function moveHelper(unfreezeOnError: boolean): TreePatch {
  return moveHelperPatch(SOB, unfreezeOnError, { path: 'mm/migrate.c', before: '/************************************************************\n *                    Migration functions\n' });
}
