// SPDX-License-Identifier: GPL-2.0
/*
 *  linux/mm/swap.c
 *
 * The final put of a page: take it off the LRU and give it back to the
 * page allocator.
 */

#include <linux/mm.h>
#include <linux/memremap.h>
#include <linux/spinlock.h>

/*
 * A page reaching refcount zero may still be on an LRU list if the
 * last reference was the one the LRU lookup took; unlink it first.
 */
static void __page_cache_release(struct page *page)
{
	if (PageLRU(page)) {
		struct zone *zone = page_zone(page);
		unsigned long flags;

		spin_lock_irqsave(zone_lru_lock(zone), flags);
		__ClearPageLRU(page);
		list_del(&page->lru);
		spin_unlock_irqrestore(zone_lru_lock(zone), flags);
	}
}

static void __put_single_page(struct page *page)
{
	__page_cache_release(page);
	free_hot_cold_page(page, false);
}

static void __put_compound_page(struct page *page)
{
	/*
	 * hugetlb pages never go on an LRU; everything else compound may
	 * still be there.
	 */
	if (!PageHuge(page))
		__page_cache_release(page);
	free_compound_page(page);
}

/*
 * Called by put_page() once the count has reached zero: nobody else can
 * find the page any more, except a speculative lookup, which fails on a
 * zero count.
 */
void __put_page(struct page *page)
{
	if (is_zone_device_page(page)) {
		put_dev_pagemap(page->pgmap);

		/*
		 * Device memory belongs to the device that mapped it: it
		 * never goes back to the page allocator.
		 */
		return;
	}

	if (unlikely(PageCompound(page)))
		__put_compound_page(page);
	else
		__put_single_page(page);
}
EXPORT_SYMBOL(__put_page);
