/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * jhash.h - Bob Jenkins' lookup3 hash (as in the kernel's jhash.h), for
 * both sides: the datapath hashes flows with it, user space uses it for
 * Maglev permutations and tests use it to predict a flow's backend. Pure
 * functions on host-order words; no includes beyond linux/types.h.
 */
#ifndef BATON_JHASH_H
#define BATON_JHASH_H

#include <linux/types.h>

#define BATON_JHASH_INITVAL 0xdeadbeef

/* BPF calls take at most five arguments: these must always be inlined. */
#define BATON_HASH_FN static inline __attribute__((always_inline))

BATON_HASH_FN __u32 baton_rol32(__u32 w, unsigned int s)
{
	return (w << s) | (w >> ((32 - s) & 31));
}

#define __baton_jhash_mix(a, b, c)                                            \
	do {                                                                   \
		a -= c; a ^= baton_rol32(c, 4);  c += b;                       \
		b -= a; b ^= baton_rol32(a, 6);  a += c;                       \
		c -= b; c ^= baton_rol32(b, 8);  b += a;                       \
		a -= c; a ^= baton_rol32(c, 16); c += b;                       \
		b -= a; b ^= baton_rol32(a, 19); a += c;                       \
		c -= b; c ^= baton_rol32(b, 4);  b += a;                       \
	} while (0)

#define __baton_jhash_final(a, b, c)                                          \
	do {                                                                   \
		c ^= b; c -= baton_rol32(b, 14);                               \
		a ^= c; a -= baton_rol32(c, 11);                               \
		b ^= a; b -= baton_rol32(a, 25);                               \
		c ^= b; c -= baton_rol32(b, 16);                               \
		a ^= c; a -= baton_rol32(c, 4);                                \
		b ^= a; b -= baton_rol32(a, 14);                               \
		c ^= b; c -= baton_rol32(b, 24);                               \
	} while (0)

/* jhash of three words (the kernel's jhash_3words). */
BATON_HASH_FN __u32 baton_jhash_3words(__u32 a, __u32 b, __u32 c, __u32 seed)
{
	a += BATON_JHASH_INITVAL + (3 << 2) + seed;
	b += BATON_JHASH_INITVAL + (3 << 2) + seed;
	c += BATON_JHASH_INITVAL + (3 << 2) + seed;
	__baton_jhash_final(a, b, c);
	return c;
}

/* jhash of four words: mix the first three, fold in the fourth. */
BATON_HASH_FN __u32 baton_jhash_4words(__u32 a, __u32 b, __u32 c, __u32 d,
				       __u32 seed)
{
	__u32 init = BATON_JHASH_INITVAL + (4 << 2) + seed;

	a += init;
	b += init;
	c += init;
	__baton_jhash_mix(a, b, c);
	a += d;
	__baton_jhash_final(a, b, c);
	return c;
}

/*
 * Flow hash used for Maglev: the client tuple as it arrives (addresses and
 * ports in network order, reinterpreted as host words, which is the same on
 * every node of one architecture family; all supported nodes are
 * little-endian).
 */
BATON_HASH_FN __u32 baton_flow_hash_v4(__u32 saddr, __u32 daddr, __u16 sport,
				       __u16 dport, __u8 proto, __u32 seed)
{
	return baton_jhash_4words(saddr, daddr,
				  ((__u32)sport << 16) | dport, proto, seed);
}

#endif /* BATON_JHASH_H */
