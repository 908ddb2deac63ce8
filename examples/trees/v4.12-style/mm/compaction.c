// SPDX-License-Identifier: GPL-2.0
/*
 * linux/mm/compaction.c
 *
 * Memory compaction: move movable pages out of a range to build larger
 * free blocks. Only the migration scanner's isolation step is here.
 */
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page-flags.h>
#include <linux/spinlock.h>

extern int __isolate_lru_page(struct page *page, isolate_mode_t mode);

struct compact_control {
	struct list_head migratepages;	/* pages to be migrated */
	unsigned long nr_migratepages;	/* number of pages to migrate */
	struct zone *zone;
	bool contended;			/* lock or need_resched contention */
};

/**
 * isolate_migratepages_block() - isolate all migrate-able pages within
 *				  a single pageblock
 * @cc:		compaction control
 * @low_pfn:	first pfn to scan
 * @end_pfn:	one past the last pfn to scan
 * @isolate_mode: ISOLATE_* flags passed to __isolate_lru_page()
 *
 * The scanner walks pfns it holds no reference on. A page is only worth
 * a reference if it is on an LRU list, and PageLRU is tested twice:
 * once without the lock to skip cheaply, once under it because the
 * page may have been freed and reused meanwhile.
 *
 * Return: the pfn where scanning stopped.
 */
static unsigned long
isolate_migratepages_block(struct compact_control *cc, unsigned long low_pfn,
			   unsigned long end_pfn, isolate_mode_t isolate_mode)
{
	struct zone *zone = cc->zone;
	unsigned long flags = 0;
	bool locked = false;
	struct page *page;

	for (; low_pfn < end_pfn; low_pfn++) {
		if (!pfn_valid(low_pfn))
			continue;

		page = pfn_to_page(low_pfn);

		/* Skip anything that is not user memory, without the lock. */
		if (!PageLRU(page))
			continue;

		if (!locked) {
			spin_lock_irqsave(zone_lru_lock(zone), flags);
			locked = true;
		}

		/* Recheck PageLRU under the lock. */
		if (!PageLRU(page))
			continue;

		/* Takes the reference and clears PG_lru */
		if (__isolate_lru_page(page, isolate_mode) != 0)
			continue;

		/* Ours now: move it to the migration list */
		list_del(&page->lru);
		list_add(&page->lru, &cc->migratepages);
		cc->nr_migratepages++;
	}

	if (locked)
		spin_unlock_irqrestore(zone_lru_lock(zone), flags);

	return low_pfn;
}
