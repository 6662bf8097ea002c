/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * maps.h - every map of the datapath. All are pinned by name under the pin
 * root batond passes to libbpf (default /sys/fs/bpf/baton/), so a restarted
 * batond reuses them and `bpftool map dump pinned .../NAME` shows the BTF
 * field names. Names stay within 15 characters.
 */
#ifndef BATON_LIB_MAPS_H
#define BATON_LIB_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "baton.h"

/* Conntrack, both halves of every pair. Datapath creates and updates,
 * batond's sync installs, batond's GC deletes. A plain (preallocated) hash:
 * no LRU, so nothing is ever evicted to make room; a full table refuses new
 * flows (DROP_CT_FULL). max_entries is set by batond from the config. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BATON_CT_DEFAULT_MAX);
	__type(key, struct ct_v4_key);
	__type(value, struct ct_v4_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ct_v4_map SEC(".maps");

/* The slow path's reply half under construction (one per CPU): its stack
 * cannot hold both halves of a pair. Not pinned: nothing outlives a packet. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_v4_entry);
} ct_scratch SEC(".maps");

/* Virtual services (VIP, port, proto) -> service. Written by batond. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BATON_MAX_SERVICES);
	__type(key, struct nat_v4_key);
	__type(value, struct nat_v4_svc);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} nat_v4_map SEC(".maps");

/*
 * fullNAT source addresses (network order) -> 1. Written by batond. A TCP
 * or UDP packet to one of them, at a port fullNAT hands out, that misses
 * conntrack is a reply of a flow this node does not hold (yet: the sync of
 * a flow made on a peer a few ms ago): it is dropped, as the stack would
 * answer it with a RST and kill a connection whose entry is on its way.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BATON_MAX_SERVICES);
	__type(key, __be32);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} snat_v4_map SEC(".maps");

/* Backend endpoints of DNAT services -> their service (struct
 * rnat_v4_val). Written by batond; read by the asymmetric return path. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BATON_MAX_SERVICES * BATON_MAX_BACKENDS);
	__type(key, struct nat_v4_key);
	__type(value, struct rnat_v4_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rnat_v4_map SEC(".maps");

/* Backends and schedule, two slots per service (svc_id * 2 + slot).
 * Written by batond into the inactive slot only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BATON_MAX_SERVICES * 2);
	__type(key, __u32);
	__type(value, struct lb_v4_table);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lb_v4_map SEC(".maps");

/* Per-backend flow counters (svc_id * MAX_BACKENDS + be_id). The datapath
 * adds on flow creation and subtracts when a flow closes (clearing
 * CT_F_COUNTED atomically); batond's GC subtracts for entries it expires
 * that still carry CT_F_COUNTED, through an mmap of the map so that it can
 * use atomic operations too. Input to least-connections. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, BATON_MAX_SERVICES * BATON_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct be_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} be_stats_map SEC(".maps");

/* Per backend (svc_id * MAX_BACKENDS + be_id): non-zero while its TCP
 * flows are being reset (health.on_down: reset; read with
 * BATON_CFG_F_RESET). Written by batond. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BATON_MAX_SERVICES * BATON_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} be_reset_map SEC(".maps");

/* Weighted round-robin position per service (svc_id). Datapath only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BATON_MAX_SERVICES);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rr_map SEC(".maps");

/* Tail-call table: BATON_PGM_SLOW -> tc_packet_func_slow. Written by batond
 * at every load; pinned so the table keeps its entries while no batond runs
 * (a prog array is emptied when its last user reference goes away). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, BATON_PGM_MAX);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pgm_tbl SEC(".maps");

/* Drop counters per reason (enum baton_drop), per CPU. Datapath only. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} drop_stats SEC(".maps");

/* Packet counters (enum baton_stat), per CPU. Datapath only. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pkt_stats SEC(".maps");

/* Conntrack events for batond (struct ct_v4_event). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, BATON_RINGBUF_SIZE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ct_events SEC(".maps");

/* Node-wide settings (struct baton_cfg at index 0). Written by batond. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct baton_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} baton_cfg SEC(".maps");

/* When a packet on an idle flow announces it again (struct ct_v4_revive
 * at index 0). Written by batond. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_v4_revive);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ct_v4_revive SEC(".maps");

#endif /* BATON_LIB_MAPS_H */
