/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_MIGRATE_H
#define _LINUX_MIGRATE_H

int migrate_device_range(unsigned long *src_pfns, unsigned long start,
			 unsigned long npages);
void migrate_device_finalize(unsigned long *src_pfns, unsigned long npages);

#endif /* _LINUX_MIGRATE_H */
