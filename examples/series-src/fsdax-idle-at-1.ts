// Against the folio-era tree: fsdax pages idle at refcount 1. put_page() wakes the truncate waiter on 2 -> 1 and
// dax_layout_busy_page_range() calls a page busy while its count is above 1. GUP pins are released through
// unpin_user_page() -> folio_put_refs(), which this series does not touch: the last unpin takes the count to 1
// with no wake_up_var(), and dax_break_layout() sleeps forever.

import type { SeriesSource } from '../series-source.ts';

const author = { name: 'Mei Tanaka', email: 'mei.tanaka@example.jp' };
const sob = `Signed-off-by: ${author.name} <${author.email}>`;

export const fsdaxIdleAt1: SeriesSource = {
  name: 'fsdax-idle-at-1',
  tree: 'v6.6-style',
  author,
  to: ['linux-mm@kvack.org', 'nvdimm@lists.linux.dev'],
  cc: ['linux-fsdevel@vger.kernel.org'],
  gitVersion: '2.42.1',
  cover: {
    subject: 'fsdax: keep an idle reference on dax pages',
    date: '2023-12-04 11:30:00 +0900',
    body: `Every fsdax page fault takes a page from refcount 0 to 1 and every
unmap frees it again through __folio_put() and free_zone_device_page(),
which is a lot of work for memory that never leaves the filesystem.

Keep an fsdax page at refcount 1 while it is idle instead, the way
fsdax worked before it moved to 0-based counts: put_page() wakes a
truncate waiting in dax_break_layout() on the 2 -> 1 transition, and
the layout check treats a page as busy while its count is above 1.`,
  },
  patches: [
    {
      subject: 'mm: fsdax pages are idle at refcount 1',
      date: '2023-12-04 11:30:10 +0900',
      body: `Initialise fsdax pages at refcount 1 and catch the 2 -> 1 transition
in put_page(): it means the last user is gone, so wake anybody waiting
for the page to become idle.

${sob}`,
      edits: [
        {
          path: 'include/linux/mm.h',
          find: `#include <linux/memremap.h>
`,
          replace: `#include <linux/memremap.h>
#include <linux/wait_bit.h>
`,
        },
        {
          path: 'include/linux/mm.h',
          find: `static inline void put_page(struct page *page)
{
	struct folio *folio = page_folio(page);

	folio_put(folio);
}`,
          replace: `/*
 * fsdax pages are idle at refcount 1, not 0: when a put brings one back
 * to 1, wake a truncate waiting for it (dax_break_layout()).
 */
static inline bool put_devmap_managed_page(struct page *page)
{
	if (!is_fsdax_page(page))
		return false;

	if (page_ref_dec_return(page) == 1)
		wake_up_var(&page->_refcount);
	return true;
}

static inline void put_page(struct page *page)
{
	struct folio *folio = page_folio(page);

	if (put_devmap_managed_page(&folio->page))
		return;
	folio_put(folio);
}`,
        },
        {
          path: 'mm/memremap.c',
          find: `		page->zone_device_data = NULL;
		set_page_count(page, 0);`,
          replace: `		page->zone_device_data = NULL;

		/* An idle fsdax page is at refcount 1, see put_page() */
		if (pgmap->type == MEMORY_DEVICE_FS_DAX)
			set_page_count(page, 1);
		else
			set_page_count(page, 0);`,
        },
        {
          path: 'include/linux/memremap.h',
          find: ` * filesystem must not reuse a block while a page of it is mapped or
 * pinned: it waits for the page to become idle (refcount 0) first.`,
          replace: ` * filesystem must not reuse a block while a page of it is mapped or
 * pinned: it waits for the page to become idle first. An idle fsdax
 * page is at refcount 1, and put_page() wakes the waiter on 2 -> 1.`,
        },
      ],
    },
    {
      subject: 'fs/dax: a page is busy while its refcount is above 1',
      date: '2023-12-04 11:30:20 +0900',
      body: `With fsdax pages idle at refcount 1, the layout check must call a page
busy only while somebody holds a reference beyond the idle one.

${sob}`,
      edits: [
        {
          path: 'fs/dax.c',
          find: `/*
 * An fsdax page is idle when nobody holds a reference: not mapped by
 * any process, not pinned for DMA.
 */
static inline bool dax_page_is_idle(struct page *page)
{
	return page && page_ref_count(page) == 0;
}`,
          replace: `/*
 * An fsdax page is idle when only its idle reference is left: not
 * mapped by any process, not pinned for DMA. It is busy while
 * page_ref_count(page) > 1.
 */
static inline bool dax_page_is_idle(struct page *page)
{
	return page && page_ref_count(page) == 1;
}`,
        },
        {
          path: 'fs/dax.c',
          find: ` * (0 -> 1 for the first one) until it is unmapped.`,
          replace: ` * (1 -> 2 for the first one) until it is unmapped.`,
        },
        {
          path: 'fs/dax.c',
          find: ` * while DMA to them may still be in flight. free_zone_device_page()
 * wakes us when a page's last reference is dropped.`,
          replace: ` * while DMA to them may still be in flight. put_page() wakes us when
 * a page drops back to its idle reference.`,
        },
      ],
    },
  ],
};
