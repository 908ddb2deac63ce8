/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_ATOMIC_H
#define _LINUX_ATOMIC_H

#include <linux/types.h>

/*
 * The operations themselves come from the architecture (asm/atomic.h).
 * Every one of them is a single indivisible read-modify-write; the ones
 * returning a value are fully ordered.
 */
extern int atomic_read(const atomic_t *v);
extern void atomic_set(atomic_t *v, int i);
extern void atomic_add(int i, atomic_t *v);
extern void atomic_sub(int i, atomic_t *v);
extern void atomic_inc(atomic_t *v);
extern void atomic_dec(atomic_t *v);
extern int atomic_sub_and_test(int i, atomic_t *v);
extern int atomic_dec_and_test(atomic_t *v);
extern int atomic_inc_and_test(atomic_t *v);
extern int atomic_add_return(int i, atomic_t *v);
extern int atomic_sub_return(int i, atomic_t *v);
extern int atomic_inc_return(atomic_t *v);
extern int atomic_dec_return(atomic_t *v);
extern int atomic_cmpxchg(atomic_t *v, int old, int new);

/*
 * Add @a to @v unless @v was already @u; returns non-zero when the
 * addition was done.
 */
extern int atomic_add_unless(atomic_t *v, int a, int u);

#endif /* _LINUX_ATOMIC_H */
