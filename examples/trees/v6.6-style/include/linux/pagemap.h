/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_PAGEMAP_H
#define _LINUX_PAGEMAP_H

#include <linux/mm.h>

extern void __folio_lock(struct folio *folio);
extern void folio_unlock(struct folio *folio);

/* Non-blocking attempt at the folio lock; true when we got it. */
static inline bool folio_trylock(struct folio *folio)
{
	return likely(!test_and_set_bit_lock(PG_locked, folio_flags(folio, 0)));
}

static inline bool trylock_page(struct page *page)
{
	return folio_trylock(page_folio(page));
}

/*
 * Sleeping folio lock. The caller keeps the folio alive while it
 * waits, normally by holding a reference.
 */
static inline void folio_lock(struct folio *folio)
{
	might_sleep();
	if (!folio_trylock(folio))
		__folio_lock(folio);
}

static inline void lock_page(struct page *page)
{
	folio_lock(page_folio(page));
}

static inline void unlock_page(struct page *page)
{
	folio_unlock(page_folio(page));
}

#endif /* _LINUX_PAGEMAP_H */
