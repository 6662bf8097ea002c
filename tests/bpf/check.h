/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * check.h - kernel-selftest-style assertions. Each ASSERT_* evaluates to a
 * bool (true when it held) and prints what it compared when it did not, so
 * a caller writes `if (!ASSERT_EQ(a, b, "what")) goto out;`.
 *
 * check_ctx names where we are (test and row) for the failure messages.
 */
#ifndef BATON_TEST_CHECK_H
#define BATON_TEST_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pktgen.h"

extern char check_ctx[160];

#define CHECK_FAIL_HDR(what)                                                   \
	fprintf(stderr, "    %s:%d: %s: %s\n", __FILE__, __LINE__, check_ctx,  \
		(what))

#define ASSERT_EQ(actual, expected, what)                                      \
	({                                                                     \
		long long __a = (long long)(actual);                           \
		long long __e = (long long)(expected);                         \
		bool __ok = __a == __e;                                        \
		if (!__ok) {                                                   \
			CHECK_FAIL_HDR(what);                                  \
			fprintf(                                               \
			    stderr,                                            \
			    "      got %lld (0x%llx), want %lld (0x%llx)\n",   \
			    __a, (unsigned long long)__a, __e,                 \
			    (unsigned long long)__e);                          \
		}                                                              \
		__ok;                                                          \
	})

#define ASSERT_TRUE(cond, what)                                                \
	({                                                                     \
		bool __ok = !!(cond);                                          \
		if (!__ok) {                                                   \
			CHECK_FAIL_HDR(what);                                  \
			fprintf(stderr, "      false: %s\n", #cond);           \
		}                                                              \
		__ok;                                                          \
	})

#define ASSERT_OK(err, what)                                                   \
	({                                                                     \
		long long __r = (long long)(err);                              \
		bool __ok = __r == 0;                                          \
		if (!__ok) {                                                   \
			CHECK_FAIL_HDR(what);                                  \
			fprintf(stderr, "      error %lld (%s)\n", __r,        \
				strerror(__r < 0 ? (int)-__r : (int)__r));     \
		}                                                              \
		__ok;                                                          \
	})

/* Byte-exact packet compare with a side-by-side hex diff on mismatch. */
#define ASSERT_PKT_EQ(got, want, what)                                         \
	({                                                                     \
		const struct pkt *__g = (got), *__w = (want);                  \
		bool __ok = __g->len == __w->len &&                            \
			    !memcmp(__g->data, __w->data, __g->len);           \
		if (!__ok) {                                                   \
			CHECK_FAIL_HDR(what);                                  \
			pkt_hexdiff(__g, __w);                                 \
		}                                                              \
		__ok;                                                          \
	})

/* Byte-exact compare of two objects of one type, with a hex diff. */
void check_memdiff(const void *got, const void *want, size_t len);
#define ASSERT_MEM_EQ(got, want, len, what)                                    \
	({                                                                     \
		bool __ok = !memcmp((got), (want), (len));                     \
		if (!__ok) {                                                   \
			CHECK_FAIL_HDR(what);                                  \
			check_memdiff((got), (want), (len));                   \
		}                                                              \
		__ok;                                                          \
	})

#endif /* BATON_TEST_CHECK_H */
