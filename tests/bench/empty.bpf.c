// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * empty.bpf.c - the benchmark's floor: a TC program that does nothing, so
 * that what BPF_PROG_TEST_RUN itself costs (skb setup excluded, the
 * kernel's timer and the program call included) can be told apart from
 * what the datapath costs.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int bench_empty(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
