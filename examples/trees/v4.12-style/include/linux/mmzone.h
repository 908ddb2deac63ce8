/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MMZONE_H
#define _LINUX_MMZONE_H

#include <linux/types.h>
#include <linux/spinlock.h>

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
	 * Device memory (persistent memory, device-hosted memory) with a
	 * struct page but never handed to the page allocator.
	 */
	ZONE_DEVICE,
#endif
	__MAX_NR_ZONES
};

#define MAX_NR_ZONES	__MAX_NR_ZONES

/* How reclaim and compaction may isolate pages from an LRU list */
typedef unsigned int isolate_mode_t;

#define ISOLATE_UNMAPPED	((isolate_mode_t)0x2)
#define ISOLATE_ASYNC_MIGRATE	((isolate_mode_t)0x4)

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
	/* Protects the LRU lists of every zone on this node */
	spinlock_t	lru_lock;
} pg_data_t;

extern struct pglist_data *node_data[];
#define NODE_DATA(nid)		(node_data[(nid)])

static inline spinlock_t *zone_lru_lock(struct zone *zone)
{
	return &zone->zone_pgdat->lru_lock;
}

#endif /* _LINUX_MMZONE_H */
