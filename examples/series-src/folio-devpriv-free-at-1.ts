// Against the folio-era tree: bring back "device private folios are free at refcount 1". folio_put() calls
// ->page_free() on the 2 -> 1 transition; a free folio on the driver's list is at 1, so migrate_device_range()'s
// get_page_unless_zero() now succeeds on it and the walker's put_page() frees it a second time.

import type { SeriesSource } from '../series-source.ts';

const author = { name: 'Lukas Brenner', email: 'lbrenner@example.com' };
const sob = `Signed-off-by: ${author.name} <${author.email}>`;

export const folioDevprivFreeAt1: SeriesSource = {
  name: 'folio-devpriv-free-at-1',
  tree: 'v6.6-style',
  author,
  to: ['linux-mm@kvack.org'],
  cc: ['linux-kernel@vger.kernel.org', 'Rosa Lindqvist <rosa.lindqvist@example.com>'],
  gitVersion: '2.42.1',
  cover: {
    subject: 'mm: cheaper freeing of device private folios',
    date: '2023-11-20 16:05:00 +0100',
    body: `Freeing a device private folio goes through the whole __folio_put()
path before it reaches the driver's ->page_free(). Our driver frees
device pages at a high rate while migrating, and the detour shows up
in profiles.

This series keeps a free device private folio at refcount 1 instead of
0 and has folio_put() hand it to the driver directly on the 2 -> 1
transition, like put_page() used to do for HMM pages. Allocation takes
the driver's reference with a plain increment.

Patch 2 updates test_hmm's comments to match; the driver code itself
does not change.`,
  },
  patches: [
    {
      subject: 'mm: free device private folios at refcount 1',
      date: '2023-11-20 16:05:10 +0100',
      body: `Keep free device private folios at refcount 1 and catch the 2 -> 1
transition in folio_put(), calling ->page_free() from there rather
than through __folio_put() and free_zone_device_page().

zone_device_page_init() now takes a free page from 1 to 2.

${sob}`,
      edits: [
        {
          path: 'include/linux/mm.h',
          find: `static inline void folio_put(struct folio *folio)
{
	if (folio_put_testzero(folio))`,
          replace: `static inline void folio_put(struct folio *folio)
{
	/*
	 * Device private folios are free at refcount 1: catch the 2 -> 1
	 * transition and give the folio straight back to its driver.
	 */
	if (unlikely(folio_is_device_private(folio))) {
		if (folio_ref_dec_return(folio) == 1) {
			folio->pgmap->ops->page_free(&folio->page);
			put_dev_pagemap(folio->pgmap);
		}
		return;
	}

	if (folio_put_testzero(folio))`,
        },
        {
          path: 'mm/memremap.c',
          find: `		page->zone_device_data = NULL;
		set_page_count(page, 0);`,
          replace: `		page->zone_device_data = NULL;

		/* Free device private pages are at refcount 1, see folio_put() */
		if (pgmap->type == MEMORY_DEVICE_PRIVATE)
			set_page_count(page, 1);
		else
			set_page_count(page, 0);`,
        },
        {
          path: 'mm/memremap.c',
          find: ` * The page is free (refcount 0); give it its first reference, for the
 * caller, and pin the page map for as long as the page is in use.
 */
void zone_device_page_init(struct page *page)
{
	/* Drivers must not hand out pages once memunmap_pages() started */
	WARN_ON_ONCE(!percpu_ref_tryget_live(&page->pgmap->ref));
	VM_BUG_ON_PAGE(page_ref_count(page), page);
	set_page_count(page, 1);`,
          replace: ` * The page is free (refcount 1 for device private pages, 0 for
 * coherent ones); give the caller a reference and pin the page map for
 * as long as the page is in use.
 */
void zone_device_page_init(struct page *page)
{
	/* Drivers must not hand out pages once memunmap_pages() started */
	WARN_ON_ONCE(!percpu_ref_tryget_live(&page->pgmap->ref));
	if (is_device_private_page(page)) {
		VM_BUG_ON_PAGE(page_ref_count(page) != 1, page);
		page_ref_inc(page);
	} else {
		VM_BUG_ON_PAGE(page_ref_count(page), page);
		set_page_count(page, 1);
	}`,
        },
        {
          path: 'include/linux/memremap.h',
          find: ` * MEMORY_DEVICE_PRIVATE:
 * Device memory the CPU cannot access. It is only mapped through
 * special swap entries; a CPU fault calls ->migrate_to_ram(). The
 * driver allocates these pages (zone_device_page_init() sets the count
 * from 0 to 1) and gets them back through ->page_free().`,
          replace: ` * MEMORY_DEVICE_PRIVATE:
 * Device memory the CPU cannot access. It is only mapped through
 * special swap entries; a CPU fault calls ->migrate_to_ram(). The
 * driver allocates these pages and gets them back through
 * ->page_free(). Unlike the other types, a free device private page is
 * at refcount 1: zone_device_page_init() takes it to 2, and folio_put()
 * calls ->page_free() when it drops back to 1.`,
        },
      ],
    },
    {
      subject: 'lib/test_hmm: document refcount 1 as free',
      date: '2023-11-20 16:05:20 +0100',
      body: `Device private pages are now free at refcount 1; say so in the
driver's comments.

${sob}`,
      edits: [
        {
          path: 'lib/test_hmm.c',
          find: ` * A free device page is at refcount 0. Allocation gives it its first
 * reference (zone_device_page_init()); when the last reference goes,
 * mm calls ->page_free() and the page goes back on the list.`,
          replace: ` * A free device page is at refcount 1. Allocation takes a reference
 * for the user (zone_device_page_init(), 1 -> 2); when folio_put()
 * brings it back to 1, mm calls ->page_free() and the page goes back
 * on the list.`,
        },
        {
          path: 'lib/test_hmm.c',
          find: `/* ->page_free(): the page's count has dropped to 0 */`,
          replace: `/* ->page_free(): the page's count has dropped back to 1 */`,
        },
        {
          path: 'lib/test_hmm.c',
          find: `	/* Every page starts out free: at refcount 0, on our list. */`,
          replace: `	/* Every page starts out free: at refcount 1, on our list. */`,
        },
      ],
    },
  ],
};
