/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * csum.h - one's complement arithmetic for incremental checksum updates
 * (RFC 1624). Values are taken as they lie in memory: one's complement sums
 * do not care about byte order as long as every term is read the same way.
 */
#ifndef BATON_LIB_CSUM_H
#define BATON_LIB_CSUM_H

#include <linux/types.h>

static __always_inline __u32 csum_add32(__u32 a, __u32 b)
{
	a += b;
	return a + (a < b);
}

/* The partial sum that turns a checksum over `from` into one over `to`. */
static __always_inline __u32 csum_diff32(__u32 from, __u32 to)
{
	return csum_add32(~from, to);
}

static __always_inline __u16 csum_fold32(__u32 c)
{
	c = (c & 0xffff) + (c >> 16);
	c = (c & 0xffff) + (c >> 16);
	return (__u16)c;
}

/* Apply a partial-sum difference to a complete 16-bit checksum. */
static __always_inline __u16 csum_apply(__u16 check, __u32 diff)
{
	return ~csum_fold32(csum_add32((__u16)~check, diff));
}

#endif /* BATON_LIB_CSUM_H */
