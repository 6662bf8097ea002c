// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nfct-fill - create N established DNAT entries in the kernel's conntrack
 * table (of the network namespace it runs in), as nftables DNAT would have
 * made them for a service with two backends: the classic stack's side of
 * the sync comparison (tests/bench/sync_compare.sh), the counterpart of
 * tests/tools/ct-fill for Baton's ct_v4_map.
 *
 *   nfct-fill N [--vip IP] [--port P] [--backend IP:PORT]... [--start I]
 *               [--timeout S]
 *
 * Flow i (from --start, default 0) comes from client 10.64.0.0 + i / 60000,
 * port 1024 + i % 60000 - the same tuples ct-fill writes - to VIP:PORT
 * (default 10.0.0.100:80) over TCP, DNATed to the backends in turn (default
 * 10.1.0.11:8080 and 10.1.0.12:8080): state ESTABLISHED, seen reply,
 * assured, timeout S (default 3600). One ctnetlink request per entry
 * (libnetfilter_conntrack), acknowledged.
 *
 * Prints one JSON line: entries created, time taken. Exit 0 ok, 1 on error
 * (what was created so far stays; the kernel's limit is
 * net.netfilter.nf_conntrack_max), 2 bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include "filltuple.h"

#define MAX_BACKENDS	16

struct backend {
	uint32_t addr;		/* network order */
	uint16_t port;		/* network order */
};

static void usage(void)
{
	fprintf(stderr, "usage: nfct-fill N [--vip IP] [--port P] "
			"[--backend IP:PORT]... [--start I] [--timeout S]\n");
}

static int parse_backend(const char *s, struct backend *b)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	struct in_addr a;
	uint64_t port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (inet_pton(AF_INET, host, &a) != 1 ||
	    fill_parse_u64(colon + 1, 65535, &port) || !port)
		return -1;
	b->addr = a.s_addr;
	b->port = htons((uint16_t)port);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Entry i of the fill, to backend b. */
static void make_entry(struct nf_conntrack *ct, uint32_t i, uint32_t vip,
		       uint16_t vport, const struct backend *b,
		       uint32_t timeout)
{
	uint32_t client = htonl(fill_client_addr(i));
	uint16_t sport = htons(fill_client_port(i));

	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u32(ct, ATTR_IPV4_SRC, client);
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, vip);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, sport);
	nfct_set_attr_u16(ct, ATTR_PORT_DST, vport);
	/* The reply comes from the backend: what DNAT makes of the tuple. */
	nfct_set_attr_u8(ct, ATTR_REPL_L3PROTO, AF_INET);
	nfct_set_attr_u8(ct, ATTR_REPL_L4PROTO, IPPROTO_TCP);
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_SRC, b->addr);
	nfct_set_attr_u32(ct, ATTR_REPL_IPV4_DST, client);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_SRC, b->port);
	nfct_set_attr_u16(ct, ATTR_REPL_PORT_DST, sport);
	nfct_set_attr_u32(ct, ATTR_DNAT_IPV4, b->addr);
	nfct_set_attr_u16(ct, ATTR_DNAT_PORT, b->port);
	nfct_set_attr_u8(ct, ATTR_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
	nfct_set_attr_u32(ct, ATTR_STATUS, IPS_SEEN_REPLY | IPS_ASSURED);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, timeout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vip", required_argument, NULL, 'v' },
		{ "port", required_argument, NULL, 'p' },
		{ "backend", required_argument, NULL, 'b' },
		{ "start", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct backend be[MAX_BACKENDS];
	uint64_t n, start = 0, timeout = 3600, port = 80;
	uint32_t nbe = 0, done = 0;
	struct in_addr vip = { .s_addr = htonl(0x0a000064u) };
	struct nfct_handle *h;
	struct nf_conntrack *ct;
	double t0, dt;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (inet_pton(AF_INET, optarg, &vip) != 1)
				goto bad;
			break;
		case 'p':
			if (fill_parse_u64(optarg, 65535, &port) || !port)
				goto bad;
			break;
		case 'b':
			if (nbe == MAX_BACKENDS || parse_backend(optarg, &be[nbe]))
				goto bad;
			nbe++;
			break;
		case 's':
			if (fill_parse_u64(optarg, UINT32_MAX, &start))
				goto bad;
			break;
		case 't':
			if (fill_parse_u64(optarg, 86400 * 365, &timeout) ||
			    !timeout)
				goto bad;
			break;
		default:
			goto bad;
		}
	}
	if (optind != argc - 1 || fill_parse_u64(argv[optind], 16000000, &n) ||
	    !n)
		goto bad;
	if (start + n > FILL_MAX_FLOWS) {
		fprintf(stderr, "nfct-fill: --start + N past the client range\n");
		return 2;
	}
	if (!nbe) {
		parse_backend("10.1.0.11:8080", &be[nbe++]);
		parse_backend("10.1.0.12:8080", &be[nbe++]);
	}

	h = nfct_open(CONNTRACK, 0);
	if (!h) {
		fprintf(stderr, "nfct-fill: ctnetlink: %s\n", strerror(errno));
		return 1;
	}
	ct = nfct_new();
	if (!ct) {
		fprintf(stderr, "nfct-fill: out of memory\n");
		nfct_close(h);
		return 1;
	}
	t0 = now_s();
	for (uint32_t i = (uint32_t)start; i < start + n; i++) {
		make_entry(ct, i, vip.s_addr, htons((uint16_t)port),
			   &be[i % nbe], (uint32_t)timeout);
		if (nfct_query(h, NFCT_Q_CREATE, ct) < 0) {
			fprintf(stderr, "nfct-fill: entry %u: %s%s\n", i,
				strerror(errno),
				errno == ENOMEM || errno == ENOSPC
					? " (net.netfilter.nf_conntrack_max?)"
					: "");
			rc = 1;
			break;
		}
		done++;
	}
	dt = now_s() - t0;
	printf("{\"created\":%u,\"seconds\":%.3f,\"per_s\":%.0f}\n", done, dt,
	       dt > 0 ? done / dt : 0.0);
	nfct_destroy(ct);
	nfct_close(h);
	return rc;
bad:
	usage();
	return 2;
}
