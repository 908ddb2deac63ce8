/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H

#include <linux/errno.h>
#include <linux/mmdebug.h>
#include <linux/mmzone.h>
#include <linux/memory_hotplug.h>
#include <linux/mm_types.h>
#include <linux/page-flags.h>
#include <linux/page_ref.h>
#include <linux/memremap.h>

/*
 * The memory model (asm-generic/memory_model.h) turns a pfn into its
 * struct page; a pfn is only meaningful after pfn_valid().
 */
extern int pfn_valid(unsigned long pfn);
extern struct page *pfn_to_page(unsigned long pfn);
extern unsigned long page_to_pfn(const struct page *page);

static inline unsigned long folio_pfn(struct folio *folio)
{
	return page_to_pfn(&folio->page);
}

static inline void set_page_zone(struct page *page, enum zone_type zone)
{
	page->flags &= ~(ZONES_MASK << ZONES_PGSHIFT);
	page->flags |= (zone & ZONES_MASK) << ZONES_PGSHIFT;
}

/*
 * Page usage count.
 *
 * Each user holds one reference: the page cache, private data, every
 * page table entry mapping the folio, a GUP pin, and any code that
 * needs the folio to stay put for a while. Zero means free: nobody may
 * take a new reference, which is what lets lockless lookups use
 * folio_try_get(). This holds for ZONE_DEVICE folios too.
 */

/*
 * Drop one reference; true when it was the last one and the caller must
 * now free the folio.
 */
static inline int folio_put_testzero(struct folio *folio)
{
	VM_BUG_ON_FOLIO(folio_ref_count(folio) == 0, folio);
	return folio_ref_dec_and_test(folio);
}

static inline int put_page_testzero(struct page *page)
{
	return folio_put_testzero(page_folio(page));
}

/*
 * Speculative reference for callers that found the page without
 * holding one: fails on a free page.
 */
static inline bool get_page_unless_zero(struct page *page)
{
	return page_ref_add_unless(page, 1, 0);
}

void __folio_put(struct folio *folio);

/**
 * folio_get - Increment the reference count on a folio.
 * @folio: The folio.
 *
 * Only adds to a count the caller already holds a share of; to get a
 * reference from nothing, use folio_try_get().
 */
static inline void folio_get(struct folio *folio)
{
	VM_BUG_ON_FOLIO(folio_ref_count(folio) <= 0, folio);
	folio_ref_inc(folio);
}

static inline void get_page(struct page *page)
{
	folio_get(page_folio(page));
}

/**
 * folio_put - Decrement the reference count on a folio.
 * @folio: The folio.
 *
 * When the last reference is dropped the folio is freed: given back to
 * the page allocator, or for ZONE_DEVICE folios to the page map's
 * owner through free_zone_device_page().
 *
 * Does not sleep; callable under a spinlock.
 */
static inline void folio_put(struct folio *folio)
{
	if (folio_put_testzero(folio))
		__folio_put(folio);
}

/**
 * folio_put_refs - Reduce the reference count on a folio.
 * @folio: The folio.
 * @refs: How many of the caller's references to drop.
 *
 * Like folio_put(), for callers holding several references at once
 * (GUP pins are counted in bulk).
 */
static inline void folio_put_refs(struct folio *folio, int refs)
{
	if (folio_ref_sub_and_test(folio, refs))
		__folio_put(folio);
}

static inline void put_page(struct page *page)
{
	struct folio *folio = page_folio(page);

	folio_put(folio);
}

void free_zone_device_page(struct page *page);

extern void free_unref_page(struct page *page, unsigned int order);

#ifdef CONFIG_MEMORY_FAILURE
extern int memory_failure(unsigned long pfn, int flags);
extern int get_hwpoison_page(struct page *page);
#endif

#endif /* _LINUX_MM_H */
