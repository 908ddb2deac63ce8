// Series against Debian's linux-source-6.1 for the hot-path-cost and checkpatch analyzers: the seed's remark
// (a device private branch added to put_page(), which every put of every page inlines), the same branch behind
// a static key as Linux later did it (devmap_managed_key), a branch added to a function that is not inlined,
// and a patch with a checkpatch style error.
import type { TreePatch } from './series-on-tree.ts';

const SOB = 'Signed-off-by: Ines Albrecht <ines.albrecht@example.org>';

const PUT_PAGE = '\tstruct folio *folio = page_folio(page);\n\n\t/*\n\t * For some devmap managed pages we need to catch refcount transition\n\t * from 2 to 1:\n\t */\n\tif (put_devmap_managed_page(&folio->page))\n\t\treturn;\n\tfolio_put(folio);\n}';

/** put_page() hands device private pages to their own release path first, for every page, as the 2017 patch did. */
export const seedStyle: TreePatch[] = [{
  subject: 'mm: special case put_page() for device private pages',
  body: `A device private page has no user left when its refcount drops to 1.\nCatch that transition in put_page() and give the page back to the\ndriver there.\n\n${SOB}`,
  edits: [
    {
      path: 'include/linux/mm.h',
      find: PUT_PAGE,
      replace: PUT_PAGE.replace('\tstruct folio *folio = page_folio(page);\n\n', '\tstruct folio *folio = page_folio(page);\n\n\tif (unlikely(is_device_private_page(page))) {\n\t\tput_device_private_page(page);\n\t\treturn;\n\t}\n\n'),
    },
    {
      path: 'include/linux/mm.h',
      find: 'static inline void put_page(struct page *page)\n{',
      replace: 'void put_device_private_page(struct page *page);\n\nstatic inline void put_page(struct page *page)\n{',
    },
  ],
}];

/** The same, behind a static key enabled when the first device private pgmap is set up. */
export const seedStyleKeyed: TreePatch[] = [{
  subject: 'mm: special case put_page() for device private pages, behind a static key',
  body: `A device private page has no user left when its refcount drops to 1.\nCatch that transition in put_page(), behind a static key so that\nmachines without device private memory pay nothing for it.\n\n${SOB}`,
  edits: [
    {
      path: 'include/linux/mm.h',
      find: PUT_PAGE,
      replace: PUT_PAGE.replace('\tstruct folio *folio = page_folio(page);\n\n', '\tstruct folio *folio = page_folio(page);\n\n\tif (static_branch_unlikely(&device_private_key) &&\n\t    is_device_private_page(page)) {\n\t\tput_device_private_page(page);\n\t\treturn;\n\t}\n\n'),
    },
    {
      path: 'include/linux/mm.h',
      find: 'static inline void put_page(struct page *page)\n{',
      replace: 'DECLARE_STATIC_KEY_FALSE(device_private_key);\nvoid put_device_private_page(struct page *page);\n\nstatic inline void put_page(struct page *page)\n{',
    },
  ],
}];

/** A branch in __folio_put(), which put_page() calls out of line on the last put only. */
export const coldBranch: TreePatch[] = [{
  subject: 'mm/swap: count device private folios freed',
  body: `Count the device private folios that reach __folio_put(), for the\ndriver's statistics.\n\n${SOB}`,
  edits: [{
    path: 'mm/swap.c',
    find: 'void __folio_put(struct folio *folio)\n{\n',
    replace: 'void __folio_put(struct folio *folio)\n{\n\tif (folio_is_device_private(folio))\n\t\tcount_vm_event(PGFREE);\n',
  }],
}];

/** The same branch, written against the kernel's coding style: `if(` with no space (a checkpatch ERROR). */
export const styleError: TreePatch[] = [{
  subject: 'mm/swap: count device private folios freed, tersely',
  body: `Count the device private folios that reach __folio_put(), for the\ndriver's statistics.\n\n${SOB}`,
  edits: [{
    path: 'mm/swap.c',
    find: 'void __folio_put(struct folio *folio)\n{\n',
    replace: 'void __folio_put(struct folio *folio)\n{\n\tif(folio_is_device_private(folio))\n\t\tcount_vm_event(PGFREE);\n',
  }],
}];

/**
 * The seed's branch open-coded, as a test of the page's zone and pgmap type: Debian's config leaves
 * CONFIG_DEVICE_PRIVATE off, which makes is_device_private_page() false at compile time (seedStyle costs a
 * Debian kernel nothing), but ZONE_DEVICE on.
 */
export const seedStyleOpenCoded: TreePatch[] = [{
  subject: 'mm: special case put_page() for device pages of private memory',
  body: `A device private page has no user left when its refcount drops to 1.\nCatch that transition in put_page() and give the page back to the\ndriver there.\n\n${SOB}`,
  edits: [
    {
      path: 'include/linux/mm.h',
      find: PUT_PAGE,
      replace: PUT_PAGE.replace('\tstruct folio *folio = page_folio(page);\n\n', '\tstruct folio *folio = page_folio(page);\n\n\tif (unlikely(is_zone_device_page(page) &&\n\t\t     page->pgmap->type == MEMORY_DEVICE_PRIVATE)) {\n\t\tput_device_private_page(page);\n\t\treturn;\n\t}\n\n'),
    },
    {
      path: 'include/linux/mm.h',
      find: 'static inline void put_page(struct page *page)\n{',
      replace: 'void put_device_private_page(struct page *page);\n\nstatic inline void put_page(struct page *page)\n{',
    },
  ],
}];

/** A line past 100 columns: a checkpatch WARNING (LONG_LINE), no ERROR. */
export const styleWarning: TreePatch[] = [{
  subject: 'mm/swap: say who frees device folios',
  body: `Say where device folios go when __folio_put() sees them.\n\n${SOB}`,
  edits: [{
    path: 'mm/swap.c',
    find: 'void __folio_put(struct folio *folio)\n{\n',
    replace: 'void __folio_put(struct folio *folio)\n{\n\t/* ZONE_DEVICE folios go back to their pgmap owner through free_zone_device_page(), never to the page allocator */\n',
  }],
}];

const DEVMAP_REFS = '\tif (!static_branch_unlikely(&devmap_managed_key))\n\t\treturn false;\n\tif (!is_zone_device_page(page))\n\t\treturn false;\n\treturn __put_devmap_managed_page_refs(page, refs);\n}';

/**
 * The test put into put_devmap_managed_page_refs(), the helper put_page() reaches through
 * put_devmap_managed_page() on every call, ahead of its devmap_managed_key test: every put_page() pays.
 */
export const helperAheadOfKey: TreePatch[] = [{
  subject: 'mm: catch device private pages before the devmap key',
  body: `Device private pages do not need devmap_managed_key: test for them first.\n\n${SOB}`,
  edits: [{
    path: 'include/linux/mm.h',
    find: DEVMAP_REFS,
    replace: `\tif (is_zone_device_page(page) &&\n\t    page->pgmap->type == MEMORY_DEVICE_PRIVATE)\n\t\treturn __put_devmap_managed_page_refs(page, refs);\n${DEVMAP_REFS}`,
  }],
}];

/** The same test after the helper's devmap_managed_key test: behind the tree's own static key. */
export const helperBehindKey: TreePatch[] = [{
  subject: 'mm: catch device private pages behind the devmap key',
  body: `Test for device private pages once devmap_managed_key says there are\ndevice pages to manage.\n\n${SOB}`,
  edits: [{
    path: 'include/linux/mm.h',
    find: DEVMAP_REFS,
    replace: DEVMAP_REFS.replace('\t\treturn false;\n\tif (!is_zone_device_page(page))', '\t\treturn false;\n\tif (page->pgmap->type == MEMORY_DEVICE_PRIVATE)\n\t\treturn __put_devmap_managed_page_refs(page, refs);\n\tif (!is_zone_device_page(page))'),
  }],
}];
