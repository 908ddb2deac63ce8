/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MM_TYPES_H
#define _LINUX_MM_TYPES_H

#include <linux/types.h>
#include <linux/spinlock.h>

struct address_space;
struct dev_pagemap;

/*
 * One struct page per physical page frame, shared by whoever can find
 * the page: its owner, the LRU, rmap, and any pfn walker. Which member
 * of the unions is live depends on what the page is used for.
 */
struct page {
	unsigned long flags;		/* Atomic flags, some updated asynchronously */
	union {
		struct {	/* Page cache and anonymous pages */
			/* On an LRU list, under the lruvec's lru_lock */
			struct list_head lru;
			struct address_space *mapping;
			pgoff_t index;		/* offset within mapping */
			unsigned long private;
		};
		struct {	/* ZONE_DEVICE pages */
			/* The page map of the device hosting the page */
			struct dev_pagemap *pgmap;
			/* For the driver: free lists and the like */
			void *zone_device_data;
		};
		struct {	/* Tail pages of compound page */
			unsigned long compound_head;	/* Bit zero is set */
		};
		struct rcu_head rcu_head;
	};

	/* Number of ptes mapping the page, minus one */
	atomic_t _mapcount;

	/*
	 * Usage count: go through the helpers in page_ref.h, never touch
	 * it directly.
	 */
	atomic_t _refcount;

	unsigned long memcg_data;
};

/**
 * struct folio - Represents a contiguous set of bytes.
 * @flags: Identical to the page flags.
 * @lru: On an LRU list, under the lruvec's lru_lock.
 * @pgmap: ZONE_DEVICE folios: the page map of the device.
 * @mapping: The file this page belongs to, or the anon_vma.
 * @index: Offset within the file, in units of pages.
 * @private: Filesystem per-folio data.
 * @_mapcount: Do not access directly, use folio_mapcount().
 * @_refcount: Do not access directly, use folio_ref_count().
 *
 * A folio is a head page (or a single page) seen as the whole
 * allocation: a pointer to a folio is never a pointer to a tail page.
 * It overlays struct page word for word.
 */
struct folio {
	union {
		struct {
			unsigned long flags;
			union {
				struct list_head lru;
				struct {
					struct dev_pagemap *pgmap;
					void *zone_device_data;
				};
			};
			struct address_space *mapping;
			pgoff_t index;
			unsigned long private;
			atomic_t _mapcount;
			atomic_t _refcount;
			unsigned long memcg_data;
		};
		struct page page;
	};
};

#endif /* _LINUX_MM_TYPES_H */
