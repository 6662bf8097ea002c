// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* birdconf.c - baton.yaml -> bird.conf (see birdconf.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "birdconf.h"
#include "genout.h"

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

/* The VIPs, once each, sorted: reordering services changes nothing. */
static void out_vips(struct gen_out *o, const struct baton_config *cfg)
{
	uint32_t vips[BATON_MAX_SERVICES];
	size_t n = 0;
	char ip[16];

	for (size_t i = 0; i < cfg->nservices && n < BATON_MAX_SERVICES; i++)
		vips[n++] = cfg->services[i].vip;
	qsort(vips, n, sizeof(vips[0]), cmp_u32);
	gen_outf(o, "# The VIPs, through the interface batond keeps up while "
		 "this node is ready.\nprotocol static " BATON_BIRD_VIPS " {\n"
		 "\tipv4;\n\tcheck link on;\n");
	for (size_t i = 0; i < n; i++) {
		if (i && vips[i] == vips[i - 1])
			continue;
		gen_outf(o, "\troute %s/32 via \"", gen_ip_str(vips[i], ip,
							       sizeof(ip)));
		gen_out_clean(o, cfg->ecmp.health_iface);
		gen_outf(o, "\";\n");
	}
	gen_outf(o, "}\n\n");
}

static void out_return(struct gen_out *o, const struct baton_config *cfg)
{
	const struct baton_bgp_side *b = &cfg->ecmp.bgp.back;
	char ip[16];

	gen_outf(o, "# The client prefixes, for the backends' router: DNAT "
		 "replies come back\n# over the healthy nodes.\n"
		 "protocol static " BATON_BIRD_RETURN " {\n"
		 "\tipv4;\n\tcheck link on;\n");
	for (size_t i = 0; i < b->nprefixes; i++) {
		gen_outf(o, "\troute %s/%u via \"",
			 gen_ip_str(b->prefixes[i].addr, ip, sizeof(ip)),
			 b->prefixes[i].plen);
		gen_out_clean(o, cfg->ecmp.health_iface);
		gen_outf(o, "\";\n");
	}
	gen_outf(o, "}\n\n");
}

static void out_sessions(struct gen_out *o, const struct baton_bgp_side *side,
			 const char *name, const char *exported)
{
	char ip[16];

	for (size_t i = 0; i < side->nneighbors; i++) {
		const struct baton_bgp_neighbor *nb = &side->neighbors[i];

		gen_outf(o, "protocol bgp %s%zu from baton_bgp {\n"
			 "\tneighbor %s as %" PRIu32 ";\n"
			 "\tipv4 {\n\t\timport none;\n"
			 "\t\texport where proto = \"%s\";\n"
			 "\t\tnext hop self;\n\t};\n}\n\n", name, i + 1,
			 gen_ip_str(nb->addr, ip, sizeof(ip)), nb->asn,
			 exported);
	}
}

int baton_birdconf_render(const struct baton_config *cfg, const char *source,
			  char *buf, size_t len, char *err, size_t errlen)
{
	struct gen_out o = { .buf = buf, .len = buf ? len : 0 };
	const struct baton_bgp_cfg *bgp;
	char ip[16];
	int ret;

	ret = gen_start(&o, cfg, err, errlen);
	if (ret)
		return ret;
	bgp = &cfg->ecmp.bgp;
	if (!cfg->ecmp.enabled || !bgp->enabled) {
		gen_fail(err, errlen, "%s: ecmp.bgp: required: this node's "
			 "BGP parameters (asn, front neighbors; see "
			 "deploy/baton.yaml)", cfg->path[0] ? cfg->path :
			 "config");
		return -EINVAL;
	}

	gen_header(&o, cfg, source ? source : "baton.yaml", "bird.conf",
		   "baton-bird", " && birdc configure\n"
		   "# --check THIS_FILE compares.\n\n");
	if (bgp->router_id)
		gen_outf(&o, "router id %s;\n\n",
			 gen_ip_str(bgp->router_id, ip, sizeof(ip)));
	gen_outf(&o, "# Interfaces and their link state, for \"check link\".\n"
		 "protocol device {\n\tscan time 10;\n}\n\n");
	out_vips(&o, cfg);
	if (bgp->back.nneighbors)
		out_return(&o, cfg);
	if (bgp->bfd)
		gen_outf(&o, "# The router drops a node that stops answering "
			 "in %u ms.\nprotocol bfd {\n"
			 "\tinterface \"*\" {\n"
			 "\t\tmin rx interval %u ms;\n"
			 "\t\tmin tx interval %u ms;\n"
			 "\t\tmultiplier %u;\n\t};\n}\n\n",
			 BATON_BIRD_BFD_MS * BATON_BIRD_BFD_MULT,
			 BATON_BIRD_BFD_MS, BATON_BIRD_BFD_MS,
			 BATON_BIRD_BFD_MULT);
	gen_outf(&o, "template bgp baton_bgp {\n"
		 "\tlocal as %" PRIu32 ";\n"
		 "\thold time %" PRIu32 ";\n"
		 "\tkeepalive time %" PRIu32 ";\n"
		 "\tconnect delay time 1;\n"
		 "\tconnect retry time 1;\n"
		 "\terror wait time 1, 10;\n"
		 "%s"
		 "}\n\n", bgp->asn, bgp->hold_s,
		 bgp->hold_s / 3 ? bgp->hold_s / 3 : 1,
		 bgp->bfd ? "\tbfd on;\n" : "");
	out_sessions(&o, &bgp->front, "front", BATON_BIRD_VIPS);
	out_sessions(&o, &bgp->back, "back", BATON_BIRD_RETURN);
	if (o.pos > (size_t)INT32_MAX)
		return -EINVAL;
	return (int)o.pos;
}
