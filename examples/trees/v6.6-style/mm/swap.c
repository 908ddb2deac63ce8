// SPDX-License-Identifier: GPL-2.0
/*
 *  linux/mm/swap.c
 *
 * The final put of a folio: take it off the LRU and give it back to
 * the page allocator, or to its device.
 */

#include <linux/mm.h>
#include <linux/memremap.h>
#include <linux/spinlock.h>

extern struct lruvec *folio_lruvec_lock_irqsave(struct folio *folio,
						unsigned long *flags);
extern void unlock_page_lruvec_irqrestore(struct lruvec *lruvec,
					  unsigned long flags);

/*
 * A folio reaching refcount zero may still be on an LRU list if the
 * last reference was the one the LRU lookup took; unlink it first.
 */
static void __page_cache_release(struct folio *folio)
{
	if (folio_test_lru(folio)) {
		struct lruvec *lruvec;
		unsigned long flags;

		lruvec = folio_lruvec_lock_irqsave(folio, &flags);
		list_del(&folio->lru);
		folio_clear_lru(folio);
		unlock_page_lruvec_irqrestore(lruvec, flags);
	}
}

static void __folio_put_small(struct folio *folio)
{
	__page_cache_release(folio);
	free_unref_page(&folio->page, 0);
}

static void __folio_put_large(struct folio *folio)
{
	/* hugetlb folios are never on an LRU */
	if (!folio_test_hugetlb(folio))
		__page_cache_release(folio);
	free_unref_page(&folio->page, 1);
}

/*
 * Called once a folio's count has reached zero: nobody else can find
 * it any more except a speculative lookup, which fails on a zero count.
 */
void __folio_put(struct folio *folio)
{
	if (unlikely(folio_is_zone_device(folio))) {
		free_zone_device_page(&folio->page);
		return;
	}

	if (unlikely(folio_test_large(folio)))
		__folio_put_large(folio);
	else
		__folio_put_small(folio);
}
EXPORT_SYMBOL(__folio_put);
