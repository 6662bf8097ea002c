// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ct-fill - write N established DNAT conntrack pairs straight into a pinned
 * ct_v4_map, as the datapath would have created them for a configured
 * service: the sync benchmark's and tests' way to give a node a large
 * table without a million real connections.
 *
 *   ct-fill PIN_DIR N [--vip IP] [--port P] [--owner ID] [--start I]
 *                     [--batch B]
 *
 * The service (default 10.0.0.100:80/tcp) must exist in PIN_DIR/nat_v4_map
 * with mode dnat; its active backends (PIN_DIR/lb_v4_map) take the flows in
 * turn. Flow i (from --start, default 0) comes from client
 * 10.64.0.0 + i / 60000, port 1024 + i % 60000, so fills with disjoint
 * ranges add up. Both halves carry the datapath's fields: keys, peer,
 * nat_*, vip, mode, dir, state ESTABLISHED, svc_id/be_id of this node,
 * owner (default: the node's id from PIN_DIR/baton_cfg) and epoch (from
 * baton_cfg), created/last seen now. They are not counted in be_stats_map
 * (no CT_F_COUNTED), so the GC's accounting stays right when they go.
 * Written with bpf_map_update_batch, B entries (default 8192) at a time.
 *
 * Prints one line: pairs and entries written, time taken. Exit 0 ok, 1 on
 * error (what was written so far stays), 2 bad usage.
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
#include <unistd.h>

#include <bpf/bpf.h>

#include "baton.h"
#include "filltuple.h"
#include "flow.h"


struct target {
	uint16_t svc_id;
	uint32_t vip;		/* network order */
	uint16_t vport;		/* network order */
	uint32_t owner, epoch;
	uint32_t nbe;
	uint16_t be_id[BATON_MAX_BACKENDS];
	struct lb_v4_backend be[BATON_MAX_BACKENDS];
};

static uint64_t now_coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int open_pin(const char *dir, const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "ct-fill: open %s: %s\n", path,
			strerror(errno));
	return fd;
}

/* The service and its active backends, from the pinned maps. */
static int load_target(const char *dir, uint32_t vip, uint16_t port,
		       struct target *t)
{
	struct nat_v4_key nk = { .vip = vip, .port = port,
				 .proto = IPPROTO_TCP };
	struct lb_v4_table *tab;
	struct nat_v4_svc svc;
	struct baton_cfg cfg;
	uint32_t zero = 0, idx;
	int nat_fd, lb_fd, cfg_fd, ret = -1;

	nat_fd = open_pin(dir, "nat_v4_map");
	lb_fd = open_pin(dir, "lb_v4_map");
	cfg_fd = open_pin(dir, "baton_cfg");
	tab = calloc(1, sizeof(*tab));
	if (nat_fd < 0 || lb_fd < 0 || cfg_fd < 0 || !tab)
		goto out;
	if (bpf_map_lookup_elem(cfg_fd, &zero, &cfg)) {
		fprintf(stderr, "ct-fill: read baton_cfg: %s\n",
			strerror(errno));
		goto out;
	}
	t->owner = cfg.node_id;
	t->epoch = cfg.epoch;
	if (bpf_map_lookup_elem(nat_fd, &nk, &svc)) {
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &vip, ip, sizeof(ip));
		fprintf(stderr, "ct-fill: no service %s:%u/tcp in %s/nat_v4_map\n",
			ip, ntohs(port), dir);
		goto out;
	}
	if (svc.mode != BATON_MODE_DNAT) {
		fprintf(stderr, "ct-fill: the service's mode is %u, not dnat\n",
			svc.mode);
		goto out;
	}
	idx = baton_lb_index(svc.svc_id, svc.slot);
	if (bpf_map_lookup_elem(lb_fd, &idx, tab)) {
		fprintf(stderr, "ct-fill: read lb_v4_map[%u]: %s\n", idx,
			strerror(errno));
		goto out;
	}
	t->svc_id = svc.svc_id;
	t->vip = vip;
	t->vport = port;
	t->nbe = 0;
	for (uint32_t i = 0; i < tab->nbe && i < BATON_MAX_BACKENDS; i++) {
		if (!(tab->be[i].flags & BE_F_ACTIVE))
			continue;
		t->be_id[t->nbe] = (uint16_t)i;
		t->be[t->nbe++] = tab->be[i];
	}
	if (!t->nbe) {
		fprintf(stderr, "ct-fill: the service has no active backend\n");
		goto out;
	}
	ret = 0;
out:
	free(tab);
	if (nat_fd >= 0)
		close(nat_fd);
	if (lb_fd >= 0)
		close(lb_fd);
	if (cfg_fd >= 0)
		close(cfg_fd);
	return ret;
}

/* Flow i, ESTABLISHED, built by the code sync uses to rebuild a peer's
 * flows exactly as the datapath's slow path does (sync/flow.c), but as
 * this node's own: CT_F_REMOTE cleared (not counted on a backend). */
static void make_pair(const struct target *t, uint64_t i, uint64_t now,
		      struct ct_v4_key *fk, struct ct_v4_entry *fwd,
		      struct ct_v4_key *rk, struct ct_v4_entry *rev)
{
	uint32_t b = (uint32_t)(i % t->nbe);
	const struct lb_v4_backend *be = &t->be[b];
	struct bsync_flow f = {
		.proto = IPPROTO_TCP,
		.mode = BATON_MODE_DNAT,
		.state = CT_STATE_ESTABLISHED,
		.epoch = t->epoch,
		.caddr = fill_client_addr(i),
		.cport = fill_client_port(i),
		.vip = ntohl(t->vip),
		.vport = ntohs(t->vport),
		.baddr = ntohl(be->addr),
		.bport = ntohs(be->port),
	};

	if (bsync_flow_to_ct(&f, t->owner, t->svc_id, t->be_id[b], false, now,
			     fk, fwd, rk, rev) != 1)
		abort();	/* the service read from the node is invalid */
	fwd->flags &= ~CT_F_REMOTE;
	rev->flags &= ~CT_F_REMOTE;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ct-fill PIN_DIR N [--vip IP] [--port P] "
		   "[--owner ID] [--start I] [--batch B]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vip", required_argument, NULL, 'v' },
		{ "port", required_argument, NULL, 'p' },
		{ "owner", required_argument, NULL, 'o' },
		{ "start", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	uint64_t n, start = 0, batch = 8192, owner = 0, port = 80, v;
	struct ct_v4_entry *vals;
	struct ct_v4_key *keys;
	struct target t;
	struct in_addr vip = { .s_addr = htonl(0x0a000064) };
	uint64_t now, done = 0;
	double t0;
	int c, ct_fd;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (inet_pton(AF_INET, optarg, &vip) != 1)
				goto bad;
			break;
		case 'p':
			if (fill_parse_u64(optarg, 65535, &port) || !port)
				goto bad;
			break;
		case 'o':
			if (fill_parse_u64(optarg, UINT32_MAX, &owner) || !owner)
				goto bad;
			break;
		case 's':
			if (fill_parse_u64(optarg, 1ull << 40, &start))
				goto bad;
			break;
		case 'b':
			if (fill_parse_u64(optarg, 1u << 20, &batch) || batch < 2)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (argc - optind != 2 || fill_parse_u64(argv[optind + 1], 1ull << 32, &n))
		goto bad;
	if (start + n > FILL_MAX_FLOWS) {
		fprintf(stderr, "ct-fill: more flows than client tuples\n");
		return 2;
	}
	batch &= ~1ull;		/* whole pairs per batch */

	if (load_target(argv[optind], vip.s_addr, htons((uint16_t)port), &t))
		return 1;
	if (owner)
		t.owner = (uint32_t)owner;
	ct_fd = open_pin(argv[optind], "ct_v4_map");
	keys = calloc(batch, sizeof(*keys));
	vals = calloc(batch, sizeof(*vals));
	if (ct_fd < 0 || !keys || !vals)
		return 1;

	now = now_coarse_ns();
	t0 = now_ms();
	while (done < n) {
		uint32_t cnt = 0;
		__u32 c32;

		while (cnt + 2 <= batch && done + cnt / 2 < n) {
			make_pair(&t, start + done + cnt / 2, now, &keys[cnt],
				  &vals[cnt], &keys[cnt + 1], &vals[cnt + 1]);
			cnt += 2;
		}
		c32 = cnt;
		if (bpf_map_update_batch(ct_fd, keys, vals, &c32, &bo)) {
			fprintf(stderr, "ct-fill: update batch after %llu pairs "
				"(%u of %u written): %s\n",
				(unsigned long long)done, c32, cnt,
				strerror(errno));
			return 1;
		}
		done += cnt / 2;
	}
	v = (uint64_t)(now_ms() - t0);
	printf("ct-fill: %llu pairs (%llu entries) for owner %u, flows %llu.."
	       "%llu, in %llu ms\n", (unsigned long long)n,
	       (unsigned long long)(2 * n), t.owner,
	       (unsigned long long)start,
	       (unsigned long long)(start + n - 1), (unsigned long long)v);
	free(keys);
	free(vals);
	close(ct_fd);
	return 0;
bad:
	usage(stderr);
	return 2;
}
