/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LINUX_MEMORY_HOTPLUG_H
#define __LINUX_MEMORY_HOTPLUG_H

struct page;

/*
 * The struct page of @pfn if its memory section is online (ordinary
 * RAM the kernel manages), NULL otherwise. ZONE_DEVICE sections are
 * never online, so pfn walkers that start here never see device pages.
 */
extern struct page *pfn_to_online_page(unsigned long pfn);

#endif /* __LINUX_MEMORY_HOTPLUG_H */
