// Series written against Debian's linux-source-6.1 tree as a kernel developer would write them, for the
// real-tree review tests and the benchmark: each a list of patches for seriesOnTree().
import type { TreePatch } from './series-on-tree.ts';
import { moveHelperPatch, softOfflineDevicePatch } from './real-series-shared.ts';

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

/** soft_offline_page() and HWPoisonHandlable() let through to device private pages (see real-series-shared.ts). */
export const softOfflineDevice: TreePatch = softOfflineDevicePatch(SOB);

/** A new migration helper in mm/migrate.c (after folio_expected_refs(), mm/migrate.c:361). */
export function moveHelper(unfreezeOnError: boolean): TreePatch {
  return moveHelperPatch(SOB, unfreezeOnError, { path: 'mm/migrate.c', before: '/*\n * Replace the page in the mapping.' });
}

/** Section 5 of the benchmark: the series reviewed on the whole tree. */
export const REAL_SERIES_61: Record<string, TreePatch[]> = {
  'devpriv-free-at-1': devprivFreeAt1,
  'migration-helper-missing-unfreeze': [moveHelper(false)],
  'comment-only': commentOnly,
  'free-at-1-and-soft-offline-guards-removed': [...devprivFreeAt1, softOfflineDevice],
};
