/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fuzz_sync_decode.c - libFuzzer target for bsync_decode() (sync/wire.h).
 *
 * Besides "no crash, no overread, no UB" (the sanitizers), it holds the
 * decoder to its contract on every input: a rejected message is
 * -EBADMSG or -EPROTONOSUPPORT with nothing in the result; an accepted
 * one has only valid records of its type, re-encodes through the writer
 * to exactly the same bytes (the format has one spelling per message),
 * and each of its flows survives bsync_flow_to_ct() -> bsync_flow_from_ct()
 * unchanged, so what a peer may send is what a peer can install.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "wire.h"

/* Late enough that no idle time (at most 65535 s) is clamped at 0. */
#define NOW_NS	(1ull << 60)

static struct bsync_flow flows[BSYNC_MAX_RECORDS];
static struct bsync_key keys[BSYNC_MAX_RECORDS];
static uint8_t out[BSYNC_MAX_MSG];

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_flow_survives_ct(const struct bsync_flow *f)
{
	struct ct_v4_entry fwd, rev;
	struct ct_v4_key fk, rk;
	struct bsync_flow g;
	int ret;

	ret = bsync_flow_to_ct(f, 1, 0, 0, true, NOW_NS, &fk, &fwd, &rk, &rev);
	check(ret == (f->mode == BATON_MODE_DSR ? 0 : 1));
	check(bsync_flow_from_ct(&fk, &fwd, NOW_NS, &g) == 0);
	check(g.proto == f->proto && g.mode == f->mode &&
	      g.state == f->state && g.fin == f->fin &&
	      g.idle_s == f->idle_s && g.epoch == f->epoch &&
	      g.caddr == f->caddr && g.cport == f->cport &&
	      g.vip == f->vip && g.vport == f->vport &&
	      g.baddr == f->baddr && g.bport == f->bport &&
	      g.snat_addr == f->snat_addr && g.snat_port == f->snat_port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bsync_msg zero;
	struct bsync_writer w;
	struct bsync_msg m;
	size_t i;
	int ret;

	ret = bsync_decode(data, size, &m, flows, keys);
	if (ret) {
		check(ret == -EBADMSG || ret == -EPROTONOSUPPORT);
		check(!memcmp(&m, &zero, sizeof(m)));
		return 0;
	}
	check(m.hdr.type >= BSYNC_UPDATE && m.hdr.type < BSYNC_TYPE_MAX);
	check(m.hdr.sender != 0 && m.hdr.count <= BSYNC_MAX_RECORDS);
	check(m.nflows + m.nkeys + (m.hdr.type == BSYNC_RESYNC_END) ==
	      m.hdr.count);

	bsync_writer_init(&w, out, sizeof(out), &m.hdr);
	for (i = 0; i < m.nflows; i++) {
		check(bsync_flow_check(&m.flows[i]) == 0);
		check(bsync_put_flow(&w, &m.flows[i]) == 0);
		check_flow_survives_ct(&m.flows[i]);
	}
	for (i = 0; i < m.nkeys; i++) {
		check(bsync_key_check(&m.keys[i]) == 0);
		check(bsync_put_key(&w, &m.keys[i]) == 0);
	}
	if (m.hdr.type == BSYNC_RESYNC_END)
		check(bsync_put_total(&w, m.resync_total) == 0);
	check(bsync_writer_finish(&w) == size);
	check(!memcmp(out, data, size));
	return 0;
}
