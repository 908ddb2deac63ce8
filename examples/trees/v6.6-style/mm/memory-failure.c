// SPDX-License-Identifier: GPL-2.0
/*
 * Handle hardware memory errors: the machine check or the platform
 * reports a bad pfn, and we try to get the page out of circulation
 * before anybody consumes the poison.
 *
 * The pfn comes from the hardware, not from anyone holding the page:
 * at the time of the report the page may be in any state, owned by
 * anybody, or free.
 */
#include <linux/kernel.h>
#include <linux/memory_hotplug.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/pagemap.h>
#include <linux/printk.h>

static int sysctl_memory_failure_recovery __read_mostly = 1;

atomic_long_t num_poisoned_pages __read_mostly = ATOMIC_LONG_INIT(0);

/* Flags for memory_failure() */
#define MF_COUNT_INCREASED	0x1	/* the caller already holds a reference */
#define MF_ACTION_REQUIRED	0x2	/* poison was consumed, not just found */

enum mf_result {
	MF_IGNORED,	/* nothing we know how to do */
	MF_FAILED,	/* tried, and failed */
	MF_DELAYED,	/* done when the page is next freed */
	MF_RECOVERED,	/* page taken out of use */
};

enum mf_action_page_type {
	MF_MSG_KERNEL,
	MF_MSG_KERNEL_HIGH_ORDER,
	MF_MSG_BUDDY,
	MF_MSG_DAX,
	MF_MSG_LRU,
	MF_MSG_UNKNOWN,
};

static int action_result(unsigned long pfn, enum mf_action_page_type type,
			 enum mf_result result)
{
	pr_err("%#lx: recovery action for page type %d: %d\n",
	       pfn, type, result);
	return (result == MF_RECOVERED || result == MF_DELAYED) ? 0 : -EBUSY;
}

/*
 * Pin the folio of a page reported bad. Only online pages get here, so
 * the folio is ordinary memory; a free one (count 0) is left alone.
 */
static int __get_hwpoison_page(struct page *page)
{
	struct folio *folio = page_folio(page);

	if (folio_test_hugetlb(folio))
		return -EBUSY;

	if (folio_try_get(folio)) {
		if (folio == page_folio(page))
			return 1;

		/* Split or merged while we looked: give up */
		pr_info("%#lx cannot catch tail\n", page_to_pfn(page));
		folio_put(folio);
	}

	return 0;
}

int get_hwpoison_page(struct page *page)
{
	return __get_hwpoison_page(page);
}

/*
 * Device memory has its own handler (or none): the page refcount is
 * not touched, the page map is pinned instead.
 */
static int memory_failure_dev_pagemap(unsigned long pfn, int flags,
				      struct dev_pagemap *pgmap)
{
	int rc = -ENXIO;

	if (pgmap->ops && pgmap->ops->memory_failure) {
		rc = pgmap->ops->memory_failure(pgmap, pfn, 1, flags);
		if (rc != -EOPNOTSUPP)
			goto out;
	}

	rc = action_result(pfn, MF_MSG_DAX, rc ? MF_FAILED : MF_RECOVERED);
out:
	put_dev_pagemap(pgmap);
	return rc;
}

/**
 * memory_failure - take a bad page out of circulation
 * @pfn: the pfn the hardware reported
 * @flags: MF_* flags
 *
 * Must run in process context (the recovery may sleep); machine check
 * handlers queue the work instead of calling it directly.
 */
int memory_failure(unsigned long pfn, int flags)
{
	struct dev_pagemap *pgmap;
	struct folio *folio;
	struct page *p;
	int res;

	if (!sysctl_memory_failure_recovery)
		panic("Memory failure on page %lx", pfn);

	p = pfn_to_online_page(pfn);
	if (!p) {
		/* Not online RAM: maybe device memory, with its own handler */
		if (pfn_valid(pfn)) {
			pgmap = get_dev_pagemap(pfn, NULL);
			if (pgmap)
				return memory_failure_dev_pagemap(pfn, flags,
								  pgmap);
		}
		pr_err("%#lx: memory outside kernel control\n", pfn);
		return -ENXIO;
	}

	if (TestSetPageHWPoison(p)) {
		pr_err("%#lx: already hardware poisoned\n", pfn);
		return -EHWPOISON;
	}

	atomic_long_inc(&num_poisoned_pages);

	/*
	 * A free page (count 0) is the easy case: the allocator will see
	 * PG_hwpoison and never hand the page out again. Otherwise hold a
	 * reference so the page cannot be freed and reused while we work.
	 */
	if (!(flags & MF_COUNT_INCREASED) && get_hwpoison_page(p) <= 0)
		return action_result(pfn, MF_MSG_BUDDY, MF_DELAYED);

	folio = page_folio(p);
	folio_lock(folio);

	if (!folio_test_lru(folio)) {
		/* Kernel memory: nothing to unmap, give the page back */
		folio_unlock(folio);
		folio_put(folio);
		return action_result(pfn, MF_MSG_KERNEL, MF_IGNORED);
	}

	/* unmap from every process and drop from the page cache */
	res = action_result(pfn, MF_MSG_LRU, MF_RECOVERED);
	folio_unlock(folio);
	return res;
}
EXPORT_SYMBOL_GPL(memory_failure);
