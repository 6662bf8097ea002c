/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * svcspec.h - the textual names of services and backends that batonctl
 * takes and batond prints:
 *   service  VIP:PORT/PROTO   (tcp, udp)     10.0.0.100:80/tcp
 *            VIP/icmp                         10.0.0.100/icmp
 *   backend  IP[:PORT]        (port defaults to the service port)
 * Pure; addresses and ports in host order like config.h.
 */
#ifndef BATON_SVCSPEC_H
#define BATON_SVCSPEC_H

#include <stddef.h>
#include <stdint.h>

struct baton_svc_spec {
	uint32_t vip;
	uint16_t port;
	uint8_t proto;
};

struct baton_be_spec {
	uint32_t addr;
	uint16_t port;
	int has_port;
};

/* Longest "255.255.255.255:65535/icmp" plus NUL, with room to spare. */
#define BATON_SPEC_STRLEN 32

/* 0 or -EINVAL; err says what is wrong. */
int baton_svc_spec_parse(const char *s, struct baton_svc_spec *out,
			 char *err, size_t errlen);
int baton_be_spec_parse(const char *s, struct baton_be_spec *out, char *err,
			size_t errlen);
/* A dotted quad, host order. 0 or -EINVAL. */
int baton_ip_parse(const char *s, uint32_t *addr);

/* Formatting; buf of at least BATON_SPEC_STRLEN. Returns buf. */
char *baton_svc_spec_str(uint32_t vip, uint16_t port, uint8_t proto,
			 char *buf);
char *baton_be_spec_str(uint32_t addr, uint16_t port, char *buf);
char *baton_ip_str(uint32_t addr, char *buf);

#endif /* BATON_SVCSPEC_H */
