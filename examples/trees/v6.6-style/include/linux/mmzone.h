/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MMZONE_H
#define _LINUX_MMZONE_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/mm_types.h>

enum zone_type {
#ifdef CONFIG_ZONE_DMA
	ZONE_DMA,
#endif
#ifdef CONFIG_ZONE_DMA32
	ZONE_DMA32,
#endif
	ZONE_NORMAL,
#ifdef CONFIG_HIGHMEM
	ZONE_HIGHMEM,
#endif
	ZONE_MOVABLE,
#ifdef CONFIG_ZONE_DEVICE
	/*
	 * Device memory (persistent memory, device private memory, PCI
	 * BARs) with a struct page but never handed to the page allocator.
	 * Its sections are never online: pfn_to_online_page() returns NULL
	 * for them.
	 */
	ZONE_DEVICE,
#endif
	__MAX_NR_ZONES
};

#define MAX_NR_ZONES	__MAX_NR_ZONES

struct pglist_data;

struct zone {
	unsigned long		zone_start_pfn;
	unsigned long		spanned_pages;
	struct pglist_data	*zone_pgdat;
	const char		*name;
	/* free area lists of the buddy allocator */
	spinlock_t		lock;
};

typedef struct pglist_data {
	struct zone	node_zones[MAX_NR_ZONES];
	int		nr_zones;
	int		node_id;
} pg_data_t;

/* The LRU lists of one memcg on one node, and the lock protecting them */
struct lruvec {
	struct list_head	lists[5];
	spinlock_t		lru_lock;
};

extern struct pglist_data *node_data[];
#define NODE_DATA(nid)		(node_data[(nid)])

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

static inline enum zone_type folio_zonenum(const struct folio *folio)
{
	return page_zonenum(&folio->page);
}

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

static inline bool folio_is_zone_device(const struct folio *folio)
{
	return is_zone_device_page(&folio->page);
}

#endif /* _LINUX_MMZONE_H */
