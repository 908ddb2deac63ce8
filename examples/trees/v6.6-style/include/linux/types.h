/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_TYPES_H
#define _LINUX_TYPES_H

#define BITS_PER_LONG		64

typedef _Bool			bool;
typedef unsigned long		pgoff_t;
typedef long long		loff_t;
typedef unsigned long		size_t;
typedef long			ssize_t;
typedef unsigned long long	phys_addr_t;
typedef phys_addr_t		resource_size_t;
typedef unsigned int		gfp_t;

enum {
	false	= 0,
	true	= 1
};

#define NULL ((void *)0)

typedef struct {
	int counter;
} atomic_t;

struct list_head {
	struct list_head *next, *prev;
};

struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

#endif /* _LINUX_TYPES_H */
