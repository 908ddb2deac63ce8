/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_PAGEMAP_H
#define _LINUX_PAGEMAP_H

#include <linux/mm.h>

extern void __lock_page(struct page *page);
extern void unlock_page(struct page *page);

/* Non-blocking attempt at the page lock; true when we got it. */
static inline int trylock_page(struct page *page)
{
	page = compound_head(page);
	return (likely(!test_and_set_bit_lock(PG_locked, &page->flags)));
}

/*
 * Sleeping page lock. The caller keeps the page (and its mapping) alive
 * while it waits, normally by holding a reference.
 */
static inline void lock_page(struct page *page)
{
	might_sleep();
	if (!trylock_page(page))
		__lock_page(page);
}

#endif /* _LINUX_PAGEMAP_H */
