/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LINUX_COMPILER_H
#define __LINUX_COMPILER_H

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#define __always_inline	inline __attribute__((always_inline))

/*
 * A single, untorn access the compiler may neither merge nor repeat;
 * the architecture provides the volatile access behind it.
 */
#define READ_ONCE(x)		__read_once(&(x))
#define WRITE_ONCE(x, val)	__write_once(&(x), (val))

#endif /* __LINUX_COMPILER_H */
