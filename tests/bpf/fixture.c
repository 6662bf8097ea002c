// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fixture.c - namespace, topology and datapath loading for the BPF tests
 * and the benchmark. See fixture.h.
 */
#define _GNU_SOURCE
#include "fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>

#include "baton.skel.h"
#include "jhash.h"
#include "maglev.h"

const uint8_t fx_mac_client[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
const uint8_t fx_mac_front[6] = {0x02, 0x00, 0x00, 0x00, 0xaa, 0x01};
const uint8_t fx_mac_back[6] = {0x02, 0x00, 0x00, 0x00, 0xbb, 0x01};
const uint8_t fx_mac_be1[6] = {0x02, 0x00, 0x00, 0x00, 0x01, 0x11};
const uint8_t fx_mac_be2[6] = {0x02, 0x00, 0x00, 0x00, 0x01, 0x12};

/* One `ip -batch` script: links, addresses, permanent neighbours. */
static const char fx_topology[] =
    "link set lo up\n"
    "link add front address 02:00:00:00:aa:01 type veth"
    " peer name front-p address 02:00:00:00:aa:02\n"
    "link add back address 02:00:00:00:bb:01 type veth"
    " peer name back-p address 02:00:00:00:bb:02\n"
    "addr add 10.0.0.1/24 dev front\n"
    "addr add 10.1.0.1/24 dev back\n"
    "addr add 10.1.0.10/32 dev back\n"
    "link set front up\n"
    "link set front-p up\n"
    "link set back up\n"
    "link set back-p up\n"
    "neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev front nud permanent\n"
    "neigh add 10.1.0.11 lladdr 02:00:00:00:01:11 dev back nud permanent\n"
    "neigh add 10.1.0.12 lladdr 02:00:00:00:01:12 dev back nud permanent\n";

uint32_t fx_ip(const char *dotted)
{
	struct in_addr a;

	if (inet_pton(AF_INET, dotted, &a) != 1) {
		fprintf(stderr, "fixture: bad address %s\n", dotted);
		abort();
	}
	return a.s_addr;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int fx_netns_setup(void)
{
	FILE *ip;
	int ret, status;

	if (unshare(CLONE_NEWNET)) {
		ret = -errno;
		fprintf(stderr, "fixture: unshare(CLONE_NEWNET): %s\n",
			strerror(errno));
		return ret;
	}
	ip = popen("ip -batch -", "w");
	if (!ip) {
		ret = -errno;
		fprintf(stderr, "fixture: cannot run ip: %s\n",
			strerror(errno));
		return ret;
	}
	fputs(fx_topology, ip);
	status = pclose(ip);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "fixture: ip -batch failed (status %d)\n",
			status);
		return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOENT
								       : -EIO;
	}
	/* bpf_fib_lookup() answers FWD_DISABLED unless the ingress device
	 * forwards. /proc/sys/net is the writer's namespace. */
	ret = write_file("/proc/sys/net/ipv4/ip_forward", "1");
	if (ret) {
		fprintf(stderr, "fixture: ip_forward: %s\n", strerror(-ret));
		return ret;
	}
	return 0;
}

int fx_open(struct fixture *f, unsigned int ct_max)
{
	struct baton_cfg cfg = {
	    .node_id = FX_NODE_ID,
	    .epoch = FX_EPOCH,
	    .hash_seed = FX_SEED,
	};
	struct bpf_map *map;
	__u32 zero = 0, slow_key = BATON_PGM_SLOW, reply_key = BATON_PGM_REPLY;
	int ret;

	memset(f, 0, sizeof(*f));
	f->if_front = (int)if_nametoindex("front");
	f->if_back = (int)if_nametoindex("back");
	if (!f->if_front || !f->if_back) {
		fprintf(stderr, "fixture: topology missing (front/back)\n");
		return -ENODEV;
	}
	f->ncpu = libbpf_num_possible_cpus();
	if (f->ncpu <= 0)
		return f->ncpu ? f->ncpu : -EINVAL;

	f->skel = baton__open();
	if (!f->skel) {
		ret = -errno;
		fprintf(stderr, "fixture: open skeleton: %s\n",
			strerror(errno));
		return ret;
	}
	/* Private maps: no pin path means no reuse of, and no pinning on,
	 * the global bpffs. */
	bpf_object__for_each_map(map, f->skel->obj)
	    bpf_map__set_pin_path(map, NULL);
	bpf_map__set_max_entries(f->skel->maps.ct_v4_map, ct_max);
	f->ct_max = ct_max;

	ret = baton__load(f->skel);
	if (ret) {
		fprintf(stderr, "fixture: load datapath: %s\n", strerror(-ret));
		goto out_destroy;
	}

	f->prog_tc = bpf_program__fd(f->skel->progs.tc_packet_func);
	f->prog_slow = bpf_program__fd(f->skel->progs.tc_packet_func_slow);
	f->prog_reply = bpf_program__fd(f->skel->progs.tc_packet_func_reply);
	f->prog_xdp = bpf_program__fd(f->skel->progs.xdp_packet_func);
	f->ct_fd = bpf_map__fd(f->skel->maps.ct_v4_map);
	f->nat_fd = bpf_map__fd(f->skel->maps.nat_v4_map);
	f->snat_fd = bpf_map__fd(f->skel->maps.snat_v4_map);
	f->rnat_fd = bpf_map__fd(f->skel->maps.rnat_v4_map);
	f->reset_fd = bpf_map__fd(f->skel->maps.be_reset_map);
	f->lb_fd = bpf_map__fd(f->skel->maps.lb_v4_map);
	f->be_stats_fd = bpf_map__fd(f->skel->maps.be_stats_map);
	f->rr_fd = bpf_map__fd(f->skel->maps.rr_map);
	f->drop_fd = bpf_map__fd(f->skel->maps.drop_stats);
	f->stats_fd = bpf_map__fd(f->skel->maps.pkt_stats);
	f->cfg_fd = bpf_map__fd(f->skel->maps.baton_cfg);
	f->revive_fd = bpf_map__fd(f->skel->maps.ct_v4_revive);
	f->pgm_fd = bpf_map__fd(f->skel->maps.pgm_tbl);

	if (bpf_map_update_elem(f->pgm_fd, &slow_key, &f->prog_slow, 0) ||
	    bpf_map_update_elem(f->pgm_fd, &reply_key, &f->prog_reply, 0) ||
	    bpf_map_update_elem(f->cfg_fd, &zero, &cfg, 0)) {
		ret = -errno;
		fprintf(stderr, "fixture: pgm_tbl/baton_cfg: %s\n",
			strerror(errno));
		goto out_destroy;
	}
	return 0;

out_destroy:
	baton__destroy(f->skel);
	f->skel = NULL;
	return ret;
}

void fx_close(struct fixture *f)
{
	unsigned int i;

	if (!f)
		return;
	ring_buffer__free(f->rb);
	f->rb = NULL;
	for (i = 0; i < BATON_MAX_SERVICES; i++) {
		free(f->tables[i]);
		f->tables[i] = NULL;
	}
	baton__destroy(f->skel);
	f->skel = NULL;
}

int fx_add_service(struct fixture *f, const struct fx_service *s)
{
	struct baton_sched_backend sb[4];
	struct nat_v4_key key = {
	    .vip = fx_ip(s->vip),
	    .port = htons(s->port),
	    .proto = s->proto,
	};
	struct nat_v4_svc svc = {
	    .svc_id = s->svc_id,
	    .mode = s->mode,
	    .algo = s->algo,
	    .slot = 0,
	    .snat_addr = s->snat ? fx_ip(s->snat) : 0,
	    .gen = 1,
	};
	struct lb_v4_table *t;
	__u32 idx = baton_lb_index(s->svc_id, 0), len = 0, one = 1;
	unsigned int i, nsel = 0;
	int ret;

	if (s->svc_id >= BATON_MAX_SERVICES || s->nbe > 4)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->nbe = s->nbe;
	for (i = 0; i < s->nbe; i++) {
		t->be[i].addr = fx_ip(s->be[i].addr);
		t->be[i].port = htons(s->be[i].port);
		t->be[i].weight = s->be[i].weight;
		t->be[i].flags = s->be[i].inactive ? 0 : BE_F_ACTIVE;
		if (s->be[i].inactive)
			continue;
		sb[nsel].id = (uint16_t)i;
		sb[nsel].addr = ntohl(t->be[i].addr);
		sb[nsel].port = s->be[i].port;
		sb[nsel].weight = s->be[i].weight;
		nsel++;
	}

	if (s->algo == BATON_ALGO_MAGLEV) {
		ret = baton_maglev_build(sb, nsel, FX_SEED, t->sched,
					 BATON_MAGLEV_M);
		if (!ret)
			t->sched_len = BATON_MAGLEV_M;
	} else if (s->algo == BATON_ALGO_WRR) {
		ret =
		    baton_wrr_build(sb, nsel, t->sched, BATON_SCHED_MAX, &len);
		if (!ret)
			t->sched_len = len;
	} else {
		ret = 0;
	}
	if (ret && ret != -ENOENT) {
		fprintf(stderr, "fixture: schedule for %s:%u: %s\n", s->vip,
			s->port, strerror(-ret));
		free(t);
		return ret;
	}

	/* As batond does: a fullNAT service's source address is known to
	 * the datapath (snat_v4_map) before the service flips in. */
	if (bpf_map_update_elem(f->lb_fd, &idx, t, 0) ||
	    (s->mode == BATON_MODE_FULLNAT && svc.snat_addr &&
	     bpf_map_update_elem(f->snat_fd, &svc.snat_addr, &one, 0)) ||
	    bpf_map_update_elem(f->nat_fd, &key, &svc, 0)) {
		ret = -errno;
		fprintf(stderr, "fixture: service %s:%u: %s\n", s->vip, s->port,
			strerror(errno));
		free(t);
		return ret;
	}
	free(f->tables[s->svc_id]);
	f->tables[s->svc_id] = t;
	return 0;
}

int fx_maglev_pick(const struct fixture *f, uint16_t svc_id, uint32_t saddr,
		   uint32_t daddr, uint16_t sport, uint16_t dport,
		   uint8_t proto)
{
	const struct lb_v4_table *t = f->tables[svc_id];
	uint32_t h;

	if (!t || !t->sched_len)
		return -1;
	/* The datapath hashes the wire bytes read as host words. */
	h = baton_flow_hash_v4(saddr, daddr, htons(sport), htons(dport), proto,
			       FX_SEED);
	return t->sched[h % t->sched_len];
}

/* The fullNAT port share baton_cfg holds (fx_set_snat_share). */
static uint16_t snat_slot, snat_slots = 1;

int fx_set_snat_share(struct fixture *f, uint16_t slot, uint16_t slots)
{
	struct baton_cfg cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(f->cfg_fd, &zero, &cfg))
		return -errno;
	cfg.snat_slot = slot;
	cfg.snat_slots = slots;
	if (bpf_map_update_elem(f->cfg_fd, &zero, &cfg, 0))
		return -errno;
	snat_slot = slot;
	snat_slots = slots;
	return 0;
}

uint16_t fx_snat_port(uint32_t saddr, uint32_t daddr, uint16_t sport,
		      uint16_t dport, uint8_t proto, unsigned int try)
{
	uint32_t h = baton_flow_hash_v4(saddr, daddr, htons(sport),
					htons(dport), proto, FX_SEED);
	uint32_t span = 65536 - BATON_SNAT_PORT_MIN;

	return (uint16_t)(BATON_SNAT_PORT_MIN +
			  ((h + try * 7919u) % (span / snat_slots)) *
				  snat_slots +
			  snat_slot);
}

int fx_run_tc(struct fixture *f, int prog_fd, int ifindex, int ingress,
	      const struct pkt *in, struct pkt *out, uint32_t *retval,
	      uint32_t *duration)
{
	struct __sk_buff ctx = {
	    .ifindex = (__u32)ifindex,
	    .ingress_ifindex = (__u32)(ingress >= 0 ? ingress : ifindex),
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data,
		    .data_size_in = (__u32)in->len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int ret;

	if (out) {
		opts.data_out = out->data;
		opts.data_size_out = sizeof(out->data);
	}
	ret = bpf_prog_test_run_opts(prog_fd, &opts);
	if (ret)
		return -errno;
	if (out)
		out->len = opts.data_size_out;
	*retval = opts.retval;
	if (duration)
		*duration = opts.duration;
	return 0;
}

int fx_run_xdp(struct fixture *f, const struct pkt *in, struct pkt *out,
	       uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data,
		    .data_size_in = (__u32)in->len, .data_out = out->data,
		    .data_size_out = sizeof(out->data), .repeat = 1);

	if (bpf_prog_test_run_opts(f->prog_xdp, &opts))
		return -errno;
	out->len = opts.data_size_out;
	*retval = opts.retval;
	return 0;
}

uint64_t fx_percpu_sum(const struct fixture *f, int fd, uint32_t key)
{
	uint64_t vals[f->ncpu], sum = 0;
	int i;

	if (bpf_map_lookup_elem(fd, &key, vals))
		return UINT64_MAX;
	for (i = 0; i < f->ncpu; i++)
		sum += vals[i];
	return sum;
}

int fx_percpu_clear(const struct fixture *f, int fd, uint32_t n)
{
	uint64_t vals[f->ncpu];
	uint32_t k;

	memset(vals, 0, sizeof(vals));
	for (k = 0; k < n; k++)
		if (bpf_map_update_elem(fd, &k, vals, 0))
			return -errno;
	return 0;
}

int fx_ct_clear(struct fixture *f)
{
	struct ct_v4_key key, next;
	int ret;

	/* Always restart from the first key: deleting the current key
	 * would make get_next_key start over anyway. */
	while (!(ret = bpf_map_get_next_key(f->ct_fd, NULL, &next))) {
		key = next;
		if (bpf_map_delete_elem(f->ct_fd, &key))
			return -errno;
	}
	return errno == ENOENT ? 0 : -errno;
}

long fx_ct_count(const struct fixture *f)
{
	struct ct_v4_key key, next;
	void *prev = NULL;
	long n = 0;

	while (!bpf_map_get_next_key(f->ct_fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static int fx_event_cb(void *ctx, void *data, size_t size)
{
	struct fixture *f = ctx;

	if (size != sizeof(struct ct_v4_event)) {
		fprintf(stderr, "fixture: event of %zu bytes, want %zu\n", size,
			sizeof(struct ct_v4_event));
		return -EINVAL;
	}
	if (f->nevents < FX_MAX_EVENTS)
		memcpy(&f->events[f->nevents], data, size);
	f->nevents++;
	return 0;
}

int fx_events_poll(struct fixture *f)
{
	int ret;

	if (!f->rb) {
		f->rb = ring_buffer__new(bpf_map__fd(f->skel->maps.ct_events),
					 fx_event_cb, f, NULL);
		if (!f->rb)
			return -errno;
	}
	ret = ring_buffer__consume(f->rb);
	return ret < 0 ? ret : 0;
}

int fx_reset(struct fixture *f)
{
	struct be_stats zero_bs = {0};
	struct ct_v4_revive no_revive = {0};
	__u32 k, zero = 0;
	int ret;

	ret = fx_ct_clear(f);
	if (ret)
		return ret;
	ret = fx_percpu_clear(f, f->drop_fd, DROP_MAX);
	if (!ret)
		ret = fx_percpu_clear(f, f->stats_fd, ST_MAX);
	if (ret)
		return ret;
	for (k = 0; k < BATON_MAX_SERVICES * BATON_MAX_BACKENDS; k++)
		if (bpf_map_update_elem(f->be_stats_fd, &k, &zero_bs, 0))
			return -errno;
	for (k = 0; k < BATON_MAX_SERVICES; k++)
		if (bpf_map_update_elem(f->rr_fd, &k, &zero, 0))
			return -errno;
	if (bpf_map_update_elem(f->revive_fd, &zero, &no_revive, 0))
		return -errno;
	ret = fx_events_poll(f);
	f->nevents = 0;
	return ret;
}
