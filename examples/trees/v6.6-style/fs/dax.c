// SPDX-License-Identifier: GPL-2.0-only
/*
 * fs/dax.c - Direct Access filesystem code
 *
 * Only the part that keeps a filesystem from reusing persistent memory
 * blocks while their pages are still in use (mapped or DMA-pinned).
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/memremap.h>
#include <linux/pagemap.h>
#include <linux/wait_bit.h>

/* The fsdax page backing @index of @mapping, if the block is mapped */
extern struct page *dax_entry_page(struct address_space *mapping,
				   pgoff_t index);
extern void unmap_mapping_pages(struct address_space *mapping,
				pgoff_t start, pgoff_t nr, bool even_cows);

/*
 * An fsdax page is idle when nobody holds a reference: not mapped by
 * any process, not pinned for DMA.
 */
static inline bool dax_page_is_idle(struct page *page)
{
	return page && page_ref_count(page) == 0;
}

/*
 * A process maps the block: the mapping holds a reference on the page
 * (0 -> 1 for the first one) until it is unmapped.
 */
static void dax_associate_entry(struct page *page,
				struct address_space *mapping, pgoff_t index)
{
	struct folio *folio = page_folio(page);

	page->mapping = mapping;
	page->index = index;
	folio_ref_inc(folio);
}

/**
 * dax_layout_busy_page_range - find the first busy page in a file range
 * @mapping: the file's address space
 * @start: first page index
 * @end: last page index
 *
 * Unmap the range from every process first, so that only references
 * taken outside the page tables (GUP pins for DMA) can keep a page
 * busy; then return the first such page, or NULL when all are idle.
 */
struct page *dax_layout_busy_page_range(struct address_space *mapping,
					pgoff_t start, pgoff_t end)
{
	struct page *page;
	pgoff_t index;

	unmap_mapping_pages(mapping, start, end - start + 1, false);

	for (index = start; index <= end; index++) {
		page = dax_entry_page(mapping, index);
		if (page && !dax_page_is_idle(page))
			return page;
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(dax_layout_busy_page_range);

/**
 * dax_break_layout - wait until no page of a file range is in use
 * @inode: the file, with its invalidate_lock held for writing
 * @start: first page index
 * @end: last page index
 *
 * Called before truncate and hole punch: the blocks must not be freed
 * while DMA to them may still be in flight. free_zone_device_page()
 * wakes us when a page's last reference is dropped.
 */
int dax_break_layout(struct inode *inode, pgoff_t start, pgoff_t end)
{
	struct page *page;

	for (;;) {
		page = dax_layout_busy_page_range(inode->i_mapping, start, end);
		if (!page)
			return 0;

		wait_var_event(&page->_refcount, dax_page_is_idle(page));
	}
}
EXPORT_SYMBOL_GPL(dax_break_layout);
