// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cttimeout.c - see cttimeout.h. */
#include <netinet/in.h>
#include <string.h>

#include "cttimeout.h"

#define NS_PER_S 1000000000ull

void baton_ct_timeouts_from_config(struct baton_ct_timeouts *t,
				   const struct baton_config *cfg)
{
	memcpy(t->tcp_s, cfg->timeout_s, sizeof(t->tcp_s));
	t->udp_s = cfg->udp_timeout_s;
	t->udp_est_s = cfg->udp_est_timeout_s;
	t->icmp_s = cfg->icmp_timeout_s;
	t->half_open_pressure_s = cfg->half_open_pressure_s;
}

uint64_t baton_ct_timeout_ns(const struct baton_ct_timeouts *t, uint8_t proto,
			     uint8_t state)
{
	uint32_t s;

	switch (proto) {
	case IPPROTO_TCP:
		/* An unknown state is kept as long as an established one;
		 * NONE and NEW have no TCP timeout in the config (0), so
		 * they age like a connection attempt. */
		s = state < CT_STATE_MAX ? t->tcp_s[state]
					 : t->tcp_s[CT_STATE_ESTABLISHED];
		if (!s)
			s = t->tcp_s[CT_STATE_SYN_SENT];
		break;
	case IPPROTO_UDP:
		s = state == CT_STATE_NEW ? t->udp_s : t->udp_est_s;
		break;
	case IPPROTO_ICMP:
		s = t->icmp_s;
		break;
	default:
		s = t->udp_s;
		break;
	}
	return (uint64_t)s * NS_PER_S;
}

bool baton_ct_half_open(uint8_t proto, uint8_t state)
{
	if (proto == IPPROTO_TCP)
		return state < CT_STATE_ESTABLISHED;
	return state <= CT_STATE_NEW;
}

uint64_t baton_ct_gc_timeout_ns(const struct baton_ct_timeouts *t,
				uint8_t proto, uint8_t state, bool pressure)
{
	uint64_t ns = baton_ct_timeout_ns(t, proto, state);
	uint64_t cap = (uint64_t)t->half_open_pressure_s * NS_PER_S;

	if (pressure && cap && ns > cap && baton_ct_half_open(proto, state))
		return cap;
	return ns;
}

/* The refresh reaches a peer later than refresh_s after a packet by the
 * pass's own time (its 100 ms tick, the walk to the flow: about 0.5 s per
 * million entries) and the link's. */
#define REVIVE_MARGIN_S 2

static uint32_t revive_s(uint64_t timeout_ns, uint32_t refresh_s)
{
	uint32_t t = (uint32_t)(timeout_ns / NS_PER_S), r, lead;

	if (!t)
		return 0;
	lead = refresh_s + REVIVE_MARGIN_S;
	r = t > lead ? t - lead : 0;
	if (r < t / 2)
		r = t / 2;
	return r ? r : 1;
}

void baton_ct_revive_from_config(struct ct_v4_revive *r,
				 const struct baton_config *cfg)
{
	struct baton_ct_timeouts t;
	uint32_t refresh = cfg->sync.refresh_s;

	memset(r, 0, sizeof(*r));
	if (!cfg->sync.npeers)
		return;
	baton_ct_timeouts_from_config(&t, cfg);
	/* A TCP flow replicates from SYN_RECV on (sync's replicable()):
	 * before that no peer holds a copy to lose. */
	for (uint8_t st = CT_STATE_SYN_RECV; st < CT_STATE_MAX; st++)
		r->tcp_s[st] = revive_s(baton_ct_timeout_ns(&t, IPPROTO_TCP,
							    st), refresh);
	r->udp_s = revive_s(baton_ct_timeout_ns(&t, IPPROTO_UDP,
					       CT_STATE_ESTABLISHED), refresh);
	r->icmp_s = revive_s(baton_ct_timeout_ns(&t, IPPROTO_ICMP,
						CT_STATE_ESTABLISHED), refresh);
}
