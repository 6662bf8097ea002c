/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fixture.h - a private network namespace and a loaded, unpinned copy of
 * the datapath, for BPF_PROG_TEST_RUN tests and the datapath benchmark.
 *
 * Topology (inside a namespace made with unshare(CLONE_NEWNET), so
 * bpf_fib_lookup() sees only this):
 *
 *   client 10.0.0.2 --- front 10.0.0.1/24 [LB] back 10.1.0.1/24 --- 10.1.0.11
 *                                              (+ 10.1.0.10 SNAT) --- 10.1.0.12
 *
 * Every neighbour is a PERMANENT static entry with a known MAC, and the
 * veths have fixed MACs, so the bytes the datapath writes are predictable.
 * The veth peers stay in the namespace (up, unused): nothing is sent.
 *
 * Maps are never pinned: each fixture has its own maps, invisible to a
 * batond running on the host.
 */
#ifndef BATON_TEST_FIXTURE_H
#define BATON_TEST_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "baton.h"
#include "pktgen.h"

struct baton;
struct ring_buffer;

#define FX_CLIENT "10.0.0.2"
#define FX_FRONT "10.0.0.1"
#define FX_BACK "10.1.0.1"
#define FX_SNAT "10.1.0.10"
#define FX_BE1 "10.1.0.11"
#define FX_BE2 "10.1.0.12"

#define FX_NODE_ID 1
#define FX_EPOCH 7
#define FX_SEED 0x5eed

extern const uint8_t fx_mac_client[6]; /* 10.0.0.2, behind front */
extern const uint8_t fx_mac_front[6];  /* LB, client side */
extern const uint8_t fx_mac_back[6];   /* LB, backend side */
extern const uint8_t fx_mac_be1[6];    /* 10.1.0.11 */
extern const uint8_t fx_mac_be2[6];    /* 10.1.0.12 */

#define FX_MAX_EVENTS 64

struct fixture {
	struct baton *skel;
	int if_front;
	int if_back;
	int prog_tc;
	int prog_slow;
	int prog_reply;
	int prog_xdp;
	int ct_fd;
	int nat_fd;
	int snat_fd;
	int rnat_fd;
	int reset_fd;	/* be_reset_map */
	int lb_fd;
	int be_stats_fd;
	int rr_fd;
	int drop_fd;
	int stats_fd;
	int cfg_fd;
	int revive_fd;	/* ct_v4_revive, all 0 after fx_reset */
	int pgm_fd;
	int ncpu;
	unsigned int ct_max;
	struct ring_buffer *rb;
	int nevents;
	struct ct_v4_event events[FX_MAX_EVENTS];
	struct lb_v4_table *tables[BATON_MAX_SERVICES];
};

/* Enter a new network namespace and build the topology. Returns 0, or
 * -errno with a message on stderr (-EPERM: not allowed to, a skip). */
int fx_netns_setup(void);

/* Open and load the datapath with ct_v4_map sized ct_max, nothing pinned;
 * fill pgm_tbl and baton_cfg. Returns 0 or -errno. */
int fx_open(struct fixture *f, unsigned int ct_max);
void fx_close(struct fixture *f);

struct fx_backend {
	const char *addr;
	uint16_t port; /* host order */
	uint32_t weight;
	bool inactive; /* present without BE_F_ACTIVE */
};

struct fx_service {
	const char *vip;
	uint16_t port; /* host order, 0 for ICMP */
	uint8_t proto;
	uint16_t svc_id;
	uint8_t mode;	  /* enum baton_mode */
	uint8_t algo;	  /* enum baton_algo */
	const char *snat; /* fullNAT source address */
	unsigned int nbe;
	struct fx_backend be[4];
};

/* Program a service into nat_v4_map and lb_v4_map (slot 0), with the
 * schedule from baton_maglev_build() or baton_wrr_build() (an empty one
 * when nothing is selectable). Returns 0 or -errno. */
int fx_add_service(struct fixture *f, const struct fx_service *s);

/* The backend id Maglev picks for a client tuple (addresses network order,
 * ports host order), computed in user space from the table this fixture
 * wrote and bpf/jhash.h; -1 if the service has no schedule. */
int fx_maglev_pick(const struct fixture *f, uint16_t svc_id, uint32_t saddr,
		   uint32_t daddr, uint16_t sport, uint16_t dport,
		   uint8_t proto);

/* The fullNAT source port (host order) the datapath tries first. */
/* Set baton_cfg's fullNAT port share (slot of slots) and mirror it in
 * fx_snat_port. 0 or -errno. */
int fx_set_snat_share(struct fixture *f, uint16_t slot, uint16_t slots);
uint16_t fx_snat_port(uint32_t saddr, uint32_t daddr, uint16_t sport,
		      uint16_t dport, uint8_t proto, unsigned int try);

/* Run a TC program on a packet arriving on ifindex (ingress_ifindex set
 * to the same unless ingress is given >= 0). out may be NULL. Returns 0 or
 * -errno; *retval is the TC verdict, *duration the kernel's ns. */
int fx_run_tc(struct fixture *f, int prog_fd, int ifindex, int ingress,
	      const struct pkt *in, struct pkt *out, uint32_t *retval,
	      uint32_t *duration);
int fx_run_xdp(struct fixture *f, const struct pkt *in, struct pkt *out,
	       uint32_t *retval);

/* Sum of a per-CPU counter over all CPUs. */
uint64_t fx_percpu_sum(const struct fixture *f, int fd, uint32_t key);
/* Zero every slot of a per-CPU array with max entries n. */
int fx_percpu_clear(const struct fixture *f, int fd, uint32_t n);

/* Delete every conntrack entry; count them. */
int fx_ct_clear(struct fixture *f);
long fx_ct_count(const struct fixture *f);

/* Reset what tests observe: conntrack, counters, backend stats, WRR
 * positions, pending events. */
int fx_reset(struct fixture *f);

/* Move pending ring buffer events into f->events (f->nevents). */
int fx_events_poll(struct fixture *f);

uint32_t fx_ip(const char *dotted); /* network order */

#endif /* BATON_TEST_FIXTURE_H */
