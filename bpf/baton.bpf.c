/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "lib/maps.h"

SEC("tc")
int tc_packet_func(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

SEC("tc")
int tc_packet_func_slow(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

SEC("xdp")
int xdp_packet_func(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
