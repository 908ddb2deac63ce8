// SPDX-License-Identifier: GPL-2.0
/*
 *  linux/mm/vmscan.c
 *
 * Page reclaim; here only the LRU isolation step it shares with
 * compaction.
 */
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page-flags.h>

/*
 * Try to take @page off its LRU list for reclaim or migration.
 * The caller holds the node's lru_lock and has seen PageLRU(page).
 *
 * Returns 0 when the page is ours (with a reference held), -EINVAL when
 * it is not an LRU page, -EBUSY when it is being freed.
 */
int __isolate_lru_page(struct page *page, isolate_mode_t mode)
{
	int ret = -EINVAL;

	/* Somebody else isolated it first. */
	if (!PageLRU(page))
		return ret;

	/* Mlocked and similar pages stay where they are. */
	if (PageUnevictable(page))
		return ret;

	ret = -EBUSY;

	if ((mode & ISOLATE_UNMAPPED) && page_mapped(page))
		return ret;

	if (likely(get_page_unless_zero(page))) {
		/*
		 * The lru_lock keeps PG_lru stable: clearing it here tells
		 * everyone else the page is off the list and ours.
		 */
		ClearPageLRU(page);
		ret = 0;
	}

	return ret;
}
