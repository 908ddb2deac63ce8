// SPDX-License-Identifier: GPL-2.0-only
/*
 * get_user_pages() references: FOLL_GET takes a plain reference,
 * FOLL_PIN a pin, counted as GUP_PIN_COUNTING_BIAS references on a
 * small folio so that pinned folios can be told from merely referenced
 * ones.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>

#define FOLL_GET		0x01
#define FOLL_PIN		0x02

#define GUP_PIN_COUNTING_BIAS	(1U << 10)

/*
 * Take the reference GUP hands to its caller on a page it found mapped
 * (the page table's reference keeps the count above zero).
 */
int __must_check try_grab_page(struct page *page, unsigned int flags)
{
	struct folio *folio = page_folio(page);

	if (WARN_ON_ONCE(folio_ref_count(folio) <= 0))
		return -ENOMEM;

	if (flags & FOLL_GET)
		folio_ref_inc(folio);
	else if (flags & FOLL_PIN)
		folio_ref_add(folio, GUP_PIN_COUNTING_BIAS);

	return 0;
}

static void gup_put_folio(struct folio *folio, int refs, unsigned int flags)
{
	if (flags & FOLL_PIN)
		refs *= GUP_PIN_COUNTING_BIAS;

	folio_put_refs(folio, refs);
}

/**
 * unpin_user_page() - release a dma-pinned page
 * @page:            pointer to page to be released
 *
 * Pages pinned with pin_user_pages*() must be released with this, not
 * with put_page().
 */
void unpin_user_page(struct page *page)
{
	gup_put_folio(page_folio(page), 1, FOLL_PIN);
}
EXPORT_SYMBOL(unpin_user_page);
