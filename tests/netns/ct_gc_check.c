// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ct_gc_check - proves the conntrack GC removes exactly the expired pairs,
 * and measures a full scan.
 *
 *   ct_gc_check unit                  fixture + bulk test on private maps
 *   ct_gc_check insert PIN_DIR        put the fixture into a pinned
 *                                     ct_v4_map / be_stats_map (batond's)
 *   ct_gc_check verify PIN_DIR        check what batond's GC left
 *   ct_gc_check bench N [PIN_DIR]     fill N entries, time full scans
 *   ct_gc_check occupy PIN_DIR PORT STATE OWNER
 *                                     hold the reply tuples 10.1.0.11:8080
 *                                     and 10.1.0.12:8080 -> 10.0.0.2:PORT
 *                                     with pairs of other flows (10.0.0.2:
 *                                     PORT -> 192.0.2.1/.2:80) in STATE,
 *                                     copies of node OWNER's flows (so
 *                                     never sent on to a peer)
 *
 * The fixture's timeouts are FIX_TIMEOUTS below; a batond used with
 * insert/verify must run with the same conntrack.timeouts. Exit 0 pass,
 * 1 fail, 77 skip.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "ct.h"

#define NS 1000000000ll
#define FIX_SVC 200		/* a service id batond's tests never use */
#define NO_REV 9999		/* DSR: no reverse half */
#define PEER_GONE 8888		/* reverse half whose forward half is gone */

static int failures;

#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "FAIL: " __VA_ARGS__);          \
			fprintf(stderr, "\n");                          \
			failures++;                                     \
		}                                                       \
	} while (0)

static const struct baton_ct_timeouts fix_timeouts = {
	.tcp_s = {
		[CT_STATE_SYN_SENT] = 5, [CT_STATE_SYN_RECV] = 5,
		[CT_STATE_ESTABLISHED] = 20, [CT_STATE_FIN_WAIT] = 8,
		[CT_STATE_CLOSE_WAIT] = 6, [CT_STATE_TIME_WAIT] = 4,
		[CT_STATE_CLOSED] = 2,
	},
	.udp_s = 5,
	.udp_est_s = 12,
	.icmp_s = 5,
};

struct fixture {
	const char *what;
	uint8_t proto;
	uint8_t fwd_state, rev_state;
	int fwd_age, rev_age;	/* seconds before now; NO_REV, PEER_GONE */
	int be_id;		/* counted on this backend id; -1 not counted */
	bool expired;
};

static const struct fixture fix[] = {
	{ "tcp established, both halves stale", IPPROTO_TCP,
	  CT_STATE_ESTABLISHED, CT_STATE_ESTABLISHED, 30, 30, 1, true },
	{ "tcp established, fwd stale, rev fresh", IPPROTO_TCP,
	  CT_STATE_ESTABLISHED, CT_STATE_ESTABLISHED, 30, 1, 2, false },
	{ "tcp established, rev stale, fwd fresh", IPPROTO_TCP,
	  CT_STATE_ESTABLISHED, CT_STATE_ESTABLISHED, 1, 30, -1, false },
	{ "tcp last_seen in the future", IPPROTO_TCP, CT_STATE_ESTABLISHED,
	  CT_STATE_ESTABLISHED, -1000, -1000, -1, false },
	{ "tcp syn_sent past its 5 s", IPPROTO_TCP, CT_STATE_SYN_SENT,
	  CT_STATE_SYN_SENT, 8, 8, -1, true },
	{ "tcp established within its 20 s", IPPROTO_TCP,
	  CT_STATE_ESTABLISHED, CT_STATE_ESTABLISHED, 10, 10, -1, false },
	{ "tcp closed (fwd) though rev says established", IPPROTO_TCP,
	  CT_STATE_CLOSED, CT_STATE_ESTABLISHED, 4, 4, -1, true },
	{ "tcp time_wait fresh", IPPROTO_TCP, CT_STATE_TIME_WAIT,
	  CT_STATE_TIME_WAIT, 1, 1, -1, false },
	{ "tcp state NONE ages like syn_sent", IPPROTO_TCP, CT_STATE_NONE,
	  CT_STATE_NONE, 8, 8, -1, true },
	{ "udp new past its 5 s", IPPROTO_UDP, CT_STATE_NEW, CT_STATE_NEW, 8,
	  8, -1, true },
	{ "udp established within its 12 s", IPPROTO_UDP,
	  CT_STATE_ESTABLISHED, CT_STATE_ESTABLISHED, 8, 8, -1, false },
	{ "udp established past its 12 s", IPPROTO_UDP, CT_STATE_ESTABLISHED,
	  CT_STATE_ESTABLISHED, 15, 15, -1, true },
	{ "icmp past its 5 s", IPPROTO_ICMP, CT_STATE_NEW, CT_STATE_NEW, 8, 8,
	  -1, true },
	{ "icmp fresh", IPPROTO_ICMP, CT_STATE_ESTABLISHED,
	  CT_STATE_ESTABLISHED, 1, 1, -1, false },
	{ "dsr (no reverse half) stale", IPPROTO_TCP, CT_STATE_ESTABLISHED, 0,
	  30, NO_REV, 3, true },
	{ "dsr (no reverse half) fresh", IPPROTO_TCP, CT_STATE_ESTABLISHED, 0,
	  1, NO_REV, -1, false },
	{ "reverse half alone (forward gone), stale", IPPROTO_TCP,
	  CT_STATE_ESTABLISHED, CT_STATE_ESTABLISHED, PEER_GONE, 30, -1, true },
	{ "counted but active already 0 (no underflow)", IPPROTO_TCP,
	  CT_STATE_ESTABLISHED, CT_STATE_ESTABLISHED, 30, 30, 4, true },
};
#define NFIX (sizeof(fix) / sizeof(fix[0]))

/* active before the GC, per backend id of FIX_SVC, and after. */
static const uint64_t active_before[8] = { [1] = 1, [2] = 1, [3] = 1 };
static const uint64_t active_after[8] = { [1] = 0, [2] = 1, [3] = 0 };

static void fix_keys(size_t i, uint32_t n, struct ct_v4_key *fwd,
		     struct ct_v4_key *rev, uint8_t proto)
{
	uint16_t id = (uint16_t)(20000 + i * 7 + n);

	memset(fwd, 0, sizeof(*fwd));
	memset(rev, 0, sizeof(*rev));
	fwd->saddr = htonl(0x0a090002 + (n >> 12));	/* 10.9.0.2+ */
	fwd->daddr = htonl(0x0a000064);			/* 10.0.0.100 */
	fwd->sport = htons(id);
	fwd->dport = proto == IPPROTO_ICMP ? 0 : htons(80);
	fwd->proto = proto;
	rev->saddr = htonl(0x0a01000b);			/* 10.1.0.11 */
	rev->daddr = fwd->saddr;
	rev->sport = proto == IPPROTO_ICMP ? fwd->sport : htons(8080);
	rev->dport = proto == IPPROTO_ICMP ? 0 : fwd->sport;
	rev->proto = proto;
}

static void fill_entry(struct ct_v4_entry *e, const struct ct_v4_key *peer,
		       uint8_t dir, uint8_t state, uint8_t proto,
		       uint64_t last_seen)
{
	memset(e, 0, sizeof(*e));
	if (peer)
		e->peer = *peer;
	e->vip = htonl(0x0a000064);
	e->vport = proto == IPPROTO_ICMP ? 0 : htons(80);
	e->vproto = proto;
	e->dir = dir;
	e->state = state;
	e->svc_id = FIX_SVC;
	e->owner = 1;
	e->created_ns = last_seen;
	e->last_seen_ns = last_seen;
}

static uint64_t ago(uint64_t now, int s)
{
	return (uint64_t)((int64_t)now - (int64_t)s * NS);
}

static int insert_fixture(int ct_fd, struct be_stats *bs, uint64_t now)
{
	for (size_t i = 0; i < NFIX; i++) {
		const struct fixture *f = &fix[i];
		struct ct_v4_key fk, rk;
		struct ct_v4_entry fe, re;

		fix_keys(i, 0, &fk, &rk, f->proto);
		if (f->fwd_age != PEER_GONE) {
			fill_entry(&fe, f->rev_age == NO_REV ? NULL : &rk,
				   CT_DIR_FWD, f->fwd_state, f->proto,
				   ago(now, f->fwd_age));
			if (f->be_id >= 0) {
				fe.flags |= CT_F_COUNTED;
				fe.be_id = (uint16_t)f->be_id;
			}
			if (bpf_map_update_elem(ct_fd, &fk, &fe, BPF_ANY))
				return -errno;
		}
		if (f->rev_age != NO_REV) {
			fill_entry(&re, &fk, CT_DIR_REV, f->rev_state, f->proto,
				   ago(now, f->rev_age));
			if (bpf_map_update_elem(ct_fd, &rk, &re, BPF_ANY))
				return -errno;
		}
	}
	for (int b = 0; b < 8 && bs; b++)
		bs[baton_be_index(FIX_SVC, b)].active = active_before[b];
	return 0;
}

static bool present(int fd, const struct ct_v4_key *k)
{
	struct ct_v4_entry e;

	return !bpf_map_lookup_elem(fd, k, &e);
}

static void verify_fixture(int ct_fd, struct be_stats *bs)
{
	for (size_t i = 0; i < NFIX; i++) {
		const struct fixture *f = &fix[i];
		struct ct_v4_key fk, rk;

		fix_keys(i, 0, &fk, &rk, f->proto);
		if (f->fwd_age != PEER_GONE)
			CHECK(present(ct_fd, &fk) == !f->expired,
			      "%s: forward half %s", f->what,
			      f->expired ? "still there" : "removed");
		if (f->rev_age != NO_REV)
			CHECK(present(ct_fd, &rk) == !f->expired,
			      "%s: reverse half %s", f->what,
			      f->expired ? "still there" : "removed");
	}
	for (int b = 0; b < 8 && bs; b++) {
		uint64_t a = __atomic_load_n(
			&bs[baton_be_index(FIX_SVC, b)].active,
			__ATOMIC_RELAXED);

		CHECK(a == active_after[b],
		      "be_stats[%d/%d].active is %llu, expected %llu",
		      FIX_SVC, b, (unsigned long long)a,
		      (unsigned long long)active_after[b]);
	}
}

static int make_ct_map(uint32_t max)
{
	return bpf_map_create(BPF_MAP_TYPE_HASH, "ct_gc_check",
			      sizeof(struct ct_v4_key),
			      sizeof(struct ct_v4_entry), max, NULL);
}

static struct be_stats *map_be_stats(int fd)
{
	size_t len = (size_t)BATON_MAX_SERVICES * BATON_MAX_BACKENDS *
		     sizeof(struct be_stats);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static struct be_stats *make_be_stats(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_MMAPABLE);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "be_stats_chk", 4,
				sizeof(struct be_stats),
				BATON_MAX_SERVICES * BATON_MAX_BACKENDS, &o);

	return fd < 0 ? NULL : map_be_stats(fd);
}

/* Bulk: n pairs, every other one stale; small chunks and a small budget
 * so the scan crosses many cursor positions and steps. */
static void bulk(uint32_t n)
{
	struct baton_ct_stats st = {};
	struct baton_ct_scan *sc;
	uint64_t now = baton_ct_now_ns();
	long left;
	int fd = make_ct_map(2 * n), ret, steps = 0;

	CHECK(fd >= 0, "create bulk map: %s", strerror(errno));
	if (fd < 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		struct ct_v4_key fk, rk;
		struct ct_v4_entry fe, re;
		uint64_t ls = ago(now, i % 2 ? 30 : 1);

		fix_keys(1000, i, &fk, &rk, IPPROTO_TCP);
		fill_entry(&fe, &rk, CT_DIR_FWD, CT_STATE_ESTABLISHED,
			   IPPROTO_TCP, ls);
		fill_entry(&re, &fk, CT_DIR_REV, CT_STATE_ESTABLISHED,
			   IPPROTO_TCP, ls);
		bpf_map_update_elem(fd, &fk, &fe, BPF_ANY);
		bpf_map_update_elem(fd, &rk, &re, BPF_ANY);
	}
	sc = baton_ct_scan_init(fd, NULL, 256);
	do {
		ret = baton_ct_scan_step(sc, &fix_timeouts, now, 1000, &st);
		steps++;
	} while (ret == 0);
	baton_ct_scan_free(sc);
	CHECK(ret == 1, "bulk scan: %s", strerror(-ret));
	left = baton_ct_count(fd);
	CHECK(left == (long)n, "bulk: %ld entries left, expected %u", left, n);
	CHECK(st.expired == n / 2, "bulk: %llu pairs expired, expected %u",
	      (unsigned long long)st.expired, n / 2);
	CHECK(st.deleted == n, "bulk: %llu entries deleted, expected %u",
	      (unsigned long long)st.deleted, n);
	CHECK(steps > 1, "bulk: the scan should take several steps");
	printf("bulk: %u pairs, %llu scanned in %d steps, %llu expired\n", n,
	       (unsigned long long)st.scanned, steps,
	       (unsigned long long)st.expired);
	close(fd);
}

static int cmd_unit(void)
{
	struct baton_ct_stats st = {};
	struct be_stats *bs = make_be_stats();
	uint64_t now = baton_ct_now_ns();
	int fd = make_ct_map(4096), ret;

	if (fd < 0 || !bs) {
		fprintf(stderr, "SKIP: cannot create BPF maps: %s\n",
			strerror(errno));
		return 77;
	}
	if (now < 60 * NS) {
		fprintf(stderr, "SKIP: uptime under 60 s; stale stamps would "
			"underflow\n");
		return 77;
	}
	ret = insert_fixture(fd, bs, now);
	CHECK(!ret, "insert fixture: %s", strerror(-ret));
	ret = baton_ct_scan_all(fd, bs, &fix_timeouts, now, &st);
	CHECK(!ret, "scan: %s", strerror(-ret));
	verify_fixture(fd, bs);
	CHECK(st.uncounted == 2, "uncounted %llu, expected 2",
	      (unsigned long long)st.uncounted);
	/* A second pass at the same time changes nothing. */
	memset(&st, 0, sizeof(st));
	baton_ct_scan_all(fd, bs, &fix_timeouts, now, &st);
	CHECK(st.expired == 0, "second pass expired %llu",
	      (unsigned long long)st.expired);
	verify_fixture(fd, bs);
	/* Flush empties the table and gives back the counted flow left. */
	CHECK(baton_ct_flush(fd, bs, NULL, NULL) > 0, "flush deleted nothing");
	CHECK(baton_ct_count(fd) == 0, "entries left after flush");
	CHECK(bs[baton_be_index(FIX_SVC, 2)].active == 0,
	      "flush did not give back the counted flow");
	close(fd);
	bulk(20000);
	printf("%s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}

static int open_pinned(const char *dir, int *ct_fd, struct be_stats **bs)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/ct_v4_map", dir);
	*ct_fd = bpf_obj_get(path);
	if (*ct_fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/be_stats_map", dir);
	*bs = map_be_stats(bpf_obj_get(path));
	if (!*bs) {
		fprintf(stderr, "mmap %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int cmd_pinned(const char *dir, bool insert)
{
	struct be_stats *bs;
	int fd, ret;

	if (open_pinned(dir, &fd, &bs))
		return 1;
	if (insert) {
		ret = insert_fixture(fd, bs, baton_ct_now_ns());
		if (ret)
			fprintf(stderr, "insert: %s\n", strerror(-ret));
		return ret ? 1 : 0;
	}
	verify_fixture(fd, bs);
	return failures ? 1 : 0;
}

static double ms_since(uint64_t t0)
{
	return (double)(baton_ct_now_ns() - t0) / 1e6;
}

/* Fill fd with n entries (n/2 pairs) stamped `last_seen`. */
static int fill(int fd, uint32_t n, uint64_t last_seen)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	enum { B = 4096 };
	static struct ct_v4_key k[B];
	static struct ct_v4_entry v[B];
	uint32_t i = 0, c = 0;
	__u32 cnt;

	while (i < n / 2) {
		fix_keys(2000 + (i >> 16), i & 0xffff, &k[c], &k[c + 1],
			 IPPROTO_TCP);
		k[c].saddr = htonl(0x0b000000 + i);	/* unique per pair */
		k[c + 1].daddr = k[c].saddr;
		fill_entry(&v[c], &k[c + 1], CT_DIR_FWD, CT_STATE_ESTABLISHED,
			   IPPROTO_TCP, last_seen);
		fill_entry(&v[c + 1], &k[c], CT_DIR_REV, CT_STATE_ESTABLISHED,
			   IPPROTO_TCP, last_seen);
		c += 2;
		i++;
		if (c == B || i == n / 2) {
			cnt = c;
			if (bpf_map_update_batch(fd, k, v, &cnt, &o))
				return -errno;
			c = 0;
		}
	}
	return 0;
}

static int cmd_bench(uint32_t n, const char *dir)
{
	struct baton_ct_stats st = {};
	struct baton_ct_scan *sc;
	struct be_stats *bs = NULL;
	uint64_t t0, now = baton_ct_now_ns();
	int fd, ret;

	if (dir) {
		if (open_pinned(dir, &fd, &bs))
			return 1;
		baton_ct_flush(fd, bs, NULL, NULL);
	} else {
		fd = make_ct_map(n);
		if (fd < 0) {
			fprintf(stderr, "create map of %u: %s\n", n,
				strerror(errno));
			return 1;
		}
	}
	t0 = baton_ct_now_ns();
	ret = fill(fd, n, now);
	if (ret) {
		fprintf(stderr, "fill: %s\n", strerror(-ret));
		return 1;
	}
	printf("filled %ld entries in %.1f ms\n", baton_ct_count(fd),
	       ms_since(t0));

	/* Nothing expired: the cost of every pass on a busy node. */
	t0 = baton_ct_now_ns();
	baton_ct_scan_all(fd, bs, &fix_timeouts, baton_ct_now_ns(), &st);
	printf("full scan, nothing expired: %llu entries in %.1f ms\n",
	       (unsigned long long)st.scanned, ms_since(t0));

	/* One GC slice as batond runs it. */
	sc = baton_ct_scan_init(fd, bs, 0);
	memset(&st, 0, sizeof(st));
	t0 = baton_ct_now_ns();
	baton_ct_scan_step(sc, &fix_timeouts, baton_ct_now_ns(), 4096, &st);
	printf("one GC slice (budget 4096): %llu entries in %.2f ms\n",
	       (unsigned long long)st.scanned, ms_since(t0));
	baton_ct_scan_free(sc);

	/* Everything expired: scan plus a delete of both halves. */
	memset(&st, 0, sizeof(st));
	t0 = baton_ct_now_ns();
	baton_ct_scan_all(fd, bs, &fix_timeouts, now + 3600 * NS, &st);
	printf("full scan, everything expired: %llu scanned, %llu pairs "
	       "(%llu entries) deleted in %.1f ms\n",
	       (unsigned long long)st.scanned, (unsigned long long)st.expired,
	       (unsigned long long)st.deleted, ms_since(t0));
	return baton_ct_count(fd) == 0 ? 0 : 1;
}

/* occupy: what a node holds after carrying a flow that reused no port of
 * its own, to be met by a peer's flow with the same reply tuple. */
static int cmd_occupy(const char *dir, uint16_t port, uint8_t state,
		      uint16_t owner)
{
	uint64_t now = baton_ct_now_ns();
	struct be_stats *bs;
	int fd;

	if (open_pinned(dir, &fd, &bs))
		return 1;
	for (uint32_t b = 0; b < 2; b++) {
		struct ct_v4_key fk = {
			.saddr = htonl(0x0a000002),		/* 10.0.0.2 */
			.daddr = htonl(0xc0000201 + b),		/* 192.0.2.1+ */
			.sport = htons(port), .dport = htons(80),
			.proto = IPPROTO_TCP,
		};
		struct ct_v4_key rk = {
			.saddr = htonl(0x0a01000b + b),		/* 10.1.0.11+ */
			.daddr = fk.saddr,
			.sport = htons(8080), .dport = fk.sport,
			.proto = IPPROTO_TCP,
		};
		struct ct_v4_entry fe, re;

		fill_entry(&fe, &rk, CT_DIR_FWD, state, IPPROTO_TCP, now);
		fill_entry(&re, &fk, CT_DIR_REV, state, IPPROTO_TCP, now);
		fe.owner = re.owner = owner;
		fe.flags = re.flags = CT_F_REMOTE;
		if (bpf_map_update_elem(fd, &fk, &fe, BPF_ANY) ||
		    bpf_map_update_elem(fd, &rk, &re, BPF_ANY)) {
			fprintf(stderr, "occupy: %s\n", strerror(errno));
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "unit"))
		return cmd_unit();
	if (argc == 3 && !strcmp(argv[1], "insert"))
		return cmd_pinned(argv[2], true);
	if (argc == 3 && !strcmp(argv[1], "verify"))
		return cmd_pinned(argv[2], false);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "bench"))
		return cmd_bench((uint32_t)strtoul(argv[2], NULL, 0),
				 argc == 4 ? argv[3] : NULL);
	if (argc == 6 && !strcmp(argv[1], "occupy"))
		return cmd_occupy(argv[2], (uint16_t)strtoul(argv[3], NULL, 0),
				  (uint8_t)strtoul(argv[4], NULL, 0),
				  (uint16_t)strtoul(argv[5], NULL, 0));
	fprintf(stderr, "usage: ct_gc_check unit | insert PIN_DIR | "
		"verify PIN_DIR | bench N [PIN_DIR] | occupy PIN_DIR PORT "
		"STATE OWNER\n");
	return 2;
}
