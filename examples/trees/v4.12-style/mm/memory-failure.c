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
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/pagemap.h>
#include <linux/printk.h>

int sysctl_memory_failure_recovery __read_mostly = 1;

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
	MF_MSG_LRU,
	MF_MSG_UNKNOWN,
};

static void action_result(unsigned long pfn, enum mf_action_page_type type,
			  enum mf_result result)
{
	pr_err("Memory failure: %#lx: recovery action for page type %d: %d\n",
	       pfn, type, result);
}

/**
 * get_hwpoison_page() - pin a page reported bad by the hardware
 * @page:	the page at the reported pfn
 *
 * Return: 1 when we hold a reference on the head of @page's compound
 * page, 0 when the page was free (or changed under us).
 */
int get_hwpoison_page(struct page *page)
{
	struct page *head = compound_head(page);

	/* Split THP cannot be handled here, and hugetlb has its own path */
	if (!PageHuge(head) && PageCompound(head) && !PageAnon(head)) {
		pr_err("Memory failure: %#lx: non anonymous thp\n",
		       page_to_pfn(page));
		return 0;
	}

	if (get_page_unless_zero(head)) {
		if (head == compound_head(page))
			return 1;

		/* The page was split or merged while we looked: give up */
		pr_info("Memory failure: %#lx cannot catch tail\n",
			page_to_pfn(page));
		put_page(head);
	}

	return 0;
}
EXPORT_SYMBOL_GPL(get_hwpoison_page);

/*
 * Only pages on the LRU (user memory) can be unmapped and dropped; for
 * anything else all we can do is to report it.
 */
static int me_pagecache_or_anon(struct page *p, unsigned long pfn)
{
	if (!PageLRU(p)) {
		action_result(pfn, MF_MSG_KERNEL, MF_IGNORED);
		return -EBUSY;
	}
	/* unmap from every process and drop from the page cache */
	action_result(pfn, MF_MSG_LRU, MF_RECOVERED);
	return 0;
}

/**
 * memory_failure - take a bad page out of circulation
 * @pfn: the pfn the hardware reported
 * @trapno: trap number, passed on in the SIGBUS to user space
 * @flags: MF_* flags
 *
 * Must run in process context (the recovery may sleep); machine check
 * handlers queue the work instead of calling it directly.
 */
int memory_failure(unsigned long pfn, int trapno, int flags)
{
	struct page *p;
	struct page *hpage;
	int res;

	if (!sysctl_memory_failure_recovery)
		panic("Memory failure from trap %d on page %lx", trapno, pfn);

	if (!pfn_valid(pfn)) {
		pr_err("Memory failure: %#lx: memory outside kernel control\n",
			pfn);
		return -ENXIO;
	}

	p = pfn_to_page(pfn);
	hpage = compound_head(p);
	if (TestSetPageHWPoison(p)) {
		pr_err("Memory failure: %#lx: already hardware poisoned\n",
			pfn);
		return 0;
	}

	atomic_long_inc(&num_poisoned_pages);

	/*
	 * A free page (count 0) is the easy case: the allocator will see
	 * PG_hwpoison and never hand the page out again. Otherwise hold a
	 * reference so the page cannot be freed and reused while we work.
	 */
	if (!(flags & MF_COUNT_INCREASED) && !get_hwpoison_page(p)) {
		if (is_free_buddy_page(p)) {
			action_result(pfn, MF_MSG_BUDDY, MF_DELAYED);
			return 0;
		}
		action_result(pfn, MF_MSG_KERNEL_HIGH_ORDER, MF_IGNORED);
		return -EBUSY;
	}

	lock_page(hpage);

	/* Unpoisoned while we slept on the lock: nothing left to do */
	if (!PageHWPoison(p)) {
		pr_err("Memory failure: %#lx: just unpoisoned\n", pfn);
		atomic_long_dec(&num_poisoned_pages);
		unlock_page(hpage);
		put_hwpoison_page(hpage);
		return 0;
	}

	res = me_pagecache_or_anon(p, pfn);
	unlock_page(hpage);

	/*
	 * A page we could not isolate goes back to its owner; a recovered
	 * one keeps our reference so that it is never reused.
	 */
	if (res)
		put_hwpoison_page(hpage);
	return res;
}
EXPORT_SYMBOL_GPL(memory_failure);
