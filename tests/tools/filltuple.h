/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * filltuple.h - the client tuple of flow i of a fill: ct-fill (Baton's
 * ct_v4_map) and nfct-fill (the kernel's conntrack) write the same flows,
 * so that the sync comparison moves the same tables.
 *
 * Flow i comes from 10.64.0.0 + i / 60000, port 1024 + i % 60000.
 */
#ifndef BATON_TESTS_FILLTUPLE_H
#define BATON_TESTS_FILLTUPLE_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#define FILL_CLIENT_BASE	0x0a400000u	/* 10.64.0.0 */
#define FILL_PORTS_PER_IP	60000u
#define FILL_PORT_MIN		1024u
/* Flows a fill can number (start + N at most). */
#define FILL_MAX_FLOWS		((uint64_t)FILL_PORTS_PER_IP * 65536)

/* Client address and port of flow i, host order. */
static inline uint32_t fill_client_addr(uint64_t i)
{
	return FILL_CLIENT_BASE + (uint32_t)(i / FILL_PORTS_PER_IP);
}

static inline uint16_t fill_client_port(uint64_t i)
{
	return (uint16_t)(FILL_PORT_MIN + i % FILL_PORTS_PER_IP);
}

/* A fill tool's number argument (decimal, or 0x hex): 0, or -1 if it is
 * not one or above max. */
static inline int fill_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > max || *s == '-')
		return -1;
	*out = v;
	return 0;
}

#endif /* BATON_TESTS_FILLTUPLE_H */
