/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H

#include <linux/errno.h>
#include <linux/mmdebug.h>
#include <linux/mmzone.h>
#include <linux/mm_types.h>
#include <linux/page-flags.h>
#include <linux/page_ref.h>

struct mempolicy;
struct anon_vma;

/*
 * The memory model (asm-generic/memory_model.h) turns a pfn into its
 * struct page; a pfn is only meaningful after pfn_valid().
 */
extern int pfn_valid(unsigned long pfn);
extern struct page *pfn_to_page(unsigned long pfn);
extern unsigned long page_to_pfn(const struct page *page);

/*
 * page->flags layout, from the top bit down:
 * | NODE | ZONE | ... | FLAGS |
 */
#define NODES_WIDTH		6
#define ZONES_WIDTH		3

#define NODES_PGOFF		(BITS_PER_LONG - NODES_WIDTH)
#define ZONES_PGOFF		(NODES_PGOFF - ZONES_WIDTH)

#define NODES_PGSHIFT		(NODES_PGOFF * (NODES_WIDTH != 0))
#define ZONES_PGSHIFT		(ZONES_PGOFF * (ZONES_WIDTH != 0))

#define NODES_MASK		((1UL << NODES_WIDTH) - 1)
#define ZONES_MASK		((1UL << ZONES_WIDTH) - 1)

static inline enum zone_type page_zonenum(const struct page *page)
{
	return (page->flags >> ZONES_PGSHIFT) & ZONES_MASK;
}

static inline int page_to_nid(const struct page *page)
{
	return (page->flags >> NODES_PGSHIFT) & NODES_MASK;
}

static inline struct zone *page_zone(const struct page *page)
{
	return &NODE_DATA(page_to_nid(page))->node_zones[page_zonenum(page)];
}

static inline void set_page_zone(struct page *page, enum zone_type zone)
{
	page->flags &= ~(ZONES_MASK << ZONES_PGSHIFT);
	page->flags |= (zone & ZONES_MASK) << ZONES_PGSHIFT;
}

/*
 * Page usage count.
 *
 * Each user holds one reference: the page cache, page->private data,
 * every page table entry mapping the page, and any code that needs the
 * page to stay put for a while. Zero means free: the page belongs to the
 * allocator and nobody may take a new reference, which is what lets
 * lockless lookups use get_page_unless_zero().
 */

/*
 * Drop one reference; true when it was the last one and the caller must
 * now free the page.
 */
static inline int put_page_testzero(struct page *page)
{
	VM_BUG_ON_PAGE(page_ref_count(page) == 0, page);
	return page_ref_dec_and_test(page);
}

/*
 * Speculative reference for callers that found the page without holding
 * one (pfn walkers, lockless page cache lookups): fails on a free page.
 * The caller must re-check what the page is once it holds the reference.
 */
static inline int get_page_unless_zero(struct page *page)
{
	return page_ref_add_unless(page, 1, 0);
}

void __put_page(struct page *page);

#ifdef CONFIG_ZONE_DEVICE
static inline bool is_zone_device_page(const struct page *page)
{
	return page_zonenum(page) == ZONE_DEVICE;
}
#else
static inline bool is_zone_device_page(const struct page *page)
{
	return false;
}
#endif

static inline void get_page(struct page *page)
{
	page = compound_head(page);
	/*
	 * get_page() only adds to a count someone already holds; to get
	 * a reference from nothing use get_page_unless_zero().
	 */
	VM_BUG_ON_PAGE(page_ref_count(page) <= 0, page);
	page_ref_inc(page);
}

static inline void put_page(struct page *page)
{
	page = compound_head(page);

	if (put_page_testzero(page))
		__put_page(page);
}

extern void free_hot_cold_page(struct page *page, bool cold);
extern void free_compound_page(struct page *page);

#ifdef CONFIG_MEMORY_FAILURE
extern int memory_failure(unsigned long pfn, int trapno, int flags);
extern int get_hwpoison_page(struct page *page);
#define put_hwpoison_page(page)	put_page(page)
extern int sysctl_memory_failure_recovery;
#endif

#endif /* _LINUX_MM_H */
