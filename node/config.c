/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * config.c - baton.yaml -> struct baton_config (see config.h for the
 * contract).
 *
 * The file is read with libyaml's document API (the whole tree in memory;
 * a config is a few KB) and walked by a fixed schema. Every mapping is first
 * checked against the keys it may hold, so an unknown or repeated key is
 * reported with its line whatever the order, and values are then read in
 * dependency order: a service's protocol before its port, its port before
 * the backends that default to it. The walk never recurses generically, so
 * YAML aliases (even cyclic ones) cannot make it loop or blow up.
 *
 * The parser checks syntax, types and ranges (it alone knows lines). Rules
 * that relate fields to each other live in baton_config_validate(), so the
 * file, a SIGHUP reload and a live change from batonctl are judged by the
 * same code. Exceptions, because the structs keep no line to name
 * afterwards: duplicate interface names (struct baton_iface_cfg), the
 * sync.tls rule (struct baton_sync_cfg) and the rules of ha.vrrp (struct
 * baton_vrrp_cfg) are also checked while parsing. So are those of ecmp:,
 * whose structs keep lines, for a message that points at the very key.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"

/* ---- ranges (shared by the parser and validate) ------------------------ */

#define PORT_MIN	1u
#define PORT_MAX	65535u
#define WEIGHT_MAX	65535u
#define HC_INTERVAL_MIN	100u
#define HC_INTERVAL_MAX	3600000u
#define HC_INTERVAL_DEFAULT 2000u
#define HC_TIMEOUT_MIN	10u
#define HC_TIMEOUT_DEFAULT 1000u
#define HC_COUNT_MAX	100u
#define HC_TYPE_CHOICES	"tcp|http|udp"
#define HC_ON_DOWN_CHOICES "keep|reset"
#define HC_STATUS_WHAT	"a status 100..599 or a range LOW-HIGH of them"
#define NODE_ID_MIN	1u
#define NODE_ID_MAX	UINT32_MAX
#define CT_MAX_MIN	1024u
#define CT_MAX_MAX	(16u << 20)
#define GC_MS_MIN	10u
#define GC_MS_MAX	60000u
#define TIMEOUT_MIN	1u
#define TIMEOUT_MAX	864000u		/* ten days */
#define SYNC_BATCH_MIN	1u
#define SYNC_BATCH_MAX	100u
#define SYNC_REFRESH_MIN 1u
#define SYNC_REFRESH_MAX 3600u
#define SYNC_QUEUE_MIN	16u
#define SYNC_QUEUE_MAX	(1u << 20)
#define HA_GRACE_DEFAULT 30000u
#define FOLLOW_TYPE_CHOICES "group|instance"
#define SPLIT_BRAIN_CHOICES "takeover|priority"

/* A config with 256 x 64 backends is ~1.5 MB; refuse anything absurd. */
#define CONFIG_MAX_BYTES	(16u << 20)

/* Room for the longest key path we name ("services[255].backends[63]..."). */
#define KEY_MAX		128
#define MAP_MAX_KEYS	16

/* Longest control socket path: sockaddr_un.sun_path with its NUL. */
#define CTL_PATH_MAX	sizeof(((struct sockaddr_un *)0)->sun_path)

#define MODE_CHOICES	"dnat|fullnat|dsr"
#define ALGO_CHOICES	"maglev|wrr|lc"
#define PROTO_CHOICES	"tcp|udp|icmp"
#define XDP_CHOICES	"native|generic|off"
#define LOG_CHOICES	"error|warn|info|debug"
#define BOOL_CHOICES	"true|false"
#define URL_WHAT	"a URL tcp://HOST:PORT or tls+tcp://HOST:PORT"
#define IFACE_WHAT	"an interface name (1..15 bytes, no '/', ':' or blanks)"
#define HEALTH_WHAT	"an interface name of 1..15 letters, digits, '.', '_' " \
			"or '-' (baton-bird writes it into bird.conf)"
#define GRACE_WHAT	"a number in 0..86400000 or 'forever'"

/*
 * conntrack.timeouts keys and where each lands. Both the parser and
 * validate walk this table, so a new timeout is one line here.
 */
static const char *const timeout_keys[] = {
	"tcp_syn_sent", "tcp_syn_recv", "tcp_established", "tcp_fin_wait",
	"tcp_close_wait", "tcp_time_wait", "tcp_closed",
	"udp", "udp_established", "icmp", "half_open_pressure",
};

static const size_t timeout_offs[] = {
	offsetof(struct baton_config, timeout_s[CT_STATE_SYN_SENT]),
	offsetof(struct baton_config, timeout_s[CT_STATE_SYN_RECV]),
	offsetof(struct baton_config, timeout_s[CT_STATE_ESTABLISHED]),
	offsetof(struct baton_config, timeout_s[CT_STATE_FIN_WAIT]),
	offsetof(struct baton_config, timeout_s[CT_STATE_CLOSE_WAIT]),
	offsetof(struct baton_config, timeout_s[CT_STATE_TIME_WAIT]),
	offsetof(struct baton_config, timeout_s[CT_STATE_CLOSED]),
	offsetof(struct baton_config, udp_timeout_s),
	offsetof(struct baton_config, udp_est_timeout_s),
	offsetof(struct baton_config, icmp_timeout_s),
	offsetof(struct baton_config, half_open_pressure_s),
};

#define N_TIMEOUTS (sizeof(timeout_keys) / sizeof(timeout_keys[0]))
static_assert(N_TIMEOUTS == sizeof(timeout_offs) / sizeof(timeout_offs[0]),
	      "timeout_keys and timeout_offs must match");
static_assert(N_TIMEOUTS <= MAP_MAX_KEYS, "too many timeout keys");

static uint32_t *timeout_at(struct baton_config *cfg, size_t i)
{
	return (uint32_t *)((char *)cfg + timeout_offs[i]);
}

static uint32_t timeout_get(const struct baton_config *cfg, size_t i)
{
	return *(const uint32_t *)((const char *)cfg + timeout_offs[i]);
}

/* ---- names ------------------------------------------------------------- */

static const char *const mode_names[BATON_MODE_MAX] = {
	[BATON_MODE_DNAT] = "dnat",
	[BATON_MODE_FULLNAT] = "fullnat",
	[BATON_MODE_DSR] = "dsr",
};

static const char *const algo_names[BATON_ALGO_MAX] = {
	[BATON_ALGO_MAGLEV] = "maglev",
	[BATON_ALGO_WRR] = "wrr",
	[BATON_ALGO_LC] = "lc",
};

static const char *const ct_state_names[CT_STATE_MAX] = {
	[CT_STATE_NONE] = "NONE",
	[CT_STATE_NEW] = "NEW",
	[CT_STATE_SYN_SENT] = "SYN_SENT",
	[CT_STATE_SYN_RECV] = "SYN_RECV",
	[CT_STATE_ESTABLISHED] = "ESTABLISHED",
	[CT_STATE_FIN_WAIT] = "FIN_WAIT",
	[CT_STATE_CLOSE_WAIT] = "CLOSE_WAIT",
	[CT_STATE_TIME_WAIT] = "TIME_WAIT",
	[CT_STATE_CLOSED] = "CLOSED",
};

static const char *const hc_type_names[BATON_HC_MAX] = {
	[BATON_HC_TCP] = "tcp",
	[BATON_HC_HTTP] = "http",
	[BATON_HC_UDP] = "udp",
};

static const char *const hc_on_down_names[] = {
	[BATON_HC_KEEP] = "keep",
	[BATON_HC_RESET] = "reset",
};

static const char *const xdp_names[] = {
	[BATON_XDP_NATIVE] = "native",
	[BATON_XDP_GENERIC] = "generic",
	[BATON_XDP_OFF] = "off",
};

static const char *const log_levels[] = { "error", "warn", "info", "debug" };

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

static const char *index_name(const char *const *names, size_t n, int i)
{
	if (i < 0 || (size_t)i >= n || !names[i])
		return "?";
	return names[i];
}

int baton_mode_from_str(const char *s)
{
	return name_index(mode_names, ARRAY_LEN(mode_names), s);
}

int baton_algo_from_str(const char *s)
{
	return name_index(algo_names, ARRAY_LEN(algo_names), s);
}

int baton_proto_from_str(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcmp(s, "udp"))
		return IPPROTO_UDP;
	if (!strcmp(s, "icmp"))
		return IPPROTO_ICMP;
	return -1;
}

const char *baton_mode_str(int mode)
{
	return index_name(mode_names, ARRAY_LEN(mode_names), mode);
}

const char *baton_algo_str(int algo)
{
	return index_name(algo_names, ARRAY_LEN(algo_names), algo);
}

const char *baton_proto_str(int proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	default:
		return "?";
	}
}

const char *baton_ct_state_str(int state)
{
	return index_name(ct_state_names, ARRAY_LEN(ct_state_names), state);
}

int baton_hc_type_from_str(const char *s)
{
	return name_index(hc_type_names, ARRAY_LEN(hc_type_names), s);
}

const char *baton_hc_type_str(int type)
{
	return type == BATON_HC_NONE ? "none" :
	       index_name(hc_type_names, ARRAY_LEN(hc_type_names), type);
}

static int hc_on_down_from_str(const char *s)
{
	return name_index(hc_on_down_names, ARRAY_LEN(hc_on_down_names), s);
}

const char *baton_hc_on_down_str(int on_down)
{
	return index_name(hc_on_down_names, ARRAY_LEN(hc_on_down_names),
			  on_down);
}

bool baton_health_cfg_equal(const struct baton_health_cfg *a,
			    const struct baton_health_cfg *b)
{
	return a->type == b->type && a->on_down == b->on_down &&
	       a->port == b->port && a->interval_ms == b->interval_ms &&
	       a->timeout_ms == b->timeout_ms && a->rise == b->rise &&
	       a->fall == b->fall && !strcmp(a->path, b->path) &&
	       !strcmp(a->host, b->host) && a->status_min == b->status_min &&
	       a->status_max == b->status_max &&
	       a->send_len == b->send_len &&
	       !memcmp(a->send, b->send, a->send_len) &&
	       a->expect_len == b->expect_len &&
	       !memcmp(a->expect, b->expect, a->expect_len);
}

static int xdp_from_str(const char *s)
{
	return name_index(xdp_names, ARRAY_LEN(xdp_names), s);
}

static int log_level_from_str(const char *s)
{
	return name_index(log_levels, ARRAY_LEN(log_levels), s);
}

/* YAML 1.2 core schema booleans; yes/no/on/off are YAML 1.1 traps. */
static int bool_from_str(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return 0;
	return -1;
}

/* ---- small helpers shared by the parser and validate ------------------- */

/*
 * Decimal or 0x hex, nothing else: no sign, no spaces, and no leading zero
 * on a decimal, so "010" is not silently read as 10 by us and 8 by a YAML
 * 1.1 tool.
 */
static int parse_u32(const char *s, uint32_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		return -EINVAL;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		v = v * base + d;
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

/* The kernel's dev_valid_name(): 1..15 bytes, no '/', ':' or blanks. */
static bool iface_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= IF_NAMESIZE)
		return false;
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '/' || c == ':' || c <= ' ' || c >= 0x7f)
			return false;
	}
	return true;
}

/* An interface name that is also a plain word in bird.conf. */
static bool health_name_ok(const char *s, size_t len)
{
	if (!iface_name_ok(s, len))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

static bool path_ok(const char *s, size_t len, size_t max)
{
	return len > 0 && len < max && s[0] == '/';
}

enum url_scheme { URL_TCP = 0, URL_TLS = 1 };

static const char *const url_prefixes[] = {
	[URL_TCP] = "tcp://",
	[URL_TLS] = "tls+tcp://",
};

static bool host_char_ok(unsigned char c, bool v6)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F'))
		return true;
	if (v6)
		return c == ':' || c == '.';
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '.' || c == '-';
}

/*
 * A sync address as nng takes it: "tcp://HOST:PORT" or
 * "tls+tcp://HOST:PORT", HOST a name, an IPv4 address or a bracketed IPv6
 * address, PORT 1..65535; nothing before or after (no wildcard, no path).
 * Returns the scheme, or -1. s is len bytes plus a NUL.
 */
static int url_scheme(const char *s, size_t len)
{
	const char *host = NULL, *colon;
	uint32_t port;
	bool v6;
	size_t i;
	int scheme = -1;

	if (len >= BATON_URL_MAX)
		return -1;
	for (i = 0; i < ARRAY_LEN(url_prefixes); i++) {
		size_t plen = strlen(url_prefixes[i]);

		if (len > plen && !strncmp(s, url_prefixes[i], plen)) {
			scheme = (int)i;
			host = s + plen;
			break;
		}
	}
	if (scheme < 0)
		return -1;
	colon = strrchr(host, ':');
	if (!colon || colon == host)
		return -1;
	v6 = host[0] == '[';
	if (v6) {
		/* "[" at least one character "]" */
		if (colon - host < 3 || colon[-1] != ']')
			return -1;
		host++;
	}
	for (; host < colon - v6; host++)
		if (!host_char_ok((unsigned char)*host, v6))
			return -1;
	if (parse_u32(colon + 1, &port) || port < PORT_MIN || port > PORT_MAX)
		return -1;
	return scheme;
}

static const char *ip_str(uint32_t host, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = htonl(host) };

	if (!inet_ntop(AF_INET, &a, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* "10.0.0.100:80/tcp", or "10.0.0.100/icmp" for a port-less service. */
static const char *svc_str(const struct baton_service_cfg *s, char *buf,
			   size_t len)
{
	char ip[INET_ADDRSTRLEN];

	ip_str(s->vip, ip, sizeof(ip));
	if (s->proto == IPPROTO_ICMP && !s->port)
		snprintf(buf, len, "%s/%s", ip, baton_proto_str(s->proto));
	else
		snprintf(buf, len, "%s:%u/%s", ip, s->port,
			 baton_proto_str(s->proto));
	return buf;
}

/*
 * User text as it may appear in a message: at most 40 bytes, control and
 * non-ASCII bytes replaced, so a fuzzer's garbage cannot mess up a log.
 * buf must hold at least 8 bytes.
 */
static const char *clean(const unsigned char *s, size_t slen, char *buf,
			 size_t len)
{
	size_t i, o = 0, max = len - 4;

	if (max > 40)
		max = 40;
	for (i = 0; i < slen && i < max; i++)
		buf[o++] = (s[i] >= ' ' && s[i] < 0x7f) ? (char)s[i] : '?';
	if (i < slen) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static const char *quote(const unsigned char *s, size_t slen, char *buf,
			 size_t len)
{
	buf[0] = '\'';
	clean(s, slen, buf + 1, len - 2);
	strcat(buf, "'");
	return buf;
}

/*
 * snprintf for messages and key paths, where cutting a long user-supplied
 * name short is the intended behaviour (and keeps gcc's truncation
 * warnings about it out of -Werror builds).
 */
static void bprintf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- defaults, free, copy, find ---------------------------------------- */

void baton_config_defaults(struct baton_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->pin_path, sizeof(cfg->pin_path), "%s",
		 BATON_DEFAULT_PIN_PATH);
	snprintf(cfg->ctl_path, sizeof(cfg->ctl_path), "%s",
		 BATON_DEFAULT_CTL_PATH);
	snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
	cfg->drop_privileges = true;
	cfg->metrics_addr = BATON_DEFAULT_METRICS_ADDR;
	cfg->metrics_port = BATON_DEFAULT_METRICS_PORT;
	cfg->ct_max = BATON_CT_DEFAULT_MAX;
	cfg->gc_interval_ms = 1000;
	cfg->timeout_s[CT_STATE_SYN_SENT] = 30;
	cfg->timeout_s[CT_STATE_SYN_RECV] = 30;
	cfg->timeout_s[CT_STATE_ESTABLISHED] = 3600;
	cfg->timeout_s[CT_STATE_FIN_WAIT] = 120;
	cfg->timeout_s[CT_STATE_CLOSE_WAIT] = 60;
	cfg->timeout_s[CT_STATE_TIME_WAIT] = 30;
	cfg->timeout_s[CT_STATE_CLOSED] = 10;
	cfg->udp_timeout_s = 30;
	cfg->udp_est_timeout_s = 120;
	cfg->icmp_timeout_s = 30;
	cfg->pressure_pct = 90;
	cfg->half_open_pressure_s = 5;
	cfg->hash_seed = 0x5eed;
	cfg->sync.batch_ms = 2;
	cfg->sync.refresh_s = 10;
	cfg->sync.queue = 4096;
	cfg->ha.follow_type = BATON_HA_FOLLOW_GROUP;
	cfg->ha.grace_ms = HA_GRACE_DEFAULT;
	cfg->ha.nudge = true;
	cfg->ha.vrrp.advert_ms = BATON_VRRP_ADVERT_MS_DEFAULT;
	snprintf(cfg->ecmp.health_iface, sizeof(cfg->ecmp.health_iface), "%s",
		 BATON_ECMP_HEALTH_IFACE_DEFAULT);
	cfg->ecmp.grace_ms = HA_GRACE_DEFAULT;
	cfg->ecmp.bgp.bfd = true;
	cfg->ecmp.bgp.hold_s = BATON_BGP_HOLD_S_DEFAULT;
}

void baton_config_free(struct baton_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->services);
	memset(cfg, 0, sizeof(*cfg));
}

int baton_config_copy(struct baton_config *dst, const struct baton_config *src)
{
	struct baton_service_cfg *svcs = NULL;

	if (dst == src)
		return 0;
	if (src->nservices) {
		svcs = calloc(src->nservices, sizeof(*svcs));
		if (!svcs) {
			memset(dst, 0, sizeof(*dst));
			return -ENOMEM;
		}
		memcpy(svcs, src->services, src->nservices * sizeof(*svcs));
	}
	/* Everything else, sync's peers and TLS paths included, is held by
	 * value. */
	memcpy(dst, src, sizeof(*dst));
	dst->services = svcs;
	return 0;
}

struct baton_service_cfg *baton_config_find_service(
	const struct baton_config *cfg, uint32_t vip, uint16_t port,
	uint8_t proto)
{
	size_t i;

	for (i = 0; i < cfg->nservices; i++) {
		struct baton_service_cfg *s = &cfg->services[i];

		if (s->vip == vip && s->port == port && s->proto == proto)
			return s;
	}
	return NULL;
}

/* ---- validate ---------------------------------------------------------- */

/*
 * sync.tls: cert, key and ca all together or not at all, and given
 * exactly when the addresses are tls+tcp:// (certificates next to
 * plaintext addresses would be a silent downgrade). NULL if fine, else
 * what is wrong, for a "sync.tls: " message.
 */
static const char *tls_problem(const struct baton_sync_cfg *s, bool tls,
			       char *buf, size_t len)
{
	const char *names[] = { "cert", "key", "ca" };
	const char *vals[] = { s->tls_cert, s->tls_key, s->tls_ca };
	size_t i, given = 0;

	for (i = 0; i < ARRAY_LEN(vals); i++)
		given += vals[i][0] != '\0';
	if (given && given < ARRAY_LEN(vals)) {
		for (i = 0; vals[i][0]; i++)
			;
		bprintf(buf, len, "expected cert, key and ca together, %s "
			"missing", names[i]);
		return buf;
	}
	if (tls && !given)
		return "required (cert, key and ca) when the addresses use "
		       "tls+tcp://";
	if (!tls && given)
		return "expected only with tls+tcp:// addresses, got tcp://";
	return NULL;
}

/* Where a message points: file name for global settings. */
static const char *cfg_name(const struct baton_config *cfg)
{
	return cfg->path[0] ? cfg->path : "config";
}

/*
 * Prefix naming an entity of service i: "FILE:LINE: services[i]" when it
 * came from the file, "service VIP:PORT/PROTO: " for a live change. `sub`
 * is the key below the service ("snat", "backends[2].port", or "").
 */
static void svc_where(const struct baton_config *cfg, size_t i, int line,
		      const char *sub, char *buf, size_t len)
{
	char name[64];

	if (line > 0)
		bprintf(buf, len, "%s:%d: services[%zu]%s%s", cfg_name(cfg),
			line, i, sub[0] ? "." : "", sub);
	else if (sub[0])
		bprintf(buf, len, "service %s: %s",
			svc_str(&cfg->services[i], name, sizeof(name)), sub);
	else
		bprintf(buf, len, "service %s",
			svc_str(&cfg->services[i], name, sizeof(name)));
}

static int validate_globals(const struct baton_config *cfg, char *err,
			    size_t errlen)
{
	const char *f = cfg_name(cfg);
	size_t i, j;

	if (cfg->node_id < NODE_ID_MIN) {
		bprintf(err, errlen, "%s: node.id: required, expected a "
			"number in 1..4294967295", f);
		return -EINVAL;
	}
	if (!memchr(cfg->pin_path, 0, sizeof(cfg->pin_path)) ||
	    !path_ok(cfg->pin_path, strlen(cfg->pin_path), PATH_MAX)) {
		bprintf(err, errlen, "%s: node.pin_path: expected an absolute "
			"path", f);
		return -EINVAL;
	}
	if (!memchr(cfg->ctl_path, 0, sizeof(cfg->ctl_path)) ||
	    !path_ok(cfg->ctl_path, strlen(cfg->ctl_path), CTL_PATH_MAX)) {
		bprintf(err, errlen, "%s: node.control_socket: expected an "
			"absolute path shorter than %zu bytes", f,
			CTL_PATH_MAX);
		return -EINVAL;
	}
	if (!memchr(cfg->log_level, 0, sizeof(cfg->log_level)) ||
	    log_level_from_str(cfg->log_level) < 0) {
		bprintf(err, errlen, "%s: node.log_level: expected one of "
			LOG_CHOICES, f);
		return -EINVAL;
	}
	if (cfg->nifaces < 1 || cfg->nifaces > BATON_MAX_IFACES) {
		bprintf(err, errlen, "%s: interfaces: expected 1..%d "
			"interfaces, got %zu", f, BATON_MAX_IFACES,
			cfg->nifaces);
		return -EINVAL;
	}
	for (i = 0; i < cfg->nifaces; i++) {
		const struct baton_iface_cfg *ifc = &cfg->ifaces[i];

		if (!memchr(ifc->name, 0, sizeof(ifc->name)) ||
		    !iface_name_ok(ifc->name, strlen(ifc->name))) {
			bprintf(err, errlen, "%s: interfaces[%zu].name: "
				"expected an interface name", f, i);
			return -EINVAL;
		}
		if (ifc->xdp > BATON_XDP_OFF) {
			bprintf(err, errlen, "%s: interfaces[%zu].xdp: "
				"expected one of " XDP_CHOICES, f, i);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(cfg->ifaces[j].name, ifc->name))
				continue;
			bprintf(err, errlen, "%s: interfaces[%zu].name: "
				"duplicate interface '%s' (interfaces[%zu])",
				f, i, ifc->name, j);
			return -EINVAL;
		}
	}
	if (cfg->ct_max < CT_MAX_MIN || cfg->ct_max > CT_MAX_MAX) {
		bprintf(err, errlen, "%s: conntrack.max_entries: expected a "
			"number in %u..%u, got '%" PRIu32 "'", f, CT_MAX_MIN,
			CT_MAX_MAX, cfg->ct_max);
		return -EINVAL;
	}
	if (cfg->gc_interval_ms < GC_MS_MIN ||
	    cfg->gc_interval_ms > GC_MS_MAX) {
		bprintf(err, errlen, "%s: conntrack.gc_interval_ms: expected a "
			"number in %u..%u, got '%" PRIu32 "'", f, GC_MS_MIN,
			GC_MS_MAX, cfg->gc_interval_ms);
		return -EINVAL;
	}
	if (cfg->pressure_pct > 100) {
		bprintf(err, errlen, "%s: conntrack.pressure_pct: expected a "
			"number in 0..100, got '%" PRIu32 "'", f,
			cfg->pressure_pct);
		return -EINVAL;
	}
	for (i = 0; i < N_TIMEOUTS; i++) {
		uint32_t v = timeout_get(cfg, i);

		if (v >= TIMEOUT_MIN && v <= TIMEOUT_MAX)
			continue;
		bprintf(err, errlen, "%s: conntrack.timeouts.%s: expected a "
			"number in %u..%u, got '%" PRIu32 "'", f,
			timeout_keys[i], TIMEOUT_MIN, TIMEOUT_MAX, v);
		return -EINVAL;
	}
	return 0;
}

/* "FILE:LINE: sync.peers[i].SUB" when the peer came from the file. */
static void peer_where(const struct baton_config *cfg, size_t i,
		       const char *sub, char *buf, size_t len)
{
	int line = cfg->sync.peers[i].line;

	if (line > 0)
		bprintf(buf, len, "%s:%d: sync.peers[%zu].%s", cfg_name(cfg),
			line, i, sub);
	else
		bprintf(buf, len, "%s: sync.peers[%zu].%s", cfg_name(cfg), i,
			sub);
}

static int validate_peers(const struct baton_config *cfg, int scheme,
			  char *err, size_t errlen)
{
	const struct baton_sync_cfg *s = &cfg->sync;
	char where[PATH_MAX + KEY_MAX];
	size_t i, j;

	for (i = 0; i < s->npeers; i++) {
		const struct baton_peer_cfg *pe = &s->peers[i];
		int sch;

		peer_where(cfg, i, "id", where, sizeof(where));
		if (!pe->id) {
			bprintf(err, errlen, "%s: expected a number in "
				"1..4294967295, got '0'", where);
			return -EINVAL;
		}
		if (pe->id == cfg->node_id) {
			bprintf(err, errlen, "%s: expected another node's id, "
				"got this node's (node.id %" PRIu32 ")", where,
				pe->id);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			const struct baton_peer_cfg *o = &s->peers[j];

			if (o->id != pe->id)
				continue;
			if (pe->line > 0 && o->line > 0)
				bprintf(err, errlen, "%s: duplicate peer id "
					"%" PRIu32 ", first at line %d", where,
					pe->id, o->line);
			else
				bprintf(err, errlen, "%s: duplicate peer id "
					"%" PRIu32 ", first as sync.peers[%zu]",
					where, pe->id, j);
			return -EINVAL;
		}

		peer_where(cfg, i, "address", where, sizeof(where));
		sch = memchr(pe->url, 0, sizeof(pe->url)) ?
			      url_scheme(pe->url, strlen(pe->url)) : -1;
		if (sch < 0) {
			bprintf(err, errlen, "%s: expected " URL_WHAT, where);
			return -EINVAL;
		}
		/* One transport for the whole mesh: a tcp:// peer next to
		 * tls+tcp:// ones would be the unauthenticated way in. */
		if (sch != scheme) {
			bprintf(err, errlen, "%s: expected %s like sync.listen "
				"(one scheme for every address), got '%s'",
				where, url_prefixes[scheme], pe->url);
			return -EINVAL;
		}
		if (!strcmp(pe->url, s->listen)) {
			bprintf(err, errlen, "%s: expected a peer's address, "
				"got this node's own (sync.listen)", where);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			const struct baton_peer_cfg *o = &s->peers[j];

			if (strcmp(o->url, pe->url))
				continue;
			if (pe->line > 0 && o->line > 0)
				bprintf(err, errlen, "%s: duplicate address "
					"'%s', first at line %d", where,
					pe->url, o->line);
			else
				bprintf(err, errlen, "%s: duplicate address "
					"'%s', first as sync.peers[%zu]",
					where, pe->url, j);
			return -EINVAL;
		}
	}
	return 0;
}

/* Rules of the sync: section (config.h, deploy/baton.yaml). The parser
 * checks the same ranges and the TLS rule where it knows the lines. */
static int validate_sync(const struct baton_config *cfg, char *err,
			 size_t errlen)
{
	const struct baton_sync_cfg *s = &cfg->sync;
	const char *f = cfg_name(cfg);
	const char *paths[] = { s->tls_cert, s->tls_key, s->tls_ca };
	const char *names[] = { "cert", "key", "ca" };
	const char *problem;
	char msg[128];
	size_t i;
	int scheme, ret;

	if (!s->enabled)
		return 0;
	scheme = memchr(s->listen, 0, sizeof(s->listen)) ?
			 url_scheme(s->listen, strlen(s->listen)) : -1;
	if (scheme < 0) {
		bprintf(err, errlen, "%s: sync.listen: required, expected "
			URL_WHAT, f);
		return -EINVAL;
	}
	if (s->npeers < 1 || s->npeers > BATON_MAX_PEERS) {
		bprintf(err, errlen, "%s: sync.peers: expected 1..%d peers, "
			"got %zu", f, BATON_MAX_PEERS, s->npeers);
		return -EINVAL;
	}
	ret = validate_peers(cfg, scheme, err, errlen);
	if (ret)
		return ret;

	for (i = 0; i < ARRAY_LEN(paths); i++) {
		/* each is PATH_MAX bytes: a missing NUL is garbage */
		if (!memchr(paths[i], 0, PATH_MAX) ||
		    (paths[i][0] && !path_ok(paths[i], strlen(paths[i]),
					     PATH_MAX))) {
			bprintf(err, errlen, "%s: sync.tls.%s: expected an "
				"absolute path shorter than %d bytes", f,
				names[i], PATH_MAX);
			return -EINVAL;
		}
	}
	problem = tls_problem(s, scheme == URL_TLS, msg, sizeof(msg));
	if (problem) {
		bprintf(err, errlen, "%s: sync.tls: %s", f, problem);
		return -EINVAL;
	}

	if (s->batch_ms < SYNC_BATCH_MIN || s->batch_ms > SYNC_BATCH_MAX) {
		bprintf(err, errlen, "%s: sync.batch_ms: expected a number in "
			"%u..%u, got '%" PRIu32 "'", f, SYNC_BATCH_MIN,
			SYNC_BATCH_MAX, s->batch_ms);
		return -EINVAL;
	}
	if (s->refresh_s < SYNC_REFRESH_MIN ||
	    s->refresh_s > SYNC_REFRESH_MAX) {
		bprintf(err, errlen, "%s: sync.refresh_s: expected a number "
			"in %u..%u, got '%" PRIu32 "'", f, SYNC_REFRESH_MIN,
			SYNC_REFRESH_MAX, s->refresh_s);
		return -EINVAL;
	}
	if (s->queue < SYNC_QUEUE_MIN || s->queue > SYNC_QUEUE_MAX) {
		bprintf(err, errlen, "%s: sync.queue: expected a number in "
			"%u..%u, got '%" PRIu32 "'", f, SYNC_QUEUE_MIN,
			SYNC_QUEUE_MAX, s->queue);
		return -EINVAL;
	}
	return 0;
}

/* A name keepalived can write: 1..1023 bytes, no control character. */
static bool ha_name_ok(const char *s, size_t max)
{
	size_t len = strnlen(s, max + 1);

	if (!len || len > BATON_HA_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* ---- ha.vrrp: what keepalived.conf can carry --------------------------- */

#define VRRP_NAME_WHAT							\
	"a name of 1..64 letters, digits, '_', '-' or '.' with ha.vrrp "	\
	"(it names the vrrp_sync_group)"
#define VRRP_WORD_WHAT							\
	"no blanks, quotes, '\\', '#' or '!' with ha.vrrp (it is written "	\
	"into keepalived.conf)"
#define VRRP_CIDR_WHAT	"an address with its prefix length, a.b.c.d/len"
#define VRRP_HOST_WHAT							\
	"a host address of its subnet (not the subnet's own or broadcast "	\
	"address)"
#define VRRP_ADVERT_WHAT "a multiple of 10 in 10..40950"

/* With ha.vrrp, ha.follow names the generated vrrp_sync_group: keep it
 * to characters no keepalived version reads differently. */
static bool vrrp_name_ok(const char *s, size_t max)
{
	size_t len = strnlen(s, max);

	if (!len || len > BATON_VRRP_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

/*
 * A path or interface name that keepalived's tokenizer reads back as the
 * same single word: it splits on blanks, strips quotes and takes '#' and
 * '!' as the start of a comment.
 */
static bool ka_word_ok(const char *s, size_t max)
{
	size_t len = strnlen(s, max);

	if (!len || len == max)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\'' ||
		    c == '\\' || c == '#' || c == '!')
			return false;
	}
	return true;
}

/* a.b.c.d/len names a host: not 0, and below /31 neither the subnet's
 * own address nor its broadcast (a typo keepalived would add as is). */
static bool vrrp_host_ok(uint32_t addr, unsigned int plen)
{
	uint32_t host;

	if (!addr || plen < 1 || plen > 32)
		return false;
	if (plen > 30)
		return true;
	host = ~0u >> plen;
	return (addr & host) && (addr & host) != host;
}

/* The host part of addr/plen (plen 0..32): zero for a network prefix. */
static uint32_t host_bits(uint32_t addr, unsigned int plen)
{
	return plen >= 32 ? 0 : addr & (~0u >> plen);
}

static bool iface_known(const struct baton_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nifaces; i++)
		if (!strcmp(cfg->ifaces[i].name, name))
			return true;
	return false;
}

/* "one of interfaces: (eth0|eth1)" for a message. */
static const char *ifaces_what(const struct baton_config *cfg, char *buf,
			       size_t len)
{
	size_t o;

	o = snprintf(buf, len, "one of interfaces: (");
	for (size_t i = 0; i < cfg->nifaces && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? "|" : "",
			      cfg->ifaces[i].name);
	if (o < len)
		snprintf(buf + o, len - o, ")");
	return buf;
}

static bool vrrp_addr_listed(const struct baton_vrrp_inst_cfg *vi,
			     uint32_t addr, size_t below)
{
	for (size_t i = 0; i < below && i < vi->naddrs; i++)
		if (vi->addrs[i].addr == addr)
			return true;
	return false;
}

static int validate_vrrp_inst(const struct baton_config *cfg,
			      const struct baton_vrrp_inst_cfg *vi,
			      const char *name, char *err, size_t errlen)
{
	const struct baton_vrrp_inst_cfg *front = &cfg->ha.vrrp.front;
	const char *f = cfg_name(cfg);
	char what[128], ip[INET_ADDRSTRLEN];
	size_t i, j;

	if (!memchr(vi->ifname, 0, sizeof(vi->ifname)) ||
	    !iface_known(cfg, vi->ifname) ||
	    !ka_word_ok(vi->ifname, sizeof(vi->ifname))) {
		bprintf(err, errlen, "%s: ha.vrrp.%s.interface: expected %s",
			f, name, ifaces_what(cfg, what, sizeof(what)));
		return -EINVAL;
	}
	if (!vi->vrid) {
		bprintf(err, errlen, "%s: ha.vrrp.%s.vrid: expected a number "
			"in 1..255, got '0'", f, name);
		return -EINVAL;
	}
	if (vi != front && vi->vrid == front->vrid) {
		bprintf(err, errlen, "%s: ha.vrrp.%s.vrid: expected a VRID "
			"other than ha.vrrp.front.vrid (%u)", f, name,
			front->vrid);
		return -EINVAL;
	}
	if (vi->naddrs > BATON_VRRP_MAX_ADDRS ||
	    vi->npeers > BATON_VRRP_MAX_PEERS) {
		bprintf(err, errlen, "%s: ha.vrrp.%s: expected at most %d "
			"addresses and %d unicast_peers", f, name,
			BATON_VRRP_MAX_ADDRS, BATON_VRRP_MAX_PEERS);
		return -EINVAL;
	}
	for (i = 0; i < vi->naddrs; i++) {
		const struct baton_vrrp_addr *a = &vi->addrs[i];

		if (!vrrp_host_ok(a->addr, a->plen)) {
			bprintf(err, errlen, "%s: ha.vrrp.%s.addresses[%zu]: "
				"expected " VRRP_HOST_WHAT ", got '%s/%u'", f,
				name, i, ip_str(a->addr, ip, sizeof(ip)),
				a->plen);
			return -EINVAL;
		}
		if (vrrp_addr_listed(vi, a->addr, i) ||
		    (vi != front && vrrp_addr_listed(front, a->addr,
						     front->naddrs))) {
			bprintf(err, errlen, "%s: ha.vrrp.%s.addresses[%zu]: "
				"duplicate address %s", f, name, i,
				ip_str(a->addr, ip, sizeof(ip)));
			return -EINVAL;
		}
	}
	for (i = 0; i < vi->npeers; i++) {
		if (!vi->peers[i] || vi->peers[i] == vi->source) {
			bprintf(err, errlen, "%s: ha.vrrp.%s.unicast_peers"
				"[%zu]: expected the peer's address, got '%s'",
				f, name, i, ip_str(vi->peers[i], ip,
						   sizeof(ip)));
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (vi->peers[j] != vi->peers[i])
				continue;
			bprintf(err, errlen, "%s: ha.vrrp.%s.unicast_peers"
				"[%zu]: duplicate peer %s", f, name, i,
				ip_str(vi->peers[i], ip, sizeof(ip)));
			return -EINVAL;
		}
	}
	return 0;
}

/* Rules of ha.vrrp (config.h, deploy/baton.yaml); the parser checks the
 * same where it knows the lines. */
static int validate_vrrp(const struct baton_config *cfg, char *err,
			 size_t errlen)
{
	const struct baton_ha_cfg *h = &cfg->ha;
	const struct baton_vrrp_cfg *vr = &h->vrrp;
	const char *f = cfg_name(cfg);
	int ret;

	if (!vr->enabled)
		return 0;
	if (h->follow_type != BATON_HA_FOLLOW_GROUP) {
		bprintf(err, errlen, "%s: ha.follow_type: expected group with "
			"ha.vrrp (baton-keepalived generates the "
			"vrrp_sync_group that ha.follow names)", f);
		return -EINVAL;
	}
	if (!vrrp_name_ok(h->follow, sizeof(h->follow))) {
		bprintf(err, errlen, "%s: ha.follow: expected " VRRP_NAME_WHAT,
			f);
		return -EINVAL;
	}
	if (!ka_word_ok(h->notify_fifo, sizeof(h->notify_fifo))) {
		bprintf(err, errlen, "%s: ha.notify_fifo: expected a path "
			"with " VRRP_WORD_WHAT, f);
		return -EINVAL;
	}
	if (!ka_word_ok(h->track_file, sizeof(h->track_file))) {
		bprintf(err, errlen, "%s: ha.track_file: expected a path "
			"with " VRRP_WORD_WHAT, f);
		return -EINVAL;
	}
	if (vr->priority < BATON_VRRP_PRIO_MIN ||
	    vr->priority > BATON_VRRP_PRIO_MAX) {
		bprintf(err, errlen, "%s: ha.vrrp.priority: expected a number "
			"in %d..%d, got '%u'", f, BATON_VRRP_PRIO_MIN,
			BATON_VRRP_PRIO_MAX, vr->priority);
		return -EINVAL;
	}
	if (vr->advert_ms < BATON_VRRP_ADVERT_MS_MIN ||
	    vr->advert_ms > BATON_VRRP_ADVERT_MS_MAX || vr->advert_ms % 10) {
		bprintf(err, errlen, "%s: ha.vrrp.advert_ms: expected "
			VRRP_ADVERT_WHAT ", got '%" PRIu32 "'", f,
			vr->advert_ms);
		return -EINVAL;
	}
	if (!vr->front.enabled) {
		bprintf(err, errlen, "%s: ha.vrrp.front: required with "
			"ha.vrrp", f);
		return -EINVAL;
	}
	ret = validate_vrrp_inst(cfg, &vr->front, "front", err, errlen);
	if (!ret && vr->back.enabled)
		ret = validate_vrrp_inst(cfg, &vr->back, "back", err, errlen);
	return ret;
}

/* Rules of the ha: section (config.h, deploy/baton.yaml). The parser
 * checks the same where it knows the lines. */
static int validate_ha(const struct baton_config *cfg, char *err,
		       size_t errlen)
{
	const struct baton_ha_cfg *h = &cfg->ha;
	const char *f = cfg_name(cfg);
	const char *paths[] = { h->notify_fifo, h->track_file };
	const char *names[] = { "notify_fifo", "track_file" };

	if (!h->enabled)
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
		if (!memchr(paths[i], 0, PATH_MAX) ||
		    !path_ok(paths[i], strlen(paths[i]), PATH_MAX - 8)) {
			bprintf(err, errlen, "%s: ha.%s: expected an absolute "
				"path shorter than %d bytes", f, names[i],
				PATH_MAX - 8);
			return -EINVAL;
		}
	}
	if (!strcmp(h->notify_fifo, h->track_file)) {
		bprintf(err, errlen, "%s: ha.track_file: expected a path "
			"other than ha.notify_fifo", f);
		return -EINVAL;
	}
	if (h->follow_type != BATON_HA_FOLLOW_GROUP &&
	    h->follow_type != BATON_HA_FOLLOW_INSTANCE) {
		bprintf(err, errlen, "%s: ha.follow_type: expected one of "
			FOLLOW_TYPE_CHOICES, f);
		return -EINVAL;
	}
	if (!ha_name_ok(h->follow, sizeof(h->follow) - 1)) {
		bprintf(err, errlen, "%s: ha.follow: expected a keepalived "
			"name of 1..%d bytes without control characters", f,
			BATON_HA_NAME_MAX);
		return -EINVAL;
	}
	if (!h->grace_forever && h->grace_ms > BATON_HA_GRACE_MS_MAX) {
		bprintf(err, errlen, "%s: ha.grace_ms: expected " GRACE_WHAT
			", got '%" PRIu32 "'", f, h->grace_ms);
		return -EINVAL;
	}
	return validate_vrrp(cfg, err, errlen);
}

/* ---- ecmp: ------------------------------------------------------------- */

#define ECMP_HA_WHY							\
	"they are exclusive: keepalived moves the VIPs within a pair, "	\
	"BGP announces them from every node"
#define ECMP_HEALTH_WHAT						\
	"a name not in interfaces: (batond creates this TUN device itself)"
#define BGP_PREFIX_WHAT	"a network prefix, a.b.c.d/len"

static int validate_bgp_side(const struct baton_config *cfg,
			     const struct baton_bgp_side *bs, const char *name,
			     char *err, size_t errlen)
{
	const char *f = cfg_name(cfg);
	char ip[INET_ADDRSTRLEN];
	size_t i, j;

	if (bs->nneighbors < 1 || bs->nneighbors > BATON_BGP_MAX_NEIGHBORS) {
		bprintf(err, errlen, "%s: ecmp.bgp.%s.neighbors: expected "
			"1..%d neighbors, got %zu", f, name,
			BATON_BGP_MAX_NEIGHBORS, bs->nneighbors);
		return -EINVAL;
	}
	for (i = 0; i < bs->nneighbors; i++) {
		const struct baton_bgp_neighbor *nb = &bs->neighbors[i];

		if (!nb->addr) {
			bprintf(err, errlen, "%s: ecmp.bgp.%s.neighbors[%zu]."
				"address: expected a non-zero IPv4 address, "
				"got '0.0.0.0'", f, name, i);
			return -EINVAL;
		}
		if (!nb->asn) {
			bprintf(err, errlen, "%s: ecmp.bgp.%s.neighbors[%zu]."
				"asn: expected a number in 1..4294967295, got "
				"'0'", f, name, i);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (bs->neighbors[j].addr != nb->addr)
				continue;
			bprintf(err, errlen, "%s: ecmp.bgp.%s.neighbors[%zu]."
				"address: duplicate neighbor %s, first as "
				"ecmp.bgp.%s.neighbors[%zu]", f, name, i,
				ip_str(nb->addr, ip, sizeof(ip)), name, j);
			return -EINVAL;
		}
	}
	if (bs->nprefixes > BATON_BGP_MAX_PREFIXES) {
		bprintf(err, errlen, "%s: ecmp.bgp.%s.prefixes: expected at "
			"most %d prefixes, got %zu", f, name,
			BATON_BGP_MAX_PREFIXES, bs->nprefixes);
		return -EINVAL;
	}
	for (i = 0; i < bs->nprefixes; i++) {
		const struct baton_vrrp_addr *a = &bs->prefixes[i];

		if (a->plen > 32 || host_bits(a->addr, a->plen)) {
			bprintf(err, errlen, "%s: ecmp.bgp.%s.prefixes[%zu]: "
				"expected a network prefix with the host bits "
				"zero, got '%s/%u'", f, name, i,
				ip_str(a->addr, ip, sizeof(ip)), a->plen);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (bs->prefixes[j].addr != a->addr ||
			    bs->prefixes[j].plen != a->plen)
				continue;
			bprintf(err, errlen, "%s: ecmp.bgp.%s.prefixes[%zu]: "
				"duplicate prefix %s/%u, first as ecmp.bgp.%s."
				"prefixes[%zu]", f, name, i,
				ip_str(a->addr, ip, sizeof(ip)), a->plen, name,
				j);
			return -EINVAL;
		}
	}
	return 0;
}

/* Rules of ecmp.bgp (config.h); the parser checks the same with lines. */
static int validate_bgp(const struct baton_config *cfg, char *err,
			size_t errlen)
{
	const struct baton_bgp_cfg *b = &cfg->ecmp.bgp;
	const char *f = cfg_name(cfg);
	int ret;

	if (!b->enabled)
		return 0;
	if (!b->asn) {
		bprintf(err, errlen, "%s: ecmp.bgp.asn: expected a number in "
			"1..4294967295, got '0'", f);
		return -EINVAL;
	}
	if (b->hold_s < BATON_BGP_HOLD_S_MIN ||
	    b->hold_s > BATON_BGP_HOLD_S_MAX) {
		bprintf(err, errlen, "%s: ecmp.bgp.hold_s: expected a number "
			"in %d..%d, got '%" PRIu32 "'", f, BATON_BGP_HOLD_S_MIN,
			BATON_BGP_HOLD_S_MAX, b->hold_s);
		return -EINVAL;
	}
	/* What front announces are the services' VIPs. */
	if (b->front.nprefixes) {
		bprintf(err, errlen, "%s: ecmp.bgp.front.prefixes: expected "
			"none (front announces the services' VIPs), got %zu",
			f, b->front.nprefixes);
		return -EINVAL;
	}
	ret = validate_bgp_side(cfg, &b->front, "front", err, errlen);
	if (ret)
		return ret;
	/* back: is optional, and then neither list is given */
	if (!b->back.nneighbors && !b->back.nprefixes)
		return 0;
	if (!b->back.nneighbors) {
		bprintf(err, errlen, "%s: ecmp.bgp.back.neighbors: required "
			"with ecmp.bgp.back.prefixes", f);
		return -EINVAL;
	}
	if (!b->back.nprefixes) {
		bprintf(err, errlen, "%s: ecmp.bgp.back.prefixes: required "
			"with ecmp.bgp.back.neighbors", f);
		return -EINVAL;
	}
	return validate_bgp_side(cfg, &b->back, "back", err, errlen);
}

/* Rules of the ecmp: section (config.h); the parser checks the same
 * where it knows the lines. */
static int validate_ecmp(const struct baton_config *cfg, char *err,
			 size_t errlen)
{
	const struct baton_ecmp_cfg *e = &cfg->ecmp;
	const char *f = cfg_name(cfg);

	if (!e->enabled)
		return 0;
	if (cfg->ha.enabled) {
		bprintf(err, errlen, "%s: ecmp: expected either ha: or ecmp:, "
			"got both (" ECMP_HA_WHY ")", f);
		return -EINVAL;
	}
	if (!memchr(e->health_iface, 0, sizeof(e->health_iface)) ||
	    !health_name_ok(e->health_iface, strlen(e->health_iface))) {
		bprintf(err, errlen, "%s: ecmp.health_interface: expected "
			HEALTH_WHAT, f);
		return -EINVAL;
	}
	/* batond would attach XDP to its own health device, or take a
	 * datapath interface up and down with the node's state. */
	if (iface_known(cfg, e->health_iface)) {
		bprintf(err, errlen, "%s: ecmp.health_interface: expected "
			ECMP_HEALTH_WHAT ", got '%s'", f, e->health_iface);
		return -EINVAL;
	}
	if (!e->grace_forever && e->grace_ms > BATON_HA_GRACE_MS_MAX) {
		bprintf(err, errlen, "%s: ecmp.grace_ms: expected " GRACE_WHAT
			", got '%" PRIu32 "'", f, e->grace_ms);
		return -EINVAL;
	}
	return validate_bgp(cfg, err, errlen);
}

static int validate_backends(const struct baton_config *cfg, size_t si,
			     char *err, size_t errlen)
{
	const struct baton_service_cfg *s = &cfg->services[si];
	char where[PATH_MAX + KEY_MAX], sub[KEY_MAX], ip[INET_ADDRSTRLEN];
	size_t i, j;

	if (s->nbackends > BATON_MAX_BACKENDS) {
		svc_where(cfg, si, s->line, "backends", where, sizeof(where));
		bprintf(err, errlen, "%s: expected at most %d backends, "
			"got %zu", where, BATON_MAX_BACKENDS, s->nbackends);
		return -EINVAL;
	}
	for (i = 0; i < s->nbackends; i++) {
		const struct baton_backend_cfg *b = &s->backends[i];
		/* A backend added live to a file service has no line. */
		int line = s->line > 0 ? b->line : 0;

		if (!b->addr) {
			bprintf(sub, sizeof(sub), "backends[%zu].address", i);
			svc_where(cfg, si, line, sub, where, sizeof(where));
			bprintf(err, errlen, "%s: expected a non-zero IPv4 "
				"address, got '0.0.0.0'", where);
			return -EINVAL;
		}
		bprintf(sub, sizeof(sub), "backends[%zu].port", i);
		if (s->proto == IPPROTO_ICMP && b->port) {
			svc_where(cfg, si, line, sub, where, sizeof(where));
			bprintf(err, errlen, "%s: expected no port for "
				"protocol icmp, got '%u'", where, b->port);
			return -EINVAL;
		}
		if (s->proto != IPPROTO_ICMP && !b->port) {
			svc_where(cfg, si, line, sub, where, sizeof(where));
			bprintf(err, errlen, "%s: expected a number in "
				"1..65535, got '0'", where);
			return -EINVAL;
		}
		/* DSR only rewrites MACs: the packet reaches the backend
		 * with the VIP's port, so a different port cannot work. */
		if (s->mode == BATON_MODE_DSR && b->port != s->port) {
			svc_where(cfg, si, line, sub, where, sizeof(where));
			bprintf(err, errlen, "%s: expected the service port "
				"%u with mode dsr (DSR cannot translate "
				"ports), got '%u'", where, s->port, b->port);
			return -EINVAL;
		}
		if (b->weight > WEIGHT_MAX) {
			bprintf(sub, sizeof(sub), "backends[%zu].weight", i);
			svc_where(cfg, si, line, sub, where, sizeof(where));
			bprintf(err, errlen, "%s: expected a number in "
				"0..65535, got '%" PRIu32 "'", where,
				b->weight);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			const struct baton_backend_cfg *o = &s->backends[j];

			if (o->addr != b->addr || o->port != b->port)
				continue;
			bprintf(sub, sizeof(sub), "backends[%zu]", i);
			svc_where(cfg, si, line, sub, where, sizeof(where));
			if (line > 0 && o->line > 0)
				bprintf(err, errlen, "%s: duplicate backend "
					"%s:%u, first at line %d", where,
					ip_str(b->addr, ip, sizeof(ip)),
					b->port, o->line);
			else
				bprintf(err, errlen, "%s: duplicate backend "
					"%s:%u, first as backends[%zu]", where,
					ip_str(b->addr, ip, sizeof(ip)),
					b->port, j);
			return -EINVAL;
		}
	}
	return 0;
}

/* An HTTP path or Host value: printable ASCII without blanks (it goes
 * into the request line and a header as it is). */
static bool hc_text_ok(const char *s, bool path)
{
	size_t n = strnlen(s, BATON_HC_TEXT_MAX);

	if (!n || n == BATON_HC_TEXT_MAX || (path && s[0] != '/'))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

#define HC_PATH_WHAT	"a path starting with '/', 1..255 printable " \
			"characters without blanks"
#define HC_HOST_WHAT	"a host name of 1..255 printable characters " \
			"without blanks"

static int validate_health(const struct baton_config *cfg, size_t si,
			   char *err, size_t errlen)
{
	const struct baton_service_cfg *s = &cfg->services[si];
	const struct baton_health_cfg *h = &s->health;
	char where[PATH_MAX + KEY_MAX];
	int line = s->line > 0 ? h->line : 0;

	if (h->type == BATON_HC_NONE)
		return 0;
#define HC_FAIL(key, ...)						\
	do {								\
		svc_where(cfg, si, line, "health." key, where,		\
			  sizeof(where));				\
		bprintf(err, errlen, "%s: " __VA_ARGS__);		\
		return -EINVAL;						\
	} while (0)
	if (h->type >= BATON_HC_MAX)
		HC_FAIL("type", "expected one of tcp|http|udp, got type %u",
			where, h->type);
	if (h->on_down > BATON_HC_RESET)
		HC_FAIL("on_down", "expected one of keep|reset, got %u",
			where, h->on_down);
	if (h->interval_ms < HC_INTERVAL_MIN || h->interval_ms > HC_INTERVAL_MAX)
		HC_FAIL("interval_ms", "expected a number in %u..%u, got "
			"'%" PRIu32 "'", where, HC_INTERVAL_MIN,
			HC_INTERVAL_MAX, h->interval_ms);
	/* One probe at a time per backend: the next starts on schedule. */
	if (h->timeout_ms < HC_TIMEOUT_MIN || h->timeout_ms > h->interval_ms)
		HC_FAIL("timeout_ms", "expected a number in %u..%" PRIu32
			" (at most interval_ms), got '%" PRIu32 "'", where,
			HC_TIMEOUT_MIN, h->interval_ms, h->timeout_ms);
	if (h->rise < 1 || h->rise > HC_COUNT_MAX)
		HC_FAIL("rise", "expected a number in 1..%u, got '%" PRIu32
			"'", where, HC_COUNT_MAX, h->rise);
	if (h->fall < 1 || h->fall > HC_COUNT_MAX)
		HC_FAIL("fall", "expected a number in 1..%u, got '%" PRIu32
			"'", where, HC_COUNT_MAX, h->fall);
	if (s->proto == IPPROTO_ICMP && !h->port)
		HC_FAIL("port", "required for an icmp service (its backends "
			"have no port to probe), expected a number in "
			"1..65535", where);
	if (h->type == BATON_HC_HTTP) {
		if (!hc_text_ok(h->path, true))
			HC_FAIL("path", "expected " HC_PATH_WHAT, where);
		if (h->host[0] && !hc_text_ok(h->host, false))
			HC_FAIL("host", "expected " HC_HOST_WHAT, where);
		if (h->status_min < 100 || h->status_max > 599 ||
		    h->status_min > h->status_max)
			HC_FAIL("status", "expected a status 100..599 or a "
				"range LOW-HIGH of them, got %u-%u", where,
				h->status_min, h->status_max);
	} else if (h->path[0] || h->host[0]) {
		HC_FAIL("path", "expected path and host only with type http, "
			"got type %s", where, baton_hc_type_str(h->type));
	}
	if (h->type != BATON_HC_UDP && (h->send_len || h->expect_len))
		HC_FAIL("send", "expected send and expect only with type udp, "
			"got type %s", where, baton_hc_type_str(h->type));
	if (h->send_len > BATON_HC_DATA_MAX || h->expect_len > BATON_HC_DATA_MAX)
		HC_FAIL("send", "expected at most %d bytes", where,
			BATON_HC_DATA_MAX);
#undef HC_FAIL
	return 0;
}

static int validate_service(const struct baton_config *cfg, size_t si,
			    char *err, size_t errlen)
{
	const struct baton_service_cfg *s = &cfg->services[si];
	char where[PATH_MAX + KEY_MAX], ip[INET_ADDRSTRLEN], name[64];
	size_t j;
	int ret;

	if (s->proto != IPPROTO_TCP && s->proto != IPPROTO_UDP &&
	    s->proto != IPPROTO_ICMP) {
		svc_where(cfg, si, s->line, "protocol", where, sizeof(where));
		bprintf(err, errlen, "%s: expected one of " PROTO_CHOICES
			", got protocol number %u", where, s->proto);
		return -EINVAL;
	}
	if (s->mode >= BATON_MODE_MAX) {
		svc_where(cfg, si, s->line, "mode", where, sizeof(where));
		bprintf(err, errlen, "%s: expected one of " MODE_CHOICES
			", got mode %u", where, s->mode);
		return -EINVAL;
	}
	if (s->algo >= BATON_ALGO_MAX) {
		svc_where(cfg, si, s->line, "algorithm", where, sizeof(where));
		bprintf(err, errlen, "%s: expected one of " ALGO_CHOICES
			", got algorithm %u", where, s->algo);
		return -EINVAL;
	}
	if (!s->vip) {
		svc_where(cfg, si, s->line, "vip", where, sizeof(where));
		bprintf(err, errlen, "%s: expected a non-zero IPv4 address, "
			"got '0.0.0.0'", where);
		return -EINVAL;
	}
	if (s->proto == IPPROTO_ICMP && s->port) {
		svc_where(cfg, si, s->line, "port", where, sizeof(where));
		bprintf(err, errlen, "%s: expected no port for protocol icmp, "
			"got '%u'", where, s->port);
		return -EINVAL;
	}
	if (s->proto != IPPROTO_ICMP && !s->port) {
		svc_where(cfg, si, s->line, "port", where, sizeof(where));
		bprintf(err, errlen, "%s: required for protocol %s, expected "
			"a number in 1..65535", where,
			baton_proto_str(s->proto));
		return -EINVAL;
	}
	/* A fullNAT reply is addressed to snat:port, which names no
	 * backend: behind ECMP it reaches any node, and one the flow's
	 * entry has not reached yet could only drop it. */
	if (s->mode == BATON_MODE_FULLNAT && cfg->ecmp.enabled) {
		svc_where(cfg, si, s->line, "mode", where, sizeof(where));
		bprintf(err, errlen, "%s: expected dnat or dsr with ecmp:, "
			"got fullnat (its replies cannot be de-NATed by a "
			"node that has not yet received the flow)", where);
		return -EINVAL;
	}
	if (s->mode == BATON_MODE_FULLNAT && !s->snat) {
		svc_where(cfg, si, s->line, "snat", where, sizeof(where));
		bprintf(err, errlen, "%s: required for mode fullnat, expected "
			"an IPv4 address", where);
		return -EINVAL;
	}
	if (s->mode != BATON_MODE_FULLNAT && s->snat) {
		svc_where(cfg, si, s->line, "snat", where, sizeof(where));
		bprintf(err, errlen, "%s: expected only with mode fullnat, "
			"got '%s' with mode %s", where,
			ip_str(s->snat, ip, sizeof(ip)),
			baton_mode_str(s->mode));
		return -EINVAL;
	}
	for (j = 0; j < si; j++) {
		const struct baton_service_cfg *o = &cfg->services[j];

		if (o->vip != s->vip || o->port != s->port ||
		    o->proto != s->proto)
			continue;
		svc_where(cfg, si, s->line, "", where, sizeof(where));
		if (s->line > 0 && o->line > 0)
			bprintf(err, errlen, "%s: duplicate service %s, first "
				"at line %d", where,
				svc_str(s, name, sizeof(name)), o->line);
		else
			bprintf(err, errlen, "%s: duplicate service %s, first "
				"as services[%zu]", where,
				svc_str(s, name, sizeof(name)), j);
		return -EINVAL;
	}
	ret = validate_health(cfg, si, err, errlen);
	if (ret)
		return ret;
	return validate_backends(cfg, si, err, errlen);
}

int baton_config_validate(const struct baton_config *cfg, char *err,
			  size_t errlen)
{
	size_t i;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!cfg)
		return -EINVAL;
	ret = validate_globals(cfg, err, errlen);
	if (ret)
		return ret;
	ret = validate_sync(cfg, err, errlen);
	if (ret)
		return ret;
	/* ecmp: first: with ha: too, that is the error to report */
	ret = validate_ecmp(cfg, err, errlen);
	if (ret)
		return ret;
	ret = validate_ha(cfg, err, errlen);
	if (ret)
		return ret;
	if (cfg->nservices > BATON_MAX_SERVICES) {
		bprintf(err, errlen, "%s: services: expected at most %d "
			"services, got %zu", cfg_name(cfg), BATON_MAX_SERVICES,
			cfg->nservices);
		return -EINVAL;
	}
	if (cfg->nservices && !cfg->services) {
		bprintf(err, errlen, "%s: services: %zu services but no array",
			cfg_name(cfg), cfg->nservices);
		return -EINVAL;
	}
	for (i = 0; i < cfg->nservices; i++) {
		ret = validate_service(cfg, i, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the YAML walk ----------------------------------------------------- */

struct parser {
	const char *name;	/* file name in messages */
	const char *buf;	/* the text, to place reader errors */
	size_t len;
	yaml_document_t *doc;
	struct baton_config *cfg;
	char *err;
	size_t errlen;
};

static int node_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 1;
}

static int perr(struct parser *p, int line, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "FILE:LINE: KEY: message"; always -EINVAL so callers can return it. */
static int perr(struct parser *p, int line, const char *key,
		const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!p->err || !p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%d: %s: %s", p->name, line,
		 key[0] ? key : "top level", msg);
	return -EINVAL;
}

static const char *describe(const yaml_node_t *n, char *buf, size_t len)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		return quote(n->data.scalar.value, n->data.scalar.length, buf,
			     len);
	default:
		return "nothing";
	}
}

static int expect(struct parser *p, const yaml_node_t *n, const char *key,
		  const char *what)
{
	char got[64];

	return perr(p, node_line(n), key, "expected %s, got %s", what,
		    describe(n, got, sizeof(got)));
}

static void key_join(char *dst, size_t len, const char *path, const char *key)
{
	if (path[0])
		bprintf(dst, len, "%s.%s", path, key);
	else
		bprintf(dst, len, "%s", key);
}

/* A plain "", "~" or "null": an empty section (`services:` with all
 * entries commented out) is the section's default, not a type error. */
static bool is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)n->data.scalar.value;
	return !s[0] || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static yaml_node_t *get_node(struct parser *p, int index)
{
	return yaml_document_get_node(p->doc, index);
}

/*
 * Collect a mapping's values by key name: vals[i] gets the value of keys[i]
 * or NULL. Unknown, repeated and non-scalar keys are errors. A null node
 * (absent or empty section) yields all-NULL.
 */
static int map_fields(struct parser *p, yaml_node_t *map, const char *path,
		      const char *const *keys, size_t nkeys, yaml_node_t **vals)
{
	int lines[MAP_MAX_KEYS];
	yaml_node_pair_t *pair;
	char sub[KEY_MAX], name[64];
	size_t i;

	if (nkeys > MAP_MAX_KEYS)
		return -EINVAL;		/* a schema bug, not the file's */
	memset(vals, 0, nkeys * sizeof(*vals));
	if (!map || is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return expect(p, map, path, "a mapping");

	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = get_node(p, pair->key);
		yaml_node_t *v = get_node(p, pair->value);
		const char *ks;

		if (!k || !v)
			return perr(p, node_line(map), path, "malformed "
				    "mapping");
		if (k->type != YAML_SCALAR_NODE)
			return expect(p, k, path, "a key name");
		ks = (const char *)k->data.scalar.value;
		for (i = 0; i < nkeys; i++)
			if (strlen(keys[i]) == k->data.scalar.length &&
			    !strcmp(keys[i], ks))
				break;
		if (i == nkeys) {
			char choices[256] = "";
			size_t j, o = 0;

			for (j = 0; j < nkeys && o < sizeof(choices); j++)
				o += snprintf(choices + o, sizeof(choices) - o,
					      "%s%s", j ? "|" : "", keys[j]);
			clean(k->data.scalar.value, k->data.scalar.length,
			      name, sizeof(name));
			key_join(sub, sizeof(sub), path, name);
			return perr(p, node_line(k), sub, "unknown key, "
				    "expected one of %s", choices);
		}
		if (vals[i]) {
			key_join(sub, sizeof(sub), path, keys[i]);
			return perr(p, node_line(k), sub, "duplicate key, "
				    "first at line %d", lines[i]);
		}
		vals[i] = v;
		lines[i] = node_line(k);
	}
	return 0;
}

static int seq_items(struct parser *p, yaml_node_t *n, const char *path,
		     yaml_node_item_t **items, size_t *count)
{
	*items = NULL;
	*count = 0;
	if (!n || is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return expect(p, n, path, "a list");
	*items = n->data.sequence.items.start;
	*count = n->data.sequence.items.top - n->data.sequence.items.start;
	return 0;
}

static int scalar(struct parser *p, yaml_node_t *n, const char *key,
		  const char *what, const char **out)
{
	*out = "";
	if (n->type != YAML_SCALAR_NODE)
		return expect(p, n, key, what);
	/* "\0" escapes exist; a C string would silently cut the value. */
	if (memchr(n->data.scalar.value, 0, n->data.scalar.length))
		return perr(p, node_line(n), key, "expected %s, got a string "
			    "with a NUL byte", what);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

static int get_u32(struct parser *p, yaml_node_t *n, const char *key,
		   uint32_t min, uint32_t max, uint32_t *out)
{
	char what[64];
	const char *s;
	uint32_t v;
	int ret;

	snprintf(what, sizeof(what), "a number in %" PRIu32 "..%" PRIu32,
		 min, max);
	ret = scalar(p, n, key, what, &s);
	if (ret)
		return ret;
	if (parse_u32(s, &v) || v < min || v > max)
		return expect(p, n, key, what);
	*out = v;
	return 0;
}

static int get_choice(struct parser *p, yaml_node_t *n, const char *key,
		      const char *choices, int (*from_str)(const char *),
		      int *out)
{
	char what[64];
	const char *s;
	int ret, v;

	snprintf(what, sizeof(what), "one of %s", choices);
	ret = scalar(p, n, key, what, &s);
	if (ret)
		return ret;
	v = from_str(s);
	if (v < 0)
		return expect(p, n, key, what);
	*out = v;
	return 0;
}

static int get_ipv4(struct parser *p, yaml_node_t *n, const char *key,
		    uint32_t *out)
{
	struct in_addr a;
	const char *s;
	int ret;

	ret = scalar(p, n, key, "an IPv4 address", &s);
	if (ret)
		return ret;
	if (inet_pton(AF_INET, s, &a) != 1)
		return expect(p, n, key, "an IPv4 address");
	*out = ntohl(a.s_addr);
	return 0;
}

static int get_path(struct parser *p, yaml_node_t *n, const char *key,
		    size_t max, char *dst)
{
	char what[64];
	const char *s;
	int ret;

	snprintf(what, sizeof(what), "an absolute path shorter than %zu bytes",
		 max);
	ret = scalar(p, n, key, what, &s);
	if (ret)
		return ret;
	if (!path_ok(s, n->data.scalar.length, max))
		return expect(p, n, key, what);
	memcpy(dst, s, n->data.scalar.length + 1);
	return 0;
}

enum {
	N_ID, N_EPOCH, N_PIN_PATH, N_CTL, N_KEEP, N_LOG, N_METRICS, N_PRIVS,
	N_MAX
};
static const char *const node_keys[N_MAX] = {
	[N_ID] = "id",
	[N_EPOCH] = "epoch",
	[N_PIN_PATH] = "pin_path",
	[N_CTL] = "control_socket",
	[N_KEEP] = "keep_datapath",
	[N_LOG] = "log_level",
	[N_METRICS] = "metrics",
	[N_PRIVS] = "drop_privileges",
};

#define METRICS_WHAT	"an IPv4 ADDRESS:PORT to serve metrics on, or 'off'"

/* "A.B.C.D:PORT" (host order out), or "off" (port 0). */
static bool metrics_parse(const char *s, uint32_t *addr, uint16_t *port)
{
	char buf[32], *colon;
	struct in_addr a;
	uint32_t v;

	if (!strcmp(s, "off")) {
		*addr = 0;
		*port = 0;
		return true;
	}
	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	colon = strrchr(buf, ':');
	if (!colon)
		return false;
	*colon = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1 || parse_u32(colon + 1, &v) ||
	    v < PORT_MIN || v > PORT_MAX)
		return false;
	*addr = ntohl(a.s_addr);
	*port = (uint16_t)v;
	return true;
}

static int parse_node(struct parser *p, yaml_node_t *n, int parent_line)
{
	struct baton_config *cfg = p->cfg;
	yaml_node_t *v[N_MAX];
	int ret, x = 0;

	ret = map_fields(p, n, "node", node_keys, N_MAX, v);
	if (ret)
		return ret;
	if (!v[N_ID])
		return perr(p, n ? node_line(n) : parent_line, "node.id",
			    "required key missing");
	ret = get_u32(p, v[N_ID], "node.id", NODE_ID_MIN, NODE_ID_MAX,
		      &cfg->node_id);
	if (!ret && v[N_EPOCH])
		ret = get_u32(p, v[N_EPOCH], "node.epoch", 0, UINT32_MAX,
			      &cfg->epoch);
	if (!ret && v[N_PIN_PATH])
		ret = get_path(p, v[N_PIN_PATH], "node.pin_path",
			       sizeof(cfg->pin_path), cfg->pin_path);
	if (!ret && v[N_CTL])
		ret = get_path(p, v[N_CTL], "node.control_socket",
			       CTL_PATH_MAX, cfg->ctl_path);
	if (!ret && v[N_KEEP]) {
		ret = get_choice(p, v[N_KEEP], "node.keep_datapath",
				 BOOL_CHOICES, bool_from_str, &x);
		if (!ret)
			cfg->keep_datapath = x == 1;
	}
	if (!ret && v[N_PRIVS]) {
		ret = get_choice(p, v[N_PRIVS], "node.drop_privileges",
				 BOOL_CHOICES, bool_from_str, &x);
		if (!ret)
			cfg->drop_privileges = x == 1;
	}
	if (!ret && v[N_LOG]) {
		ret = get_choice(p, v[N_LOG], "node.log_level", LOG_CHOICES,
				 log_level_from_str, &x);
		if (!ret)
			snprintf(cfg->log_level, sizeof(cfg->log_level), "%s",
				 log_levels[x]);
	}
	if (!ret && v[N_METRICS]) {
		const char *m;

		ret = scalar(p, v[N_METRICS], "node.metrics", METRICS_WHAT, &m);
		if (!ret && !metrics_parse(m, &cfg->metrics_addr,
					   &cfg->metrics_port))
			ret = expect(p, v[N_METRICS], "node.metrics",
				     METRICS_WHAT);
	}
	return ret;
}

enum { I_NAME, I_XDP, I_MAX };
static const char *const iface_keys[I_MAX] = {
	[I_NAME] = "name",
	[I_XDP] = "xdp",
};

static int parse_ifaces(struct parser *p, yaml_node_t *n, int parent_line)
{
	struct baton_config *cfg = p->cfg;
	int lines[BATON_MAX_IFACES];
	yaml_node_item_t *items;
	size_t count, i, j;
	char path[KEY_MAX], key[KEY_MAX];
	int ret, x = 0;

	ret = seq_items(p, n, "interfaces", &items, &count);
	if (ret)
		return ret;
	if (!n)
		return perr(p, parent_line, "interfaces", "required key "
			    "missing");
	if (!count)
		return perr(p, node_line(n), "interfaces", "expected at least "
			    "one interface, got none");
	if (count > BATON_MAX_IFACES)
		return perr(p, node_line(get_node(p, items[BATON_MAX_IFACES])),
			    "interfaces", "expected at most %d interfaces, "
			    "got %zu", BATON_MAX_IFACES, count);

	for (i = 0; i < count; i++) {
		struct baton_iface_cfg *ifc = &cfg->ifaces[i];
		yaml_node_t *item = get_node(p, items[i]);
		yaml_node_t *v[I_MAX];
		const char *s;

		snprintf(path, sizeof(path), "interfaces[%zu]", i);
		ret = map_fields(p, item, path, iface_keys, I_MAX, v);
		if (ret)
			return ret;
		lines[i] = node_line(item);
		key_join(key, sizeof(key), path, "name");
		if (!v[I_NAME])
			return perr(p, lines[i], key, "required key missing");
		ret = scalar(p, v[I_NAME], key, "an interface name", &s);
		if (ret)
			return ret;
		if (!iface_name_ok(s, v[I_NAME]->data.scalar.length))
			return expect(p, v[I_NAME], key, IFACE_WHAT);
		for (j = 0; j < i; j++)
			if (!strcmp(cfg->ifaces[j].name, s))
				return perr(p, node_line(v[I_NAME]), key,
					    "duplicate interface '%s', first "
					    "at line %d", s, lines[j]);
		memcpy(ifc->name, s, v[I_NAME]->data.scalar.length + 1);
		ifc->xdp = BATON_XDP_NATIVE;
		if (v[I_XDP]) {
			key_join(key, sizeof(key), path, "xdp");
			ret = get_choice(p, v[I_XDP], key, XDP_CHOICES,
					 xdp_from_str, &x);
			if (ret)
				return ret;
			ifc->xdp = (uint8_t)x;
		}
		cfg->nifaces = i + 1;
	}
	return 0;
}

enum { C_MAX_ENTRIES, C_GC, C_PRESSURE, C_TIMEOUTS, C_MAX };
static const char *const ct_keys[C_MAX] = {
	[C_MAX_ENTRIES] = "max_entries",
	[C_GC] = "gc_interval_ms",
	[C_PRESSURE] = "pressure_pct",
	[C_TIMEOUTS] = "timeouts",
};

static int parse_conntrack(struct parser *p, yaml_node_t *n)
{
	struct baton_config *cfg = p->cfg;
	yaml_node_t *v[C_MAX], *t[N_TIMEOUTS];
	char key[KEY_MAX];
	size_t i;
	int ret;

	ret = map_fields(p, n, "conntrack", ct_keys, C_MAX, v);
	if (!ret && v[C_MAX_ENTRIES])
		ret = get_u32(p, v[C_MAX_ENTRIES], "conntrack.max_entries",
			      CT_MAX_MIN, CT_MAX_MAX, &cfg->ct_max);
	if (!ret && v[C_GC])
		ret = get_u32(p, v[C_GC], "conntrack.gc_interval_ms",
			      GC_MS_MIN, GC_MS_MAX, &cfg->gc_interval_ms);
	if (!ret && v[C_PRESSURE])
		ret = get_u32(p, v[C_PRESSURE], "conntrack.pressure_pct", 0,
			      100, &cfg->pressure_pct);
	if (!ret)
		ret = map_fields(p, v[C_TIMEOUTS], "conntrack.timeouts",
				 timeout_keys, N_TIMEOUTS, t);
	for (i = 0; !ret && i < N_TIMEOUTS; i++) {
		if (!t[i])
			continue;
		snprintf(key, sizeof(key), "conntrack.timeouts.%s",
			 timeout_keys[i]);
		ret = get_u32(p, t[i], key, TIMEOUT_MIN, TIMEOUT_MAX,
			      timeout_at(cfg, i));
	}
	return ret;
}

enum { L_SEED, L_MAX };
static const char *const lb_keys[L_MAX] = { [L_SEED] = "hash_seed" };

static int parse_lb(struct parser *p, yaml_node_t *n)
{
	yaml_node_t *v[L_MAX];
	int ret;

	ret = map_fields(p, n, "lb", lb_keys, L_MAX, v);
	if (!ret && v[L_SEED])
		ret = get_u32(p, v[L_SEED], "lb.hash_seed", 0, UINT32_MAX,
			      &p->cfg->hash_seed);
	return ret;
}

/* A sync address into dst (BATON_URL_MAX bytes); *scheme gets its scheme. */
static int get_url(struct parser *p, yaml_node_t *n, const char *key,
		   char *dst, int *scheme)
{
	const char *s;
	int ret;

	ret = scalar(p, n, key, URL_WHAT, &s);
	if (ret)
		return ret;
	*scheme = url_scheme(s, n->data.scalar.length);
	if (*scheme < 0)
		return expect(p, n, key, URL_WHAT);
	memcpy(dst, s, n->data.scalar.length + 1);
	return 0;
}

enum { PE_ID, PE_ADDR, PE_MAX };
static const char *const peer_keys[PE_MAX] = {
	[PE_ID] = "id",
	[PE_ADDR] = "address",
};

static int parse_peer(struct parser *p, yaml_node_t *n, const char *path,
		      struct baton_peer_cfg *pe, int *scheme)
{
	yaml_node_t *v[PE_MAX];
	char key[KEY_MAX];
	int ret;

	ret = map_fields(p, n, path, peer_keys, PE_MAX, v);
	if (ret)
		return ret;
	pe->line = node_line(n);
	key_join(key, sizeof(key), path, "id");
	if (!v[PE_ID])
		return perr(p, pe->line, key, "required key missing");
	ret = get_u32(p, v[PE_ID], key, NODE_ID_MIN, NODE_ID_MAX, &pe->id);
	if (ret)
		return ret;
	key_join(key, sizeof(key), path, "address");
	if (!v[PE_ADDR])
		return perr(p, pe->line, key, "required key missing");
	return get_url(p, v[PE_ADDR], key, pe->url, scheme);
}

static int parse_peers(struct parser *p, yaml_node_t *n, int parent_line,
		       unsigned int *schemes)
{
	struct baton_sync_cfg *s = &p->cfg->sync;
	yaml_node_item_t *items;
	char key[KEY_MAX];
	size_t count, i;
	int ret, scheme = URL_TCP;

	ret = seq_items(p, n, "sync.peers", &items, &count);
	if (ret)
		return ret;
	if (!n)
		return perr(p, parent_line, "sync.peers", "required key "
			    "missing");
	if (!count)
		return perr(p, node_line(n), "sync.peers", "expected at least "
			    "one peer, got none");
	if (count > BATON_MAX_PEERS)
		return perr(p, node_line(get_node(p, items[BATON_MAX_PEERS])),
			    "sync.peers", "expected at most %d peers, got %zu",
			    BATON_MAX_PEERS, count);
	for (i = 0; i < count; i++) {
		snprintf(key, sizeof(key), "sync.peers[%zu]", i);
		ret = parse_peer(p, get_node(p, items[i]), key, &s->peers[i],
				 &scheme);
		if (ret)
			return ret;
		*schemes |= 1u << scheme;
		s->npeers = i + 1;
	}
	return 0;
}

enum { TL_CERT, TL_KEY, TL_CA, TL_MAX };
static const char *const tls_keys[TL_MAX] = {
	[TL_CERT] = "cert",
	[TL_KEY] = "key",
	[TL_CA] = "ca",
};

static int parse_tls(struct parser *p, yaml_node_t *n)
{
	struct baton_sync_cfg *s = &p->cfg->sync;
	char *dst[TL_MAX] = { s->tls_cert, s->tls_key, s->tls_ca };
	yaml_node_t *v[TL_MAX];
	char key[KEY_MAX];
	size_t i;
	int ret;

	ret = map_fields(p, n, "sync.tls", tls_keys, TL_MAX, v);
	for (i = 0; !ret && i < TL_MAX; i++) {
		if (!v[i])
			continue;
		snprintf(key, sizeof(key), "sync.tls.%s", tls_keys[i]);
		ret = get_path(p, v[i], key, PATH_MAX, dst[i]);
	}
	return ret;
}

enum { Y_LISTEN, Y_PEERS, Y_TLS, Y_BATCH, Y_REFRESH, Y_QUEUE, Y_MAX };
static const char *const sync_keys[Y_MAX] = {
	[Y_LISTEN] = "listen",
	[Y_PEERS] = "peers",
	[Y_TLS] = "tls",
	[Y_BATCH] = "batch_ms",
	[Y_REFRESH] = "refresh_s",
	[Y_QUEUE] = "queue",
};

/*
 * sync: present means on; absent or empty (everything commented out)
 * means off, like any other empty section. Mixed schemes, peer ids and
 * duplicates are judged by validate_sync(), which names peers by line;
 * the TLS rule is checked here too (when the schemes agree, so that a
 * mix is reported as such), because only here are the lines of sync: and
 * sync.tls known.
 */
static int parse_sync(struct parser *p, yaml_node_t *n)
{
	struct baton_sync_cfg *s = &p->cfg->sync;
	unsigned int schemes;
	const char *problem;
	yaml_node_t *v[Y_MAX];
	char msg[128];
	int ret, line, scheme = URL_TCP;

	ret = map_fields(p, n, "sync", sync_keys, Y_MAX, v);
	if (ret || !n || is_null(n))
		return ret;
	s->enabled = true;
	line = node_line(n);
	if (!v[Y_LISTEN])
		return perr(p, line, "sync.listen", "required key missing");
	ret = get_url(p, v[Y_LISTEN], "sync.listen", s->listen, &scheme);
	if (ret)
		return ret;
	schemes = 1u << scheme;
	ret = parse_peers(p, v[Y_PEERS], line, &schemes);
	if (!ret)
		ret = parse_tls(p, v[Y_TLS]);
	if (!ret && v[Y_BATCH])
		ret = get_u32(p, v[Y_BATCH], "sync.batch_ms", SYNC_BATCH_MIN,
			      SYNC_BATCH_MAX, &s->batch_ms);
	if (!ret && v[Y_REFRESH])
		ret = get_u32(p, v[Y_REFRESH], "sync.refresh_s",
			      SYNC_REFRESH_MIN, SYNC_REFRESH_MAX,
			      &s->refresh_s);
	if (!ret && v[Y_QUEUE])
		ret = get_u32(p, v[Y_QUEUE], "sync.queue", SYNC_QUEUE_MIN,
			      SYNC_QUEUE_MAX, &s->queue);
	if (ret || schemes != 1u << scheme)
		return ret;
	problem = tls_problem(s, scheme == URL_TLS, msg, sizeof(msg));
	if (problem)
		return perr(p, v[Y_TLS] && !is_null(v[Y_TLS]) ?
				       node_line(v[Y_TLS]) : line,
			    "sync.tls", "%s", problem);
	return 0;
}

enum { H_FIFO, H_TRACK, H_FOLLOW, H_FOLLOW_TYPE, H_GRACE, H_RESUME, H_SPLIT,
       H_NUDGE, H_VRRP, H_MAX };
static const char *const ha_keys[H_MAX] = {
	[H_FIFO] = "notify_fifo",
	[H_TRACK] = "track_file",
	[H_FOLLOW] = "follow",
	[H_FOLLOW_TYPE] = "follow_type",
	[H_GRACE] = "grace_ms",
	[H_RESUME] = "resume_master",
	[H_SPLIT] = "split_brain",
	[H_NUDGE] = "nudge",
	[H_VRRP] = "vrrp",
};

/* ha.grace_ms and ecmp.grace_ms: milliseconds, or 'forever'. */
static int get_grace(struct parser *p, yaml_node_t *n, const char *key,
		     bool *forever, uint32_t *ms)
{
	if (n->type == YAML_SCALAR_NODE &&
	    !strcmp((const char *)n->data.scalar.value, "forever")) {
		*forever = true;
		return 0;
	}
	/* say that 'forever' is allowed too */
	if (get_u32(p, n, key, 0, BATON_HA_GRACE_MS_MAX, ms))
		return expect(p, n, key, GRACE_WHAT);
	return 0;
}

static int split_brain_from_str(const char *s)
{
	if (!strcmp(s, "takeover"))
		return 0;
	if (!strcmp(s, "priority"))
		return 1;
	return -1;
}

static int follow_type_from_str(const char *s)
{
	if (!strcmp(s, "group"))
		return BATON_HA_FOLLOW_GROUP;
	if (!strcmp(s, "instance"))
		return BATON_HA_FOLLOW_INSTANCE;
	return -1;
}

/* "a.b.c.d/len", len 0..32, into a host order address and len. */
static bool cidr_parse(const char *s, uint32_t *addr, uint32_t *plen)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash;
	struct in_addr a;

	slash = strchr(s, '/');
	if (!slash || slash == s || (size_t)(slash - s) >= sizeof(ip))
		return false;
	memcpy(ip, s, slash - s);
	ip[slash - s] = '\0';
	if (inet_pton(AF_INET, ip, &a) != 1 || parse_u32(slash + 1, plen) ||
	    *plen > 32)
		return false;
	*addr = ntohl(a.s_addr);
	return true;
}

/* An address with its prefix length, "10.1.0.1/24". */
static int get_cidr(struct parser *p, yaml_node_t *n, const char *key,
		    struct baton_vrrp_addr *out)
{
	const char *s;
	uint32_t addr, plen;
	int ret;

	ret = scalar(p, n, key, VRRP_CIDR_WHAT, &s);
	if (ret)
		return ret;
	if (!cidr_parse(s, &addr, &plen) || plen < 1)
		return expect(p, n, key, VRRP_CIDR_WHAT);
	out->addr = addr;
	out->plen = (uint8_t)plen;
	if (!vrrp_host_ok(out->addr, plen))
		return expect(p, n, key, VRRP_HOST_WHAT);
	return 0;
}

static int get_host_ipv4(struct parser *p, yaml_node_t *n, const char *key,
			 uint32_t *out)
{
	int ret;

	ret = get_ipv4(p, n, key, out);
	if (!ret && !*out)
		return expect(p, n, key, "a non-zero IPv4 address");
	return ret;
}

enum { VI_IF, VI_VRID, VI_ADDRS, VI_PEERS, VI_SOURCE, VI_MAX };
static const char *const vinst_keys[VI_MAX] = {
	[VI_IF] = "interface",
	[VI_VRID] = "vrid",
	[VI_ADDRS] = "addresses",
	[VI_PEERS] = "unicast_peers",
	[VI_SOURCE] = "source",
};

static int parse_vrrp_addrs(struct parser *p, yaml_node_t *n,
			    const char *path, struct baton_vrrp_inst_cfg *vi)
{
	const struct baton_vrrp_inst_cfg *front = &p->cfg->ha.vrrp.front;
	int lines[BATON_VRRP_MAX_ADDRS];
	char key[KEY_MAX], ip[INET_ADDRSTRLEN];
	yaml_node_item_t *items;
	size_t count, i, j;
	int ret;

	key_join(key, sizeof(key), path, "addresses");
	ret = seq_items(p, n, key, &items, &count);
	if (ret)
		return ret;
	if (count > BATON_VRRP_MAX_ADDRS)
		return perr(p, node_line(get_node(p,
						  items[BATON_VRRP_MAX_ADDRS])),
			    key, "expected at most %d addresses, got %zu",
			    BATON_VRRP_MAX_ADDRS, count);
	for (i = 0; i < count; i++) {
		yaml_node_t *item = get_node(p, items[i]);
		struct baton_vrrp_addr *a = &vi->addrs[i];

		bprintf(key, sizeof(key), "%s.addresses[%zu]", path, i);
		ret = get_cidr(p, item, key, a);
		if (ret)
			return ret;
		lines[i] = node_line(item);
		ip_str(a->addr, ip, sizeof(ip));
		for (j = 0; j < i; j++)
			if (vi->addrs[j].addr == a->addr)
				return perr(p, lines[i], key, "duplicate "
					    "address %s, first at line %d", ip,
					    lines[j]);
		/* One address, one instance: keepalived would add and
		 * remove it with either. */
		if (vi != front && vrrp_addr_listed(front, a->addr,
						    front->naddrs))
			return perr(p, lines[i], key, "duplicate address %s, "
				    "already in ha.vrrp.front.addresses", ip);
		vi->naddrs = i + 1;
	}
	return 0;
}

static int parse_vrrp_peers(struct parser *p, yaml_node_t *n,
			    const char *path, struct baton_vrrp_inst_cfg *vi)
{
	int lines[BATON_VRRP_MAX_PEERS];
	char key[KEY_MAX], ip[INET_ADDRSTRLEN];
	yaml_node_item_t *items;
	size_t count, i, j;
	int ret;

	key_join(key, sizeof(key), path, "unicast_peers");
	ret = seq_items(p, n, key, &items, &count);
	if (ret)
		return ret;
	if (count > BATON_VRRP_MAX_PEERS)
		return perr(p, node_line(get_node(p,
						  items[BATON_VRRP_MAX_PEERS])),
			    key, "expected at most %d peers, got %zu",
			    BATON_VRRP_MAX_PEERS, count);
	for (i = 0; i < count; i++) {
		yaml_node_t *item = get_node(p, items[i]);

		bprintf(key, sizeof(key), "%s.unicast_peers[%zu]", path, i);
		ret = get_host_ipv4(p, item, key, &vi->peers[i]);
		if (ret)
			return ret;
		lines[i] = node_line(item);
		for (j = 0; j < i; j++)
			if (vi->peers[j] == vi->peers[i])
				return perr(p, lines[i], key, "duplicate peer "
					    "%s, first at line %d",
					    ip_str(vi->peers[i], ip,
						   sizeof(ip)), lines[j]);
		vi->npeers = i + 1;
	}
	return 0;
}

/*
 * ha.vrrp.front or ha.vrrp.back; absent or empty is off (front is
 * required, the caller says so). Its interface is one batond attaches
 * to, and back's VRID differs from front's: one VRID per instance keeps
 * the two elections apart even on a shared segment.
 */
static int parse_vrrp_inst(struct parser *p, yaml_node_t *n, const char *path,
			   struct baton_vrrp_inst_cfg *vi)
{
	const struct baton_config *cfg = p->cfg;
	const struct baton_vrrp_inst_cfg *front = &cfg->ha.vrrp.front;
	yaml_node_t *v[VI_MAX];
	char key[KEY_MAX], what[128];
	const char *s;
	uint32_t x;
	size_t i;
	int ret;

	ret = map_fields(p, n, path, vinst_keys, VI_MAX, v);
	if (ret || !n || is_null(n))
		return ret;
	vi->enabled = true;
	vi->line = node_line(n);

	key_join(key, sizeof(key), path, "interface");
	if (!v[VI_IF])
		return perr(p, vi->line, key, "required key missing");
	ifaces_what(cfg, what, sizeof(what));
	ret = scalar(p, v[VI_IF], key, what, &s);
	if (ret)
		return ret;
	if (!iface_known(cfg, s) || !ka_word_ok(s, IF_NAMESIZE))
		return expect(p, v[VI_IF], key, what);
	snprintf(vi->ifname, sizeof(vi->ifname), "%s", s);

	key_join(key, sizeof(key), path, "vrid");
	if (!v[VI_VRID])
		return perr(p, vi->line, key, "required key missing");
	ret = get_u32(p, v[VI_VRID], key, 1, 255, &x);
	if (ret)
		return ret;
	vi->vrid = (uint8_t)x;
	if (vi != front && vi->vrid == front->vrid)
		return perr(p, node_line(v[VI_VRID]), key, "expected a VRID "
			    "other than ha.vrrp.front.vrid, got '%u'",
			    vi->vrid);

	ret = parse_vrrp_addrs(p, v[VI_ADDRS], path, vi);
	if (!ret)
		ret = parse_vrrp_peers(p, v[VI_PEERS], path, vi);
	if (ret || !v[VI_SOURCE])
		return ret;
	key_join(key, sizeof(key), path, "source");
	ret = get_host_ipv4(p, v[VI_SOURCE], key, &vi->source);
	for (i = 0; !ret && i < vi->npeers; i++)
		if (vi->peers[i] == vi->source)
			return expect(p, v[VI_SOURCE], key, "this node's "
				      "address, not one of unicast_peers");
	return ret;
}

enum { V_PRIO, V_ADVERT, V_FRONT, V_BACK, V_MAX };
static const char *const vrrp_keys[V_MAX] = {
	[V_PRIO] = "priority",
	[V_ADVERT] = "advert_ms",
	[V_FRONT] = "front",
	[V_BACK] = "back",
};

/*
 * ha.vrrp: present means baton-keepalived may generate keepalived.conf
 * from this file; absent or empty means it may not. It constrains keys
 * of ha: that end up in keepalived.conf; hv are their values, for the
 * lines.
 */
static int parse_vrrp(struct parser *p, yaml_node_t *n, yaml_node_t **hv)
{
	struct baton_ha_cfg *h = &p->cfg->ha;
	struct baton_vrrp_cfg *vr = &h->vrrp;
	yaml_node_t *v[V_MAX];
	const char *s;
	uint32_t x;
	int ret, line;

	ret = map_fields(p, n, "ha.vrrp", vrrp_keys, V_MAX, v);
	if (ret || !n || is_null(n))
		return ret;
	vr->enabled = true;
	line = node_line(n);
	vr->line = line;
	/* follow_type defaults to group: only a given one can differ */
	if (h->follow_type != BATON_HA_FOLLOW_GROUP)
		return expect(p, hv[H_FOLLOW_TYPE], "ha.follow_type",
			      "group with ha.vrrp (baton-keepalived generates "
			      "the vrrp_sync_group that ha.follow names)");
	if (!vrrp_name_ok(h->follow, sizeof(h->follow)))
		return expect(p, hv[H_FOLLOW], "ha.follow", VRRP_NAME_WHAT);
	if (!ka_word_ok(h->notify_fifo, sizeof(h->notify_fifo)))
		return expect(p, hv[H_FIFO], "ha.notify_fifo",
			      "a path with " VRRP_WORD_WHAT);
	if (!ka_word_ok(h->track_file, sizeof(h->track_file)))
		return expect(p, hv[H_TRACK], "ha.track_file",
			      "a path with " VRRP_WORD_WHAT);

	if (!v[V_PRIO])
		return perr(p, line, "ha.vrrp.priority", "required key "
			    "missing");
	ret = get_u32(p, v[V_PRIO], "ha.vrrp.priority", BATON_VRRP_PRIO_MIN,
		      BATON_VRRP_PRIO_MAX, &x);
	if (ret)
		return ret;
	vr->priority = (uint8_t)x;
	if (v[V_ADVERT]) {
		ret = scalar(p, v[V_ADVERT], "ha.vrrp.advert_ms",
			     VRRP_ADVERT_WHAT, &s);
		if (ret)
			return ret;
		if (parse_u32(s, &x) || x < BATON_VRRP_ADVERT_MS_MIN ||
		    x > BATON_VRRP_ADVERT_MS_MAX || x % 10)
			return expect(p, v[V_ADVERT], "ha.vrrp.advert_ms",
				      VRRP_ADVERT_WHAT);
		vr->advert_ms = x;
	}
	if (!v[V_FRONT] || is_null(v[V_FRONT]))
		return perr(p, v[V_FRONT] ? node_line(v[V_FRONT]) : line,
			    "ha.vrrp.front", "required key missing");
	ret = parse_vrrp_inst(p, v[V_FRONT], "ha.vrrp.front", &vr->front);
	if (!ret)
		ret = parse_vrrp_inst(p, v[V_BACK], "ha.vrrp.back", &vr->back);
	return ret;
}

/*
 * ha: present means on; absent or empty means off, like sync:.
 * notify_fifo, track_file and follow are required.
 */
static int parse_ha(struct parser *p, yaml_node_t *n)
{
	struct baton_ha_cfg *h = &p->cfg->ha;
	yaml_node_t *v[H_MAX];
	const char *s;
	char what[64];
	int ret, line, x = 0;

	ret = map_fields(p, n, "ha", ha_keys, H_MAX, v);
	if (ret || !n || is_null(n))
		return ret;
	h->enabled = true;
	line = node_line(n);
	h->line = line;
	if (!v[H_FIFO])
		return perr(p, line, "ha.notify_fifo", "required key missing");
	if (!v[H_TRACK])
		return perr(p, line, "ha.track_file", "required key missing");
	if (!v[H_FOLLOW])
		return perr(p, line, "ha.follow", "required key missing");
	ret = get_path(p, v[H_FIFO], "ha.notify_fifo", PATH_MAX - 8,
		       h->notify_fifo);
	if (!ret)
		ret = get_path(p, v[H_TRACK], "ha.track_file", PATH_MAX - 8,
			       h->track_file);
	if (!ret && !strcmp(h->notify_fifo, h->track_file))
		return perr(p, node_line(v[H_TRACK]), "ha.track_file",
			    "expected a path other than ha.notify_fifo");
	if (!ret) {
		snprintf(what, sizeof(what), "a keepalived name of 1..%d "
			 "bytes without control characters", BATON_HA_NAME_MAX);
		ret = scalar(p, v[H_FOLLOW], "ha.follow", what, &s);
		if (!ret && (v[H_FOLLOW]->data.scalar.length >
				     BATON_HA_NAME_MAX ||
			     !ha_name_ok(s, BATON_HA_NAME_MAX)))
			return expect(p, v[H_FOLLOW], "ha.follow", what);
		if (!ret)
			memcpy(h->follow, s, v[H_FOLLOW]->data.scalar.length + 1);
	}
	if (!ret && v[H_FOLLOW_TYPE]) {
		ret = get_choice(p, v[H_FOLLOW_TYPE], "ha.follow_type",
				 FOLLOW_TYPE_CHOICES, follow_type_from_str, &x);
		if (!ret)
			h->follow_type = (uint8_t)x;
	}
	if (!ret && v[H_GRACE])
		ret = get_grace(p, v[H_GRACE], "ha.grace_ms", &h->grace_forever,
				&h->grace_ms);
	if (!ret && v[H_RESUME]) {
		ret = get_choice(p, v[H_RESUME], "ha.resume_master",
				 BOOL_CHOICES, bool_from_str, &x);
		if (!ret)
			h->resume_master = x == 1;
	}
	if (!ret && v[H_SPLIT]) {
		ret = get_choice(p, v[H_SPLIT], "ha.split_brain",
				 SPLIT_BRAIN_CHOICES, split_brain_from_str, &x);
		if (!ret)
			h->split_priority = x == 1;
	}
	if (!ret && v[H_NUDGE]) {
		ret = get_choice(p, v[H_NUDGE], "ha.nudge", BOOL_CHOICES,
				 bool_from_str, &x);
		if (!ret)
			h->nudge = x == 1;
	}
	if (!ret && v[H_VRRP])
		ret = parse_vrrp(p, v[H_VRRP], v);
	return ret;
}

/* ---- ecmp: ------------------------------------------------------------- */

enum { EC_HEALTH, EC_GRACE, EC_BGP, EC_MAX };
static const char *const ecmp_keys[EC_MAX] = {
	[EC_HEALTH] = "health_interface",
	[EC_GRACE] = "grace_ms",
	[EC_BGP] = "bgp",
};

enum { BG_ASN, BG_ROUTER_ID, BG_BFD, BG_HOLD, BG_FRONT, BG_BACK, BG_MAX };
static const char *const bgp_keys[BG_MAX] = {
	[BG_ASN] = "asn",
	[BG_ROUTER_ID] = "router_id",
	[BG_BFD] = "bfd",
	[BG_HOLD] = "hold_s",
	[BG_FRONT] = "front",
	[BG_BACK] = "back",
};

/* front takes the keys before BS_PREFIXES: it announces the VIPs. */
enum { BS_NEIGHBORS, BS_PREFIXES, BS_MAX };
static const char *const bgp_side_keys[BS_MAX] = {
	[BS_NEIGHBORS] = "neighbors",
	[BS_PREFIXES] = "prefixes",
};

enum { BN_ADDR, BN_ASN, BN_MAX };
static const char *const bgp_nbr_keys[BN_MAX] = {
	[BN_ADDR] = "address",
	[BN_ASN] = "asn",
};

/* A network prefix, "10.0.0.0/24" or "0.0.0.0/0": no host bits set, so
 * that what bird announces is what the file says. */
static int get_prefix(struct parser *p, yaml_node_t *n, const char *key,
		      struct baton_vrrp_addr *out)
{
	char what[96], ip[INET_ADDRSTRLEN];
	const char *s;
	uint32_t addr, plen;
	int ret;

	ret = scalar(p, n, key, BGP_PREFIX_WHAT, &s);
	if (ret)
		return ret;
	if (!cidr_parse(s, &addr, &plen))
		return expect(p, n, key, BGP_PREFIX_WHAT);
	if (host_bits(addr, plen)) {
		bprintf(what, sizeof(what), "a network prefix with the host "
			"bits zero (%s/%" PRIu32 ")",
			ip_str(addr & ~(~0u >> plen), ip, sizeof(ip)), plen);
		return expect(p, n, key, what);
	}
	out->addr = addr;
	out->plen = (uint8_t)plen;
	return 0;
}

/* *addr_line gets the line of its address, for duplicates. */
static int parse_bgp_neighbor(struct parser *p, yaml_node_t *n,
			      const char *path, struct baton_bgp_neighbor *nb,
			      int *addr_line)
{
	yaml_node_t *v[BN_MAX];
	char key[KEY_MAX];
	int ret;

	ret = map_fields(p, n, path, bgp_nbr_keys, BN_MAX, v);
	if (ret)
		return ret;
	nb->line = node_line(n);
	key_join(key, sizeof(key), path, "address");
	if (!v[BN_ADDR])
		return perr(p, nb->line, key, "required key missing");
	ret = get_host_ipv4(p, v[BN_ADDR], key, &nb->addr);
	if (ret)
		return ret;
	*addr_line = node_line(v[BN_ADDR]);
	key_join(key, sizeof(key), path, "asn");
	if (!v[BN_ASN])
		return perr(p, nb->line, key, "required key missing");
	return get_u32(p, v[BN_ASN], key, 1, UINT32_MAX, &nb->asn);
}

/* A required list of 1..max `what`s at key (missing: reported at line). */
static int required_items(struct parser *p, yaml_node_t *n, const char *key,
			  int line, size_t max, const char *what,
			  yaml_node_item_t **items, size_t *count)
{
	const char *plural = !strcmp(what, "prefix") ? "es" : "s";
	int ret;

	if (!n)
		return perr(p, line, key, "required key missing");
	ret = seq_items(p, n, key, items, count);
	if (ret)
		return ret;
	if (!*count)
		return perr(p, node_line(n), key, "expected at least one %s, "
			    "got none", what);
	if (*count > max)
		return perr(p, node_line(get_node(p, (*items)[max])), key,
			    "expected at most %zu %s%s, got %zu", max, what,
			    plural, *count);
	return 0;
}

static int parse_bgp_neighbors(struct parser *p, yaml_node_t *n,
			       const char *path, struct baton_bgp_side *bs)
{
	int lines[BATON_BGP_MAX_NEIGHBORS];
	char key[KEY_MAX], sub[KEY_MAX], ip[INET_ADDRSTRLEN];
	yaml_node_item_t *items;
	size_t count, i, j;
	int ret;

	key_join(key, sizeof(key), path, "neighbors");
	ret = required_items(p, n, key, bs->line, BATON_BGP_MAX_NEIGHBORS,
			     "neighbor", &items, &count);
	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		struct baton_bgp_neighbor *nb = &bs->neighbors[i];

		bprintf(key, sizeof(key), "%s.neighbors[%zu]", path, i);
		ret = parse_bgp_neighbor(p, get_node(p, items[i]), key, nb,
					 &lines[i]);
		if (ret)
			return ret;
		/* One session per neighbor and side. */
		for (j = 0; j < i; j++) {
			if (bs->neighbors[j].addr != nb->addr)
				continue;
			key_join(sub, sizeof(sub), key, "address");
			return perr(p, lines[i], sub, "duplicate neighbor %s, "
				    "first at line %d",
				    ip_str(nb->addr, ip, sizeof(ip)), lines[j]);
		}
		bs->nneighbors = i + 1;
	}
	return 0;
}

static int parse_bgp_prefixes(struct parser *p, yaml_node_t *n,
			      const char *path, struct baton_bgp_side *bs)
{
	int lines[BATON_BGP_MAX_PREFIXES];
	char key[KEY_MAX], ip[INET_ADDRSTRLEN];
	yaml_node_item_t *items;
	size_t count, i, j;
	int ret;

	key_join(key, sizeof(key), path, "prefixes");
	ret = required_items(p, n, key, bs->line, BATON_BGP_MAX_PREFIXES,
			     "prefix", &items, &count);
	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		yaml_node_t *item = get_node(p, items[i]);
		struct baton_vrrp_addr *a = &bs->prefixes[i];

		bprintf(key, sizeof(key), "%s.prefixes[%zu]", path, i);
		ret = get_prefix(p, item, key, a);
		if (ret)
			return ret;
		lines[i] = node_line(item);
		for (j = 0; j < i; j++)
			if (bs->prefixes[j].addr == a->addr &&
			    bs->prefixes[j].plen == a->plen)
				return perr(p, lines[i], key, "duplicate "
					    "prefix %s/%u, first at line %d",
					    ip_str(a->addr, ip, sizeof(ip)),
					    a->plen, lines[j]);
		bs->nprefixes = i + 1;
	}
	return 0;
}

/*
 * ecmp.bgp.front or ecmp.bgp.back; absent or empty is off (front is
 * required, the caller says so). A side present needs its neighbors,
 * and back its prefixes too: front announces the services' VIPs.
 */
static int parse_bgp_side(struct parser *p, yaml_node_t *n, const char *path,
			  bool back, struct baton_bgp_side *bs)
{
	yaml_node_t *v[BS_MAX] = { NULL };
	int ret;

	ret = map_fields(p, n, path, bgp_side_keys,
			 back ? BS_MAX : BS_PREFIXES, v);
	if (ret || !n || is_null(n))
		return ret;
	bs->line = node_line(n);
	ret = parse_bgp_neighbors(p, v[BS_NEIGHBORS], path, bs);
	if (!ret && back)
		ret = parse_bgp_prefixes(p, v[BS_PREFIXES], path, bs);
	return ret;
}

/*
 * ecmp.bgp: present means baton-bird may generate bird.conf from this
 * file; absent or empty means it may not. batond does not read it.
 */
static int parse_bgp(struct parser *p, yaml_node_t *n)
{
	struct baton_bgp_cfg *b = &p->cfg->ecmp.bgp;
	yaml_node_t *v[BG_MAX];
	int ret, line, x = 0;

	ret = map_fields(p, n, "ecmp.bgp", bgp_keys, BG_MAX, v);
	if (ret || !n || is_null(n))
		return ret;
	b->enabled = true;
	line = node_line(n);
	b->line = line;
	if (!v[BG_ASN])
		return perr(p, line, "ecmp.bgp.asn", "required key missing");
	ret = get_u32(p, v[BG_ASN], "ecmp.bgp.asn", 1, UINT32_MAX, &b->asn);
	if (!ret && v[BG_ROUTER_ID])
		ret = get_host_ipv4(p, v[BG_ROUTER_ID], "ecmp.bgp.router_id",
				    &b->router_id);
	if (!ret && v[BG_BFD]) {
		ret = get_choice(p, v[BG_BFD], "ecmp.bgp.bfd", BOOL_CHOICES,
				 bool_from_str, &x);
		if (!ret)
			b->bfd = x == 1;
	}
	if (!ret && v[BG_HOLD])
		ret = get_u32(p, v[BG_HOLD], "ecmp.bgp.hold_s",
			      BATON_BGP_HOLD_S_MIN, BATON_BGP_HOLD_S_MAX,
			      &b->hold_s);
	if (ret)
		return ret;
	if (!v[BG_FRONT] || is_null(v[BG_FRONT]))
		return perr(p, v[BG_FRONT] ? node_line(v[BG_FRONT]) : line,
			    "ecmp.bgp.front", "required key missing");
	ret = parse_bgp_side(p, v[BG_FRONT], "ecmp.bgp.front", false,
			     &b->front);
	if (!ret)
		ret = parse_bgp_side(p, v[BG_BACK], "ecmp.bgp.back", true,
				     &b->back);
	return ret;
}

/*
 * ecmp: present means on; absent or empty means off, like ha:, which it
 * excludes. No key is required: a single node behind the router is an
 * ECMP group of one, and bgp: may be left to another tool.
 */
static int parse_ecmp(struct parser *p, yaml_node_t *n)
{
	struct baton_config *cfg = p->cfg;
	struct baton_ecmp_cfg *e = &cfg->ecmp;
	yaml_node_t *v[EC_MAX];
	const char *s;
	int ret;

	ret = map_fields(p, n, "ecmp", ecmp_keys, EC_MAX, v);
	if (ret || !n || is_null(n))
		return ret;
	e->enabled = true;
	e->line = node_line(n);
	if (cfg->ha.enabled)
		return perr(p, e->line, "ecmp", "expected either ha: or ecmp:, "
			    "got both (" ECMP_HA_WHY ")");
	if (v[EC_HEALTH]) {
		ret = scalar(p, v[EC_HEALTH], "ecmp.health_interface",
			     HEALTH_WHAT, &s);
		if (ret)
			return ret;
		if (!health_name_ok(s, v[EC_HEALTH]->data.scalar.length))
			return expect(p, v[EC_HEALTH], "ecmp.health_interface",
				      HEALTH_WHAT);
		if (iface_known(cfg, s))
			return expect(p, v[EC_HEALTH], "ecmp.health_interface",
				      ECMP_HEALTH_WHAT);
		snprintf(e->health_iface, sizeof(e->health_iface), "%s", s);
	}
	if (v[EC_GRACE])
		ret = get_grace(p, v[EC_GRACE], "ecmp.grace_ms",
				&e->grace_forever, &e->grace_ms);
	if (!ret && v[EC_BGP])
		ret = parse_bgp(p, v[EC_BGP]);
	return ret;
}

enum { B_ADDR, B_PORT, B_WEIGHT, B_MAX };
static const char *const be_keys[B_MAX] = {
	[B_ADDR] = "address",
	[B_PORT] = "port",
	[B_WEIGHT] = "weight",
};

static int parse_backend(struct parser *p, yaml_node_t *n, const char *path,
			 const struct baton_service_cfg *s,
			 struct baton_backend_cfg *b)
{
	yaml_node_t *v[B_MAX];
	char key[KEY_MAX];
	uint32_t x;
	int ret;

	ret = map_fields(p, n, path, be_keys, B_MAX, v);
	if (ret)
		return ret;
	b->line = node_line(n);
	b->port = s->port;
	b->weight = 1;
	key_join(key, sizeof(key), path, "address");
	if (!v[B_ADDR])
		return perr(p, b->line, key, "required key missing");
	ret = get_ipv4(p, v[B_ADDR], key, &b->addr);
	if (!ret && v[B_PORT]) {
		key_join(key, sizeof(key), path, "port");
		ret = get_u32(p, v[B_PORT], key, PORT_MIN, PORT_MAX, &x);
		b->port = (uint16_t)x;
	}
	if (!ret && v[B_WEIGHT]) {
		key_join(key, sizeof(key), path, "weight");
		ret = get_u32(p, v[B_WEIGHT], key, 0, WEIGHT_MAX, &b->weight);
	}
	return ret;
}

enum { HC_TYPE, HC_PORT, HC_INTERVAL, HC_TIMEOUT, HC_RISE, HC_FALL,
       HC_ON_DOWN, HC_PATH, HC_HOST, HC_STATUS, HC_SEND, HC_EXPECT, HC_MAX };
static const char *const hc_keys[HC_MAX] = {
	[HC_TYPE] = "type",
	[HC_PORT] = "port",
	[HC_INTERVAL] = "interval_ms",
	[HC_TIMEOUT] = "timeout_ms",
	[HC_RISE] = "rise",
	[HC_FALL] = "fall",
	[HC_ON_DOWN] = "on_down",
	[HC_PATH] = "path",
	[HC_HOST] = "host",
	[HC_STATUS] = "status",
	[HC_SEND] = "send",
	[HC_EXPECT] = "expect",
};

/* "200" or "200-399". */
static bool status_parse(const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[16], *dash;
	uint32_t a, b;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_u32(buf, &a) || (dash && parse_u32(dash + 1, &b)))
		return false;
	if (!dash)
		b = a;
	if (a < 100 || b > 599 || a > b)
		return false;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return true;
}

/* A scalar of 1..max-1 bytes (text) into dst, NUL-terminated. */
static int get_text(struct parser *p, yaml_node_t *n, const char *key,
		    const char *what, char *dst, size_t max)
{
	const char *s;
	int ret = scalar(p, n, key, what, &s);

	if (ret)
		return ret;
	if (!n->data.scalar.length || n->data.scalar.length >= max)
		return expect(p, n, key, what);
	memcpy(dst, s, n->data.scalar.length + 1);
	return 0;
}

/* A scalar of 0..BATON_HC_DATA_MAX bytes (a datagram's payload). */
static int get_data(struct parser *p, yaml_node_t *n, const char *key,
		    uint8_t *dst, uint32_t *len)
{
	char what[64];

	snprintf(what, sizeof(what), "a string of at most %d bytes",
		 BATON_HC_DATA_MAX);
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.length > BATON_HC_DATA_MAX)
		return expect(p, n, key, what);
	memcpy(dst, n->data.scalar.value, n->data.scalar.length);
	*len = (uint32_t)n->data.scalar.length;
	return 0;
}

static int parse_health(struct parser *p, yaml_node_t *n, const char *path,
			struct baton_health_cfg *h)
{
	yaml_node_t *v[HC_MAX];
	char key[KEY_MAX];
	uint32_t x;
	int ret, e = 0;

	ret = map_fields(p, n, path, hc_keys, HC_MAX, v);
	if (ret || !n || is_null(n))
		return ret;
	h->line = node_line(n);
	h->interval_ms = HC_INTERVAL_DEFAULT;
	h->rise = 2;
	h->fall = 3;
	h->status_min = 200;
	h->status_max = 399;
	key_join(key, sizeof(key), path, "type");
	if (!v[HC_TYPE])
		return perr(p, h->line, key, "required key missing, expected "
			    "one of " HC_TYPE_CHOICES);
	ret = get_choice(p, v[HC_TYPE], key, HC_TYPE_CHOICES,
			 baton_hc_type_from_str, &e);
	if (ret)
		return ret;
	h->type = (uint8_t)e;
	if (v[HC_PORT]) {
		key_join(key, sizeof(key), path, "port");
		ret = get_u32(p, v[HC_PORT], key, PORT_MIN, PORT_MAX, &x);
		if (ret)
			return ret;
		h->port = (uint16_t)x;
	}
	if (v[HC_INTERVAL]) {
		key_join(key, sizeof(key), path, "interval_ms");
		ret = get_u32(p, v[HC_INTERVAL], key, HC_INTERVAL_MIN,
			      HC_INTERVAL_MAX, &h->interval_ms);
		if (ret)
			return ret;
	}
	h->timeout_ms = h->interval_ms < HC_TIMEOUT_DEFAULT ?
			h->interval_ms : HC_TIMEOUT_DEFAULT;
	if (v[HC_TIMEOUT]) {
		key_join(key, sizeof(key), path, "timeout_ms");
		ret = get_u32(p, v[HC_TIMEOUT], key, HC_TIMEOUT_MIN,
			      h->interval_ms, &h->timeout_ms);
		if (ret)
			return ret;
	}
	if (v[HC_RISE]) {
		key_join(key, sizeof(key), path, "rise");
		ret = get_u32(p, v[HC_RISE], key, 1, HC_COUNT_MAX, &h->rise);
		if (ret)
			return ret;
	}
	if (v[HC_FALL]) {
		key_join(key, sizeof(key), path, "fall");
		ret = get_u32(p, v[HC_FALL], key, 1, HC_COUNT_MAX, &h->fall);
		if (ret)
			return ret;
	}
	if (v[HC_ON_DOWN]) {
		key_join(key, sizeof(key), path, "on_down");
		ret = get_choice(p, v[HC_ON_DOWN], key, HC_ON_DOWN_CHOICES,
				 hc_on_down_from_str, &e);
		if (ret)
			return ret;
		h->on_down = (uint8_t)e;
	}
	if (h->type != BATON_HC_HTTP) {
		yaml_node_t *only = v[HC_PATH] ? v[HC_PATH] :
				    v[HC_HOST] ? v[HC_HOST] : v[HC_STATUS];

		if (only)
			return perr(p, node_line(only), path, "path, host "
				    "and status apply only to type http, got "
				    "type %s", baton_hc_type_str(h->type));
	} else {
		strcpy(h->path, "/");
	}
	if (h->type != BATON_HC_UDP && (v[HC_SEND] || v[HC_EXPECT]))
		return perr(p, node_line(v[HC_SEND] ? v[HC_SEND] :
					 v[HC_EXPECT]), path, "send and "
			    "expect apply only to type udp, got type %s",
			    baton_hc_type_str(h->type));
	if (v[HC_PATH]) {
		key_join(key, sizeof(key), path, "path");
		ret = get_text(p, v[HC_PATH], key, HC_PATH_WHAT, h->path,
			       sizeof(h->path));
		if (!ret && !hc_text_ok(h->path, true))
			ret = expect(p, v[HC_PATH], key, HC_PATH_WHAT);
		if (ret)
			return ret;
	}
	if (v[HC_HOST]) {
		key_join(key, sizeof(key), path, "host");
		ret = get_text(p, v[HC_HOST], key, HC_HOST_WHAT, h->host,
			       sizeof(h->host));
		if (!ret && !hc_text_ok(h->host, false))
			ret = expect(p, v[HC_HOST], key, HC_HOST_WHAT);
		if (ret)
			return ret;
	}
	if (v[HC_STATUS]) {
		const char *st;

		key_join(key, sizeof(key), path, "status");
		ret = scalar(p, v[HC_STATUS], key, HC_STATUS_WHAT, &st);
		if (ret)
			return ret;
		if (!status_parse(st, &h->status_min, &h->status_max))
			return expect(p, v[HC_STATUS], key, HC_STATUS_WHAT);
	}
	if (v[HC_SEND]) {
		key_join(key, sizeof(key), path, "send");
		ret = get_data(p, v[HC_SEND], key, h->send, &h->send_len);
		if (ret)
			return ret;
	}
	if (v[HC_EXPECT]) {
		key_join(key, sizeof(key), path, "expect");
		ret = get_data(p, v[HC_EXPECT], key, h->expect,
			       &h->expect_len);
	}
	return ret;
}

enum { S_VIP, S_PORT, S_PROTO, S_MODE, S_ALGO, S_SNAT, S_HEALTH, S_BACKENDS,
       S_MAX };
static const char *const svc_keys[S_MAX] = {
	[S_VIP] = "vip",
	[S_PORT] = "port",
	[S_PROTO] = "protocol",
	[S_MODE] = "mode",
	[S_ALGO] = "algorithm",
	[S_SNAT] = "snat",
	[S_HEALTH] = "health",
	[S_BACKENDS] = "backends",
};

static int parse_service(struct parser *p, yaml_node_t *n, const char *path,
			 struct baton_service_cfg *s)
{
	yaml_node_t *v[S_MAX];
	yaml_node_item_t *items;
	char key[KEY_MAX];
	size_t count, i;
	uint32_t x;
	int ret, e = 0;

	ret = map_fields(p, n, path, svc_keys, S_MAX, v);
	if (ret)
		return ret;
	s->line = node_line(n);
	s->proto = IPPROTO_TCP;
	s->mode = BATON_MODE_DNAT;
	s->algo = BATON_ALGO_MAGLEV;

	key_join(key, sizeof(key), path, "vip");
	if (!v[S_VIP])
		return perr(p, s->line, key, "required key missing");
	ret = get_ipv4(p, v[S_VIP], key, &s->vip);
	if (ret)
		return ret;
	if (v[S_PROTO]) {
		key_join(key, sizeof(key), path, "protocol");
		ret = get_choice(p, v[S_PROTO], key, PROTO_CHOICES,
				 baton_proto_from_str, &e);
		if (ret)
			return ret;
		s->proto = (uint8_t)e;
	}
	if (v[S_PORT]) {
		key_join(key, sizeof(key), path, "port");
		ret = get_u32(p, v[S_PORT], key, PORT_MIN, PORT_MAX, &x);
		if (ret)
			return ret;
		s->port = (uint16_t)x;
	}
	if (v[S_MODE]) {
		key_join(key, sizeof(key), path, "mode");
		ret = get_choice(p, v[S_MODE], key, MODE_CHOICES,
				 baton_mode_from_str, &e);
		if (ret)
			return ret;
		s->mode = (uint8_t)e;
	}
	if (v[S_ALGO]) {
		key_join(key, sizeof(key), path, "algorithm");
		ret = get_choice(p, v[S_ALGO], key, ALGO_CHOICES,
				 baton_algo_from_str, &e);
		if (ret)
			return ret;
		s->algo = (uint8_t)e;
	}
	if (v[S_SNAT]) {
		key_join(key, sizeof(key), path, "snat");
		ret = get_ipv4(p, v[S_SNAT], key, &s->snat);
		if (ret)
			return ret;
		/* 0 means "no snat" in the struct; do not let it alias. */
		if (!s->snat)
			return expect(p, v[S_SNAT], key, "a non-zero IPv4 "
				      "address");
	}

	if (v[S_HEALTH]) {
		key_join(key, sizeof(key), path, "health");
		ret = parse_health(p, v[S_HEALTH], key, &s->health);
		if (ret)
			return ret;
	}

	key_join(key, sizeof(key), path, "backends");
	ret = seq_items(p, v[S_BACKENDS], key, &items, &count);
	if (ret)
		return ret;
	/* Name the line of the first backend too many. */
	if (count > BATON_MAX_BACKENDS)
		return perr(p, node_line(get_node(p,
						  items[BATON_MAX_BACKENDS])),
			    key, "expected at most %d backends, got %zu",
			    BATON_MAX_BACKENDS, count);
	for (i = 0; i < count; i++) {
		bprintf(key, sizeof(key), "%s.backends[%zu]", path, i);
		ret = parse_backend(p, get_node(p, items[i]), key, s,
				    &s->backends[i]);
		if (ret)
			return ret;
		s->nbackends = i + 1;
	}
	return 0;
}

static int parse_services(struct parser *p, yaml_node_t *n)
{
	struct baton_config *cfg = p->cfg;
	yaml_node_item_t *items;
	char key[KEY_MAX];
	size_t count, i;
	int ret;

	ret = seq_items(p, n, "services", &items, &count);
	if (ret || !count)
		return ret;
	if (count > BATON_MAX_SERVICES)
		return perr(p, node_line(get_node(p,
						  items[BATON_MAX_SERVICES])),
			    "services", "expected at most %d services, got %zu",
			    BATON_MAX_SERVICES, count);
	cfg->services = calloc(count, sizeof(*cfg->services));
	if (!cfg->services) {
		bprintf(p->err, p->errlen, "%s: out of memory", p->name);
		return -ENOMEM;
	}
	for (i = 0; i < count; i++) {
		snprintf(key, sizeof(key), "services[%zu]", i);
		ret = parse_service(p, get_node(p, items[i]), key,
				    &cfg->services[i]);
		if (ret)
			return ret;
		cfg->nservices = i + 1;
	}
	return 0;
}

enum { T_NODE, T_IFACES, T_CONNTRACK, T_LB, T_SYNC, T_HA, T_ECMP,
       T_SERVICES, T_MAX };
static const char *const top_keys[T_MAX] = {
	[T_NODE] = "node",
	[T_IFACES] = "interfaces",
	[T_CONNTRACK] = "conntrack",
	[T_LB] = "lb",
	[T_SYNC] = "sync",
	[T_HA] = "ha",
	[T_ECMP] = "ecmp",
	[T_SERVICES] = "services",
};

static int parse_document(struct parser *p)
{
	yaml_node_t *root = yaml_document_get_root_node(p->doc);
	yaml_node_t *v[T_MAX];
	int ret, line;

	/* An empty file (or only comments) has no root at all. */
	if (!root)
		return perr(p, 1, "node.id", "required key missing (the file "
			    "has no settings)");
	ret = map_fields(p, root, "", top_keys, T_MAX, v);
	if (ret)
		return ret;
	line = node_line(root);
	ret = parse_node(p, v[T_NODE], line);
	if (!ret)
		ret = parse_ifaces(p, v[T_IFACES], line);
	if (!ret)
		ret = parse_conntrack(p, v[T_CONNTRACK]);
	if (!ret)
		ret = parse_lb(p, v[T_LB]);
	if (!ret)
		ret = parse_sync(p, v[T_SYNC]);
	if (!ret)
		ret = parse_ha(p, v[T_HA]);
	if (!ret)
		ret = parse_ecmp(p, v[T_ECMP]);
	if (!ret)
		ret = parse_services(p, v[T_SERVICES]);
	return ret;
}

static int yaml_err(struct parser *p, const yaml_parser_t *yp)
{
	const char *problem = yp->problem ? yp->problem : "error";
	size_t i, end;
	int line = 1;

	switch (yp->error) {
	case YAML_MEMORY_ERROR:
		bprintf(p->err, p->errlen, "%s: out of memory", p->name);
		return -ENOMEM;
	case YAML_READER_ERROR:
		/* Encoding errors carry a byte offset, not a mark. */
		end = yp->problem_offset < p->len ? yp->problem_offset : p->len;
		for (i = 0; i < end; i++)
			line += p->buf[i] == '\n';
		if (yp->problem_value >= 0)
			return perr(p, line, "YAML", "malformed: %s (byte "
				    "0x%02x at offset %zu)", problem,
				    yp->problem_value, yp->problem_offset);
		return perr(p, line, "YAML", "malformed: %s (at offset %zu)",
			    problem, yp->problem_offset);
	default:
		break;
	}
	if (yp->context)
		return perr(p, (int)yp->problem_mark.line + 1, "YAML",
			    "malformed: %s %s at line %d", problem,
			    yp->context, (int)yp->context_mark.line + 1);
	return perr(p, (int)yp->problem_mark.line + 1, "YAML",
		    "malformed: %s", problem);
}

/* Load the one document of the stream; a second one is an error. */
static int load_document(struct parser *p, yaml_parser_t *yp)
{
	yaml_document_t extra;
	yaml_node_t *root;
	int ret;

	if (!yaml_parser_load(yp, p->doc))
		return yaml_err(p, yp);
	ret = parse_document(p);
	if (ret)
		goto out_doc;
	if (!yaml_parser_load(yp, &extra)) {
		ret = yaml_err(p, yp);
		goto out_doc;
	}
	root = yaml_document_get_root_node(&extra);
	if (root)
		ret = perr(p, node_line(root), "YAML", "expected a single "
			   "document, got a second one");
	yaml_document_delete(&extra);
out_doc:
	yaml_document_delete(p->doc);
	return ret;
}

int baton_config_parse(const char *name, const char *buf, size_t len,
		       struct baton_config *cfg, char *err, size_t errlen)
{
	yaml_document_t doc;
	yaml_parser_t yp;
	struct parser p = {
		.name = name ? name : "config",
		.buf = buf,
		.len = len,
		.doc = &doc,
		.cfg = cfg,
		.err = err,
		.errlen = errlen,
	};
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!cfg)
		return -EINVAL;
	baton_config_defaults(cfg);
	if (!buf && len) {
		ret = -EINVAL;
		goto out_free;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", name ? name : "");

	if (!yaml_parser_initialize(&yp)) {
		bprintf(err, errlen, "%s: out of memory", p.name);
		ret = -ENOMEM;
		goto out_free;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)
				     (buf ? buf : ""), len);
	ret = load_document(&p, &yp);
	yaml_parser_delete(&yp);
	if (!ret)
		ret = baton_config_validate(cfg, err, errlen);
out_free:
	if (ret)
		baton_config_free(cfg);
	return ret;
}

/* Read a whole file (a regular file, a pipe or /dev/stdin alike). */
static int read_file(const char *path, char **bufp, size_t *lenp, char *err,
		     size_t errlen)
{
	size_t len = 0, cap = 4096;
	char *buf, *nbuf;
	ssize_t r;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		bprintf(err, errlen, "%s: cannot open: %s", path,
			strerror(-ret));
		return ret;
	}
	buf = malloc(cap);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= CONFIG_MAX_BYTES) {
				bprintf(err, errlen, "%s: larger than %u bytes",
					path, CONFIG_MAX_BYTES);
				ret = -EFBIG;
				goto out_free;
			}
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				ret = -ENOMEM;
				goto out_free;
			}
			buf = nbuf;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			bprintf(err, errlen, "%s: cannot read: %s", path,
				strerror(-ret));
			goto out_free;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*bufp = buf;
	*lenp = len;
	goto out_close;

out_free:
	free(buf);
out_close:
	if (ret == -ENOMEM)
		bprintf(err, errlen, "%s: out of memory", path);
	close(fd);
	return ret;
}

int baton_config_load(const char *path, struct baton_config *cfg, char *err,
		      size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!cfg || !path)
		return -EINVAL;
	memset(cfg, 0, sizeof(*cfg));
	if (strlen(path) >= sizeof(cfg->path)) {
		bprintf(err, errlen, "%.64s...: path too long", path);
		return -ENAMETOOLONG;
	}
	ret = read_file(path, &buf, &len, err, errlen);
	if (ret)
		return ret;
	ret = baton_config_parse(path, buf, len, cfg, err, errlen);
	free(buf);
	return ret;
}
