// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * baton-bench - datapath micro-benchmark with BPF_PROG_TEST_RUN. Prints
 * figures; never fails on them (exit 1 only if it could not measure).
 *
 * Method. test_run with repeat > 1 runs the program again and again on the
 * SAME skb, and the datapath rewrites packets in place: the second DNAT run
 * would see the already translated packet (a miss, then a pass). So every
 * path is measured with repeat = 1 per call, on a fresh copy of the input,
 * and the figure is the kernel-reported duration of that one run (taken
 * inside the kernel around the program, so syscall and copy costs are
 * excluded; the kernel's own timer reads are included, in the floor too),
 * averaged over CALLS calls per round; the median of ROUNDS rounds is
 * printed, after one untimed warm-up round. The floor is an empty TC
 * program on the same packet, measured the same way in the same rounds
 * (paths take turns within a round, so load from elsewhere on the machine
 * weighs on all of them); the ratio is the median over rounds of path /
 * that round's floor.
 *
 * Paths whose packet does not change under repeated runs (floor,
 * pass-through, DSR, which only writes MACs) are also measured with
 * repeat = CALLS in one call, as a cross-check of the method.
 *
 * The conntrack scan fills ct_v4_map with ENTRIES entries (batch update)
 * and times reading all of them back with bpf_map_lookup_batch, as
 * batond's GC and the full sync dump do.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "baton.h"
#include "bench_empty.skel.h"
#include "fixture.h"
#include "pktgen.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ROUNDS 31
#define MAX_PATHS 8
#define SCAN_BATCH 8192
#define FILL_CHUNK 65536

/* Room for the scan's entries plus the flows the packet paths create. */
static unsigned int ct_max = 1u << 20;

#define VIP "10.0.0.100"
#define VIP_DSR "10.0.0.102"

static unsigned int calls = 20000, rounds = 7, scan_entries = 1000000;
static struct fixture fx;
static int empty_fd;

/*
 * A measured path. All paths of one method are measured in the same
 * rounds, one after the other, so that a neighbour's load drifting over
 * the run weighs on the floor and on the path alike; the ratio is taken
 * per round (path / that round's floor) and its median printed.
 */
typedef const struct pkt *(*next_pkt_fn)(unsigned int i, void *arg);

struct path {
	const char *name;
	int prog_fd;
	next_pkt_fn next; /* repeat=1: packet for call i */
	void *arg;
	const struct pkt *pkt; /* repeat=calls: the one packet */
	uint32_t want;	       /* verdict proving the path was taken */
	const char *target;
	void (*between)(void); /* untimed, after each round */
	double ns[MAX_ROUNDS];
	double ratio[MAX_ROUNDS];
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- packets ------------------------------------------------------------- */

static struct pkt tcp_pkt(uint32_t saddr, uint16_t sport, uint32_t daddr,
			  uint16_t dport, uint8_t flags, uint16_t len,
			  const uint8_t *smac, const uint8_t *dmac)
{
	struct pkt_spec s = {
	    .dmac = dmac,
	    .smac = smac,
	    .saddr = saddr,
	    .daddr = daddr,
	    .proto = IPPROTO_TCP,
	    .ttl = 64,
	    .sport = sport,
	    .dport = dport,
	    .tcp_flags = flags,
	    .seq = 1000,
	    .ack = flags & 0x10 ? 5001 : 0,
	    .payload_len = len,
	};
	struct pkt p;

	if (pkt_build(&s, &p))
		abort();
	return p;
}

/* ---- running ------------------------------------------------------------- */

/*
 * One round: n calls with repeat = 1, each on next(i); returns the mean of
 * the kernel-reported durations, or a negative value if a verdict was not
 * `want` (the path measured would not be the one named).
 */
static double round_single(int prog_fd, int ifindex, next_pkt_fn next,
			   void *arg, unsigned int n, uint32_t want)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint32_t verdict, dur;

		if (fx_run_tc(&fx, prog_fd, ifindex, -1, next(i, arg), NULL,
			      &verdict, &dur)) {
			fprintf(stderr, "test run: %s\n", strerror(errno));
			return -1;
		}
		if (verdict != want) {
			fprintf(stderr, "unexpected verdict %u (want %u)\n",
				verdict, want);
			return -1;
		}
		sum += dur;
	}
	return (double)sum / n;
}

/* One round: a single call with repeat = n (idempotent packets only). */
static double round_repeat(int prog_fd, int ifindex, const struct pkt *p,
			   unsigned int n, uint32_t want)
{
	struct __sk_buff ctx = {
	    .ifindex = (__u32)ifindex,
	    .ingress_ifindex = (__u32)ifindex,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data,
		    .data_size_in = (__u32)p->len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = n);

	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		fprintf(stderr, "test run: %s\n", strerror(errno));
		return -1;
	}
	if (opts.retval != want) {
		fprintf(stderr, "unexpected verdict %u (want %u)\n",
			opts.retval, want);
		return -1;
	}
	return (double)opts.duration;
}

static const struct pkt *same_pkt(unsigned int i, void *arg)
{
	return arg;
}

/*
 * Measure paths[0..n) (paths[0] is the floor) over `rounds` rounds after
 * one untimed warm-up round; repeat=1 per call, or repeat=calls per round
 * when `repeat` is set (packets that repeated runs leave alone). Within a
 * round the paths take turns every SLICE calls: this VM's speed changes
 * in steps lasting seconds, and a path measured in one step against a
 * floor measured in another would give a meaningless ratio.
 */
#define SLICE 500

static int bench(struct path *paths, unsigned int n, bool repeat)
{
	double sum[MAX_PATHS];
	unsigned int r, i, done, chunk;

	if (n > MAX_PATHS)
		return -1;
	for (r = 0; r <= rounds; r++) {
		for (i = 0; i < n; i++)
			sum[i] = 0;
		for (done = 0; done < calls; done += chunk) {
			chunk = calls - done < SLICE ? calls - done : SLICE;
			for (i = 0; i < n; i++) {
				struct path *p = &paths[i];
				double v;

				if (repeat)
					v = round_repeat(p->prog_fd,
							 fx.if_front, p->pkt,
							 chunk, p->want);
				else
					v = round_single(p->prog_fd,
							 fx.if_front, p->next,
							 p->arg, chunk,
							 p->want);
				if (v < 0) {
					fprintf(stderr, "path \"%s\" failed\n",
						p->name);
					return -1;
				}
				sum[i] += v * chunk;
			}
		}
		for (i = 0; i < n; i++) {
			if (paths[i].between)
				paths[i].between();
			if (r) /* round 0 warms up */
				paths[i].ns[r - 1] = sum[i] / calls;
		}
		for (i = 0; r && i < n; i++)
			paths[i].ratio[r - 1] =
			    paths[i].ns[r - 1] / paths[0].ns[r - 1];
	}
	return 0;
}

static void print_paths(const char *method, struct path *paths, unsigned int n)
{
	double floor_ns = median(paths[0].ns, rounds);
	unsigned int i;

	printf("  %-34s %-15s %8s %15s %7s %7s  %s\n", "path", "method",
	       "ns/pkt", "[min-max]", "ratio", "+floor", "target");
	for (i = 0; i < n; i++) {
		struct path *p = &paths[i];
		double ns = median(p->ns, rounds), ratio;
		char range[32];

		ratio = median(p->ratio, rounds);
		snprintf(range, sizeof(range), "[%.1f-%.1f]", p->ns[0],
			 p->ns[rounds - 1]); /* sorted by median() */
		printf("  %-34s %-15s %8.1f %15s %6.2fx %7.1f  %s\n", p->name,
		       method, ns, range, ratio, ns - floor_ns,
		       p->target ? p->target : "");
	}
}

/* ---- new flows ----------------------------------------------------------- */

/* Fresh client tuples: 10.200.x.y, ports 1024..65023. Only the
 * destination matters to routing, so any source address will do. */
static uint32_t flow_seq;
static struct pkt syn_buf;

static void flow_tuple(uint32_t k, uint32_t *saddr, uint16_t *sport)
{
	*saddr = htonl(0x0ac80000u + k / 64000u);
	*sport = (uint16_t)(1024 + k % 64000u);
}

static const struct pkt *next_syn(unsigned int i, void *arg)
{
	uint32_t saddr;
	uint16_t sport;

	flow_tuple(flow_seq++, &saddr, &sport);
	syn_buf = tcp_pkt(saddr, sport, fx_ip(VIP), 80, 0x02, 0, fx_mac_client,
			  fx_mac_front);
	return &syn_buf;
}

/* Untimed, between rounds: remove the pairs the last round created. */
static uint32_t flows_done;

static void drop_new_flows(void)
{
	for (; flows_done < flow_seq; flows_done++) {
		struct ct_v4_key k = {.daddr = fx_ip(VIP),
				      .dport = htons(80),
				      .proto = IPPROTO_TCP};
		struct ct_v4_entry e;
		uint16_t sport;

		flow_tuple(flows_done, &k.saddr, &sport);
		k.sport = htons(sport);
		if (!bpf_map_lookup_elem(fx.ct_fd, &k, &e)) {
			bpf_map_delete_elem(fx.ct_fd, &e.peer);
			bpf_map_delete_elem(fx.ct_fd, &k);
		}
	}
}

/* ---- conntrack scan ------------------------------------------------------ */

static void scan_key(uint32_t i, struct ct_v4_key *k, struct ct_v4_entry *e)
{
	memset(k, 0, sizeof(*k));
	k->saddr = htonl(0x0b000000u + i / 50000u);
	k->daddr = fx_ip(VIP);
	k->sport = htons((uint16_t)(1024 + i % 50000u));
	k->dport = htons(80);
	k->proto = IPPROTO_TCP;
	memset(e, 0, sizeof(*e));
	e->nat_saddr = k->saddr;
	e->nat_sport = k->sport;
	e->nat_daddr = fx_ip(FX_BE1);
	e->nat_dport = htons(8080);
	e->vip = k->daddr;
	e->vport = k->dport;
	e->vproto = IPPROTO_TCP;
	e->state = CT_STATE_ESTABLISHED;
	e->owner = FX_NODE_ID;
	e->epoch = FX_EPOCH;
}

static int fill_ct(uint32_t n)
{
	struct ct_v4_key *keys = calloc(FILL_CHUNK, sizeof(*keys));
	struct ct_v4_entry *vals = calloc(FILL_CHUNK, sizeof(*vals));
	uint32_t done = 0, i, cnt;
	int ret = 0;

	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	while (done < n) {
		cnt = n - done < FILL_CHUNK ? n - done : FILL_CHUNK;
		for (i = 0; i < cnt; i++)
			scan_key(done + i, &keys[i], &vals[i]);
		if (bpf_map_update_batch(fx.ct_fd, keys, vals, &cnt, NULL)) {
			ret = -errno;
			fprintf(stderr, "fill ct_v4_map at %u: %s\n", done,
				strerror(errno));
			goto out;
		}
		done += cnt;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

/* Read the whole table once; returns entries read or -errno. */
static long scan_ct(void *keys, void *vals)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 in, out, count;
	long total = 0;
	bool first = true;
	int ret;

	for (;;) {
		count = SCAN_BATCH;
		ret = bpf_map_lookup_batch(fx.ct_fd, first ? NULL : &in, &out,
					   keys, vals, &count, &opts);
		if (ret && errno != ENOENT)
			return -errno;
		total += count;
		if (ret)
			return total; /* ENOENT: the table is done */
		in = out;
		first = false;
	}
}

/* ---- output -------------------------------------------------------------- */

static void print_load(const char *when)
{
	char buf[64] = "?";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
	printf("  load average %s: %s%s\n", when, buf,
	       " (the figures assume an idle machine)");
}

static void print_header(void)
{
	struct utsname u;
	char model[128] = "?", line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	uname(&u);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof(model), "%s",
				 strchr(line, ':') + 2);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
	printf("baton-bench: datapath under BPF_PROG_TEST_RUN\n");
	printf("  kernel %s %s, %d CPUs (%s), pinned to one CPU\n", u.release,
	       u.machine, fx.ncpu, model);
	printf("  %u calls x %u rounds per path, ct_v4_map max_entries %u\n",
	       calls, rounds, ct_max);
	printf("  method: repeat=1 per call on a fresh copy of the packet "
	       "(the datapath rewrites\n"
	       "  packets in place, so repeat>1 would re-run on the "
	       "translated one); ns = kernel-\n"
	       "  reported duration of the run, mean over the calls of a "
	       "round, median of the\n"
	       "  rounds [min-max round], after a warm-up round. The floor "
	       "is an empty TC program\n"
	       "  on the same packet; the paths of a table take turns every "
	       "500 calls.\n");
	print_load("at start");
	printf("\n");
}

/* ---- main ---------------------------------------------------------------- */

static int setup_services(void)
{
	static const struct fx_service svc[] = {
	    {VIP, 80, IPPROTO_TCP, 0, BATON_MODE_DNAT, BATON_ALGO_MAGLEV, NULL,
	     .nbe = 2,
	     .be = {{FX_BE1, 8080, 1, false}, {FX_BE2, 8080, 1, false}}},
	    {VIP_DSR, 80, IPPROTO_TCP, 1, BATON_MODE_DSR, BATON_ALGO_MAGLEV,
	     NULL, .nbe = 2,
	     .be = {{FX_BE1, 80, 1, false}, {FX_BE2, 80, 1, false}}},
	};
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(svc) / sizeof(svc[0]); i++) {
		ret = fx_add_service(&fx, &svc[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Walk a flow to ESTABLISHED: SYN, backend's SYN-ACK, ACK. */
static int establish(uint32_t vip, uint16_t cport, bool dsr)
{
	uint32_t cl = fx_ip(FX_CLIENT), verdict;
	struct ct_v4_key k = {.saddr = cl,
			      .daddr = vip,
			      .sport = htons(cport),
			      .dport = htons(80),
			      .proto = IPPROTO_TCP};
	struct ct_v4_entry e;
	struct pkt p;

	p = tcp_pkt(cl, cport, vip, 80, 0x02, 0, fx_mac_client, fx_mac_front);
	if (fx_run_tc(&fx, fx.prog_tc, fx.if_front, -1, &p, NULL, &verdict,
		      NULL) ||
	    verdict != TC_ACT_REDIRECT)
		return -1;
	if (bpf_map_lookup_elem(fx.ct_fd, &k, &e))
		return -1;
	if (!dsr) {
		p = tcp_pkt(e.nat_daddr, ntohs(e.nat_dport), cl, cport, 0x12, 0,
			    fx_mac_be1, fx_mac_back);
		if (fx_run_tc(&fx, fx.prog_tc, fx.if_back, -1, &p, NULL,
			      &verdict, NULL) ||
		    verdict != TC_ACT_REDIRECT)
			return -1;
	}
	p = tcp_pkt(cl, cport, vip, 80, 0x10, 0, fx_mac_client, fx_mac_front);
	if (fx_run_tc(&fx, fx.prog_tc, fx.if_front, -1, &p, NULL, &verdict,
		      NULL) ||
	    verdict != TC_ACT_REDIRECT)
		return -1;
	if (bpf_map_lookup_elem(fx.ct_fd, &k, &e) ||
	    e.state != CT_STATE_ESTABLISHED)
		return -1;
	return 0;
}

static int pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void usage(const char *me)
{
	fprintf(stderr,
		"usage: %s [-n calls] [-r rounds] [-e scan_entries] "
		"[-m ct_max]\n"
		"  defaults: -n 20000 -r 7 -e 1000000 -m 1048576 "
		"(needs root)\n",
		me);
}

int main(int argc, char **argv)
{
	uint32_t cl = fx_ip(FX_CLIENT);
	struct bench_empty *empty = NULL;
	struct pkt est, dsr, pass;
	double scan_ms[MAX_ROUNDS];
	void *keys = NULL, *vals = NULL;
	unsigned int r;
	int opt, ret = 1;
	long got = 0;
	char label[64];

	while ((opt = getopt(argc, argv, "n:r:e:m:h")) != -1) {
		switch (opt) {
		case 'n':
			calls = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'e':
			scan_entries = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			ct_max = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!calls || !rounds || rounds > MAX_ROUNDS ||
	    scan_entries > ct_max - 1024) {
		usage(argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "baton-bench: needs root\n");
		return 1;
	}
	if (fx_netns_setup() || fx_open(&fx, ct_max) || setup_services())
		return 1;
	empty = bench_empty__open_and_load();
	if (!empty) {
		fprintf(stderr, "load empty program: %s\n", strerror(errno));
		goto out;
	}
	empty_fd = bpf_program__fd(empty->progs.bench_empty);
	pin_cpu();
	print_header();

	/* The established packet: client data to the VIP on a flow in
	 * ESTABLISHED; every path below uses a packet of the same size. */
	if (establish(fx_ip(VIP), 40000, false) ||
	    establish(fx_ip(VIP_DSR), 40000, true)) {
		fprintf(stderr, "could not establish the benchmark flows\n");
		goto out;
	}
	est = tcp_pkt(cl, 40000, fx_ip(VIP), 80, 0x18, 100, fx_mac_client,
		      fx_mac_front);
	dsr = tcp_pkt(cl, 40000, fx_ip(VIP_DSR), 80, 0x18, 100, fx_mac_client,
		      fx_mac_front);
	pass = tcp_pkt(cl, 40000, fx_ip(FX_FRONT), 22, 0x18, 100, fx_mac_client,
		       fx_mac_front);

	struct path single[] = {
	    {"floor (empty TC program)", empty_fd, same_pkt, &est,
	     .want = TC_ACT_OK},
	    {"established, DNAT forward", fx.prog_tc, same_pkt, &est,
	     .want = TC_ACT_REDIRECT, .target = "<= 3.5x"},
	    {"established, DSR", fx.prog_tc, same_pkt, &dsr,
	     .want = TC_ACT_REDIRECT},
	    {"new flow, DNAT SYN (slow path)", fx.prog_tc, next_syn, NULL,
	     .want = TC_ACT_REDIRECT, .target = "<= 12x",
	     .between = drop_new_flows},
	    {"non-VIP pass-through", fx.prog_tc, same_pkt, &pass,
	     .want = TC_ACT_OK},
	};
	struct path repeated[] = {
	    {"floor (empty TC program)", empty_fd, .pkt = &est,
	     .want = TC_ACT_OK},
	    {"established, DSR", fx.prog_tc, .pkt = &dsr,
	     .want = TC_ACT_REDIRECT},
	    {"non-VIP pass-through", fx.prog_tc, .pkt = &pass,
	     .want = TC_ACT_OK},
	};
	struct path full[] = {
	    {"floor (empty TC program)", empty_fd, same_pkt, &est,
	     .want = TC_ACT_OK},
	    {label, fx.prog_tc, same_pkt, &est, .want = TC_ACT_REDIRECT,
	     .target = "<= 3.5x"},
	};

	if (bench(single, ARRAY_SIZE(single), false))
		goto out;
	print_paths("repeat=1", single, ARRAY_SIZE(single));

	printf("\n  cross-check, packets that repeated runs leave alone:\n");
	if (bench(repeated, ARRAY_SIZE(repeated), true))
		goto out;
	print_paths("repeat=calls", repeated, ARRAY_SIZE(repeated));

	/* A big table: the fast path again with it, then the scan. */
	snprintf(label, sizeof(label), "established, +%u ct entries",
		 scan_entries);
	if (fill_ct(scan_entries))
		goto out;
	printf("\n  with %u more entries in ct_v4_map:\n", scan_entries);
	if (bench(full, ARRAY_SIZE(full), false))
		goto out;
	print_paths("repeat=1", full, ARRAY_SIZE(full));

	keys = calloc(SCAN_BATCH, sizeof(struct ct_v4_key));
	vals = calloc(SCAN_BATCH, sizeof(struct ct_v4_entry));
	if (!keys || !vals)
		goto out;
	for (r = 0; r < rounds && r < 5; r++) {
		double t0 = now_s();

		got = scan_ct(keys, vals);
		scan_ms[r] = (now_s() - t0) * 1e3;
		if (got < (long)scan_entries) {
			fprintf(stderr, "scan read %ld entries, want >= %u\n",
				got, scan_entries);
			goto out;
		}
	}
	qsort(scan_ms, r, sizeof(double), cmp_double);
	printf("\n  conntrack scan (bpf_map_lookup_batch, %d per call): %ld "
	       "entries in %.1f ms\n"
	       "  = %.2f M entries/s (median of %u scans, [%.1f-%.1f] ms)\n",
	       SCAN_BATCH, got, scan_ms[r / 2],
	       (double)got / (scan_ms[r / 2] / 1e3) / 1e6, r, scan_ms[0],
	       scan_ms[r - 1]);
	printf(
	    "\n  +floor = ns/pkt minus the floor's: the datapath's own cost, "
	    "which unlike the\n"
	    "  ratio does not depend on the fixed per-call cost the floor "
	    "holds (compare the\n"
	    "  two methods' floors). ratio = median over rounds of path / "
	    "that round's floor.\n"
	    "  targets (from the issue, informational): established <= "
	    "3.5x floor, new flow <= 12x.\n");
	print_load("at end");
	ret = 0;
out:
	free(keys);
	free(vals);
	bench_empty__destroy(empty);
	fx_close(&fx);
	return ret;
}
