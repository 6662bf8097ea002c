// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * kaconf.c - baton.yaml -> keepalived.conf (see kaconf.h for what is
 * written and why).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genout.h"
#include "kaconf.h"

/* Where an address of an instance comes from, for messages. */
enum ka_origin { KA_LISTED, KA_VIP, KA_SNAT };

struct ka_addr {
	uint32_t addr;		/* host order */
	uint8_t plen;
	uint8_t origin;		/* enum ka_origin */
	uint16_t index;		/* into addresses[] or services[] */
};

/* Every listed address, and a VIP and a snat address per service. */
#define KA_MAX_ADDRS	(BATON_VRRP_MAX_ADDRS + 2 * BATON_MAX_SERVICES)

struct ka_inst {
	const char *name;			/* "front" or "back" */
	const struct baton_vrrp_inst_cfg *cfg;
	size_t n, nlisted;			/* listed ones first */
	struct ka_addr a[KA_MAX_ADDRS];
};

/* "ha.vrrp.back.addresses[0]", "the VIP of services[3]", ... */
static const char *origin_str(const struct ka_inst *in,
			      const struct ka_addr *a, char *buf, size_t len)
{
	switch (a->origin) {
	case KA_LISTED:
		snprintf(buf, len, "ha.vrrp.%s.addresses[%u]", in->name,
			 a->index);
		break;
	case KA_VIP:
		snprintf(buf, len, "the vip of services[%u]", a->index);
		break;
	default:
		snprintf(buf, len, "the snat of services[%u]", a->index);
		break;
	}
	return buf;
}

static const struct ka_addr *ka_find(const struct ka_inst *in, uint32_t addr)
{
	for (size_t i = 0; in && i < in->n; i++)
		if (in->a[i].addr == addr)
			return &in->a[i];
	return NULL;
}

/*
 * A service's address for instance `in`: once, whatever the number of
 * services (or listed addresses) that name it, and never also on the
 * other instance: keepalived would add it with one and delete it with
 * the other.
 */
static int ka_add(const struct baton_config *cfg, struct ka_inst *in,
		  const struct ka_inst *other, uint32_t addr, uint8_t origin,
		  size_t index, char *err, size_t errlen)
{
	const struct ka_addr *o;
	char ip[INET_ADDRSTRLEN], w1[64], w2[64];
	struct ka_addr a = {
		.addr = addr, .plen = 32, .origin = origin,
		.index = (uint16_t)index,
	};

	if (ka_find(in, addr))
		return 0;
	o = ka_find(other, addr);
	if (o) {
		gen_fail(err, errlen, "%s: ha.vrrp: %s is %s (%s) and %s (%s); an "
		     "address can be on one instance only",
		     cfg->path[0] ? cfg->path : "config",
		     gen_ip_str(addr, ip, sizeof(ip)),
		     origin_str(other, o, w1, sizeof(w1)), other->name,
		     origin_str(in, &a, w2, sizeof(w2)), in->name);
		return -EINVAL;
	}
	if (in->n >= KA_MAX_ADDRS)
		return -EINVAL;	/* cannot happen: validated sizes */
	in->a[in->n++] = a;
	return 0;
}

static int cmp_addr(const void *x, const void *y)
{
	const struct ka_addr *a = x, *b = y;

	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static void ka_listed(struct ka_inst *in, const char *name,
		      const struct baton_vrrp_inst_cfg *vi)
{
	in->name = name;
	in->cfg = vi;
	for (size_t i = 0; i < vi->naddrs; i++)
		in->a[i] = (struct ka_addr){
			.addr = vi->addrs[i].addr, .plen = vi->addrs[i].plen,
			.origin = KA_LISTED, .index = (uint16_t)i,
		};
	in->n = in->nlisted = vi->naddrs;
}

/* The instances and their addresses; back->cfg is NULL without back. */
static int ka_collect(const struct baton_config *cfg, struct ka_inst *front,
		      struct ka_inst *back, char *err, size_t errlen)
{
	const struct baton_vrrp_cfg *vr = &cfg->ha.vrrp;
	struct ka_inst *snat_in = vr->back.enabled ? back : front;
	size_t i;
	int ret;

	ka_listed(front, BATON_KACONF_FRONT, &vr->front);
	if (vr->back.enabled)
		ka_listed(back, BATON_KACONF_BACK, &vr->back);
	for (i = 0; i < cfg->nservices; i++) {
		const struct baton_service_cfg *s = &cfg->services[i];

		ret = ka_add(cfg, front, back->cfg ? back : NULL, s->vip,
			     KA_VIP, i, err, errlen);
		if (!ret && s->mode == BATON_MODE_FULLNAT && s->snat)
			ret = ka_add(cfg, snat_in, snat_in == back ? front :
				     NULL, s->snat, KA_SNAT, i, err, errlen);
		if (ret)
			return ret;
	}
	qsort(front->a + front->nlisted, front->n - front->nlisted,
	      sizeof(front->a[0]), cmp_addr);
	if (back->cfg)
		qsort(back->a + back->nlisted, back->n - back->nlisted,
		      sizeof(back->a[0]), cmp_addr);

	if (!front->n) {
		gen_fail(err, errlen, "%s: ha.vrrp.front: no address to carry "
		     "(no services and no ha.vrrp.front.addresses)",
		     cfg->path[0] ? cfg->path : "config");
		return -EINVAL;
	}
	if (back->cfg && !back->n) {
		gen_fail(err, errlen, "%s: ha.vrrp.back: no address to carry "
		     "(no fullnat services and no ha.vrrp.back.addresses: "
		     "list the backends' gateway there)",
		     cfg->path[0] ? cfg->path : "config");
		return -EINVAL;
	}
	return 0;
}

/* advert_ms in seconds as keepalived reads it: "0.1", "1", "1.25". */
static const char *advert_str(uint32_t ms, char *buf, size_t len)
{
	uint32_t cs = ms / 10;

	if (cs % 100 == 0)
		snprintf(buf, len, "%" PRIu32, cs / 100);
	else if (cs % 10 == 0)
		snprintf(buf, len, "%" PRIu32 ".%" PRIu32, cs / 100,
			 cs % 100 / 10);
	else
		snprintf(buf, len, "%" PRIu32 ".%02" PRIu32, cs / 100,
			 cs % 100);
	return buf;
}

static void out_addrs(struct gen_out *o, const char *block,
		      const struct ka_inst *in, size_t from, size_t to)
{
	char ip[INET_ADDRSTRLEN];

	if (from >= to)
		return;
	gen_outf(o, "\t%s {\n", block);
	for (size_t i = from; i < to; i++)
		gen_outf(o, "\t\t%s/%u dev %s\n",
		     gen_ip_str(in->a[i].addr, ip, sizeof(ip)), in->a[i].plen,
		     in->cfg->ifname);
	gen_outf(o, "\t}\n");
}

static void out_inst(struct gen_out *o, const struct baton_vrrp_cfg *vr,
		     const struct ka_inst *in)
{
	const struct baton_vrrp_inst_cfg *vi = in->cfg;
	/* listed addresses are advertised; without any, the lowest other */
	size_t adv = in->nlisted ? in->nlisted : 1;
	char ip[INET_ADDRSTRLEN], adv_int[16];

	gen_outf(o, "vrrp_instance %s {\n", in->name);
	gen_outf(o, "\tstate BACKUP\n");
	gen_outf(o, "\tinterface %s\n", vi->ifname);
	gen_outf(o, "\tvirtual_router_id %u\n", vi->vrid);
	gen_outf(o, "\tpriority %u\n", vr->priority);
	gen_outf(o, "\tadvert_int %s\n",
	     advert_str(vr->advert_ms, adv_int, sizeof(adv_int)));
	if (vi->source)
		gen_outf(o, "\t%s %s\n", vi->npeers ? "unicast_src_ip" :
		     "mcast_src_ip", gen_ip_str(vi->source, ip, sizeof(ip)));
	if (vi->npeers) {
		gen_outf(o, "\tunicast_peer {\n");
		for (size_t i = 0; i < vi->npeers; i++)
			gen_outf(o, "\t\t%s\n",
			     gen_ip_str(vi->peers[i], ip, sizeof(ip)));
		gen_outf(o, "\t}\n");
	}
	out_addrs(o, "virtual_ipaddress", in, 0, adv);
	out_addrs(o, "virtual_ipaddress_excluded", in, adv, in->n);
	gen_outf(o, "}\n");
}

static void out_globals(struct gen_out *o, const struct baton_config *cfg)
{
	const struct baton_ha_cfg *h = &cfg->ha;
	/* keepalived takes at most 10 s */
	uint32_t delay_us = h->vrrp.advert_ms * 1000;

	if (delay_us > 10000000)
		delay_us = 10000000;
	gen_outf(o, "global_defs {\n"
	     "\t# unique per node: keepalived's logs and SNMP name it\n"
	     "\trouter_id baton-%" PRIu32 "\n"
	     "\t# sub-second advert_int needs VRRPv3 (centiseconds)\n"
	     "\tvrrp_version 3\n"
	     "\t# batond (ha.notify_fifo) reads the group's states here:\n"
	     "\t# GROUP \"%s\" MASTER 0 (VRRP lines only, no checker "
	     "lines)\n"
	     "\tvrrp_notify_fifo %s\n"
	     "\t# a reload re-sends the group's state: a batond restarted "
	     "since the\n"
	     "\t# last transition learns it (systemctl reload keepalived)\n"
	     "\tfifo_write_vrrp_states_on_reload\n"
	     "\t# gratuitous ARPs on becoming MASTER, for every address: 5 "
	     "at once,\n"
	     "\t# 5 more 5 s later (keepalived's defaults, written out)\n"
	     "\tvrrp_garp_master_repeat 5\n"
	     "\tvrrp_garp_master_delay 5\n"
	     "\t# a VRRP process that runs late misses adverts and the "
	     "peer takes\n"
	     "\t# over: switch to real-time scheduling when it is an advert "
	     "interval\n"
	     "\t# late\n"
	     "\tmax_auto_priority\n"
	     "\tmin_auto_priority_delay %" PRIu32 "\n"
	     "\t# real-time, the kernel kills it after this much CPU time "
	     "without a\n"
	     "\t# blocking call (RLIMIT_RTTIME); softirq work that "
	     "interrupts it\n"
	     "\t# counts too, and keepalived's 10 ms default killed the VRRP "
	     "process\n"
	     "\t# of a node busy forwarding: only a runaway loop takes 1 s\n"
	     "\tvrrp_rlimit_rttime 1000000\n"
	     "}\n\n",
	     cfg->node_id, h->follow, h->notify_fifo, delay_us);
}

static void out_track(struct gen_out *o, const struct baton_ha_cfg *h)
{
	gen_outf(o, "# batond's verdict on this node (ha.track_file, "
	     "ha/role.h):\n"
	     "#      0  ready              the configured priority\n"
	     "#   -253  resync incomplete  priority 1: a ready peer preempts "
	     "it, alone\n"
	     "#                            it still serves\n"
	     "#   -254  datapath detached  FAULT: the addresses are released\n"
	     "# init_file without overwrite: FAULT from boot (/run is empty) "
	     "until\n"
	     "# batond has attached its datapath and written its verdict; a\n"
	     "# keepalived restart keeps what a running batond wrote.\n"
	     "track_file " BATON_KACONF_TRACK " {\n"
	     "\tfile \"%s\"\n"
	     "\tweight 1\n"
	     "\tinit_file %d\n"
	     "}\n\n", h->track_file, BATON_KACONF_INIT_TRACK);
}

static void out_group(struct gen_out *o, const struct baton_ha_cfg *h,
		      bool back)
{
	gen_outf(o, "# The addresses move together. The track file is weighed "
	     "on the group:\n"
	     "# keepalived forces weight 0 on its members' trackers (any "
	     "non-zero\n"
	     "# value would be FAULT); the group's keeps weight 1 and "
	     "lowers both\n"
	     "# instances together.\n"
	     "vrrp_sync_group %s {\n"
	     "\tgroup {\n"
	     "\t\t" BATON_KACONF_FRONT "\n"
	     "%s"
	     "\t}\n"
	     "\ttrack_file {\n"
	     "\t\t" BATON_KACONF_TRACK " weight 1\n"
	     "\t}\n"
	     "}\n\n", h->follow, back ? "\t\t" BATON_KACONF_BACK "\n" : "");
}

int baton_kaconf_render(const struct baton_config *cfg, const char *source,
			char *buf, size_t len, char *err, size_t errlen)
{
	struct gen_out o = { .buf = buf, .len = buf ? len : 0 };
	/* ~4 KiB each, on the stack: the heap would be the only allocation */
	struct ka_inst front = {}, back = {};
	int ret;

	ret = gen_start(&o, cfg, err, errlen);
	if (ret)
		return ret;
	if (!cfg->ha.enabled || !cfg->ha.vrrp.enabled) {
		gen_fail(err, errlen, "%s: ha.vrrp: required: this node's VRRP "
		     "parameters (priority, front, back; see "
		     "deploy/baton.yaml)", cfg->path[0] ? cfg->path :
		     "config");
		return -EINVAL;
	}
	ret = ka_collect(cfg, &front, &back, err, errlen);
	if (ret)
		return ret;

	gen_header(&o, cfg, source ? source : "baton.yaml", "keepalived.conf",
		   "baton-keepalived", "\n"
		   "# (deploy/systemd/keepalived.service.d/baton.conf does so "
		   "at every start\n"
		   "# and reload of keepalived); --check THIS_FILE compares.\n\n");
	out_globals(&o, cfg);
	out_track(&o, &cfg->ha);
	out_group(&o, &cfg->ha, back.cfg != NULL);
	gen_outf(&o, "# Service VIPs. BACKUP on both nodes: the priority "
	     "decides, and preempt\n"
	     "# stays on (keepalived's default) so that a ready node takes "
	     "the\n"
	     "# addresses back from one demoted to priority 1. Adverts "
	     "carry only\n"
	     "# the virtual_ipaddress: keepalived drops adverts whose "
	     "addresses differ\n"
	     "# from its own, and the two nodes' services may differ during "
	     "a change.\n");
	out_inst(&o, &cfg->ha.vrrp, &front);
	if (back.cfg) {
		gen_outf(&o, "\n# The backends' gateway (two-arm DNAT) and the "
		     "fullNAT source addresses.\n");
		out_inst(&o, &cfg->ha.vrrp, &back);
	}
	if (o.pos > (size_t)INT32_MAX)
		return -EINVAL;
	return (int)o.pos;
}

/* ---- compare ------------------------------------------------------------ */

struct ka_lines {
	const char *p, *end;
	int line;		/* of the line last returned */
};

/* The next line that is neither blank nor a comment; false at the end. */
static bool next_line(struct ka_lines *l, const char **s, size_t *len)
{
	while (l->p < l->end) {
		const char *nl = memchr(l->p, '\n', l->end - l->p);
		const char *e = nl ? nl : l->end;
		const char *q = l->p;

		*s = l->p;
		*len = e - l->p;
		l->p = nl ? nl + 1 : l->end;
		l->line++;
		while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q < e && *q != '#' && *q != '!')
			return true;
	}
	return false;
}

int baton_kaconf_compare(const char *want, size_t want_len, const char *got,
			 size_t got_len, struct baton_kaconf_diff *d)
{
	struct ka_lines w = { want, want + want_len, 0 };
	struct ka_lines g = { got, got + got_len, 0 };
	bool hw, hg;

	memset(d, 0, sizeof(*d));
	d->want = d->got = "";
	for (;;) {
		hw = next_line(&w, &d->want, &d->want_len);
		hg = next_line(&g, &d->got, &d->got_len);
		if (!hw && !hg)
			break;
		if (hw && hg && d->want_len == d->got_len &&
		    !memcmp(d->want, d->got, d->want_len))
			continue;
		d->want_line = hw ? w.line : 0;
		d->got_line = hg ? g.line : 0;
		if (!hw) {
			d->want = "";
			d->want_len = 0;
		}
		if (!hg) {
			d->got = "";
			d->got_len = 0;
		}
		return 1;
	}
	memset(d, 0, sizeof(*d));
	d->want = d->got = "";
	return 0;
}
