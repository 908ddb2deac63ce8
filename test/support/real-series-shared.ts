// Patches written the same way against more than one real tree (the text they change is the same in each):
// each tree's series module (real-series-61.ts, real-series-612.ts) gives them its author and, where the trees
// differ, where they go.
import type { TreePatch } from './series-on-tree.ts';

/**
 * Soft offline made to take device private pages (mm/memory-failure.c): soft_offline_page() falls back from
 * pfn_to_online_page() (which finds no ZONE_DEVICE page) to pfn_to_page() for a device private page, and
 * HWPoisonHandlable() lets such pages through for MF_SOFT_OFFLINE: the two checks that kept the speculative get
 * in __get_hwpoison_page() off device private pages.
 */
export function softOfflineDevicePatch(sob: string): TreePatch {
  return {
    subject: 'mm/memory-failure: soft offline device private pages',
    body: `A device private page with correctable errors can be migrated back to\nsystem memory like any movable page, but soft_offline_page() only looks\nat online pages and HWPoisonHandlable() refuses anything off the LRU.\nLet both take device private pages.\n\n${sob}`,
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
}

/**
 * A new migration helper, put just before `at.before` in `at.path`: the caller holds the only reference of an
 * isolated anonymous folio; the helper freezes it while the private data moves, and (unless unfreezeOnError)
 * returns on the still-mapped error path with the count frozen.
 */
export function moveHelperPatch(sob: string, unfreezeOnError: boolean, at: { path: string; before: string }): TreePatch {
  const busy = unfreezeOnError
    ? '\tif (folio_mapped(src)) {\n\t\tfolio_ref_unfreeze(src, 1);\n\t\treturn -EBUSY;\n\t}\n'
    : '\tif (folio_mapped(src))\n\t\treturn -EBUSY;\n';
  return {
    subject: 'mm/migrate: add folio_move_private_frozen()',
    body: `Drivers that migrate anonymous folios with private data want to move that\ndata while nobody can take a new reference on the folio. Add a helper that\nfreezes the source folio's only reference around the move.\n\n${sob}`,
    edits: [{
      path: at.path,
      find: at.before,
      replace: '/**\n * folio_move_private_frozen - move a folio\'s private data with its count frozen\n' +
        ' * @dst: the folio that takes the data\n' +
        ' * @src: an isolated anonymous folio; the caller holds its only reference\n *\n' +
        ' * Return: 0 on success, -EAGAIN if someone else holds a reference, -EBUSY if\n * @src is still mapped.\n */\n' +
        'int folio_move_private_frozen(struct folio *dst, struct folio *src)\n{\n' +
        '\tif (!folio_ref_freeze(src, 1))\n\t\treturn -EAGAIN;\n' + busy + '\n' +
        '\tdst->private = src->private;\n\tsrc->private = NULL;\n\tfolio_ref_unfreeze(src, 1);\n\treturn 0;\n}\n' +
        'EXPORT_SYMBOL_GPL(folio_move_private_frozen);\n\n' + at.before,
    }],
  };
}
