// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lbtime.bpf.c - the time one CPU spends in the NET_RX softirq, exactly
 * (raw tracepoints softirq_entry and softirq_exit, nanoseconds): the
 * comparison benchmark steers everything its LB node receives to one CPU
 * (RPS) and nothing else there, so this is the LB node's CPU time for
 * receiving, processing and forwarding (tests/bench/compare.sh). Unlike
 * /proc/stat, which samples at the tick, it does not count the time the
 * CPU spends waking up for the work, only the work.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define NET_RX_SOFTIRQ 3

struct lbtime_acc {
	__u64 ns;
	__u64 runs;
	__u64 t0;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lbtime_acc);
} lbtime_map SEC(".maps");

const volatile __u32 target_cpu;

static __always_inline struct lbtime_acc *acc(unsigned int vec)
{
	__u32 k = 0;

	if (vec != NET_RX_SOFTIRQ || bpf_get_smp_processor_id() != target_cpu)
		return NULL;
	return bpf_map_lookup_elem(&lbtime_map, &k);
}

SEC("raw_tp/softirq_entry")
int BPF_PROG(rx_enter, unsigned int vec)
{
	struct lbtime_acc *a = acc(vec);

	if (a)
		a->t0 = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/softirq_exit")
int BPF_PROG(rx_exit, unsigned int vec)
{
	struct lbtime_acc *a = acc(vec);

	if (a && a->t0) {
		a->ns += bpf_ktime_get_ns() - a->t0;
		a->runs++;
		a->t0 = 0;
	}
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
