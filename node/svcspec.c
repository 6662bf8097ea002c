// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* svcspec.c - see svcspec.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "svcspec.h"

int baton_ip_parse(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*addr = ntohl(a.s_addr);
	return 0;
}

static int port_parse(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int baton_svc_spec_parse(const char *s, struct baton_svc_spec *out,
			 char *err, size_t errlen)
{
	char buf[64], *slash, *colon;
	int proto;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	slash = strrchr(buf, '/');
	if (!slash)
		goto bad;
	*slash = '\0';
	proto = baton_proto_from_str(slash + 1);
	if (proto < 0) {
		snprintf(err, errlen,
			 "service '%s': unknown protocol '%s' (tcp, udp, icmp)",
			 s, slash + 1);
		return -EINVAL;
	}
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (baton_ip_parse(buf, &out->vip)) {
		snprintf(err, errlen, "service '%s': bad address '%s'", s,
			 buf);
		return -EINVAL;
	}
	out->proto = (uint8_t)proto;
	out->port = 0;
	if (proto == IPPROTO_ICMP) {
		if (colon) {
			snprintf(err, errlen,
				 "service '%s': icmp services have no port "
				 "(VIP/icmp)", s);
			return -EINVAL;
		}
		return 0;
	}
	if (!colon || port_parse(colon + 1, &out->port)) {
		snprintf(err, errlen,
			 "service '%s': expected a port 1..65535 (VIP:PORT/%s)",
			 s, slash + 1);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "bad service '%s': expected VIP:PORT/PROTO or VIP/icmp", s);
	return -EINVAL;
}

int baton_be_spec_parse(const char *s, struct baton_be_spec *out, char *err,
			size_t errlen)
{
	char buf[64], *colon;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	if (baton_ip_parse(buf, &out->addr))
		goto bad;
	out->port = 0;
	out->has_port = !!colon;
	if (colon && port_parse(colon + 1, &out->port))
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "bad backend '%s': expected IP or IP:PORT", s);
	return -EINVAL;
}

char *baton_ip_str(uint32_t addr, char *buf)
{
	struct in_addr a = { .s_addr = htonl(addr) };

	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
	return buf;
}

char *baton_svc_spec_str(uint32_t vip, uint16_t port, uint8_t proto,
			 char *buf)
{
	char ip[INET_ADDRSTRLEN];
	const char *p = baton_proto_str(proto);

	if (proto == IPPROTO_ICMP)
		snprintf(buf, BATON_SPEC_STRLEN, "%s/%s",
			 baton_ip_str(vip, ip), p ? p : "?");
	else
		snprintf(buf, BATON_SPEC_STRLEN, "%s:%u/%s",
			 baton_ip_str(vip, ip), port, p ? p : "?");
	return buf;
}

char *baton_be_spec_str(uint32_t addr, uint16_t port, char *buf)
{
	char ip[INET_ADDRSTRLEN];

	if (port)
		snprintf(buf, BATON_SPEC_STRLEN, "%s:%u", baton_ip_str(addr, ip),
			 port);
	else
		snprintf(buf, BATON_SPEC_STRLEN, "%s", baton_ip_str(addr, ip));
	return buf;
}
