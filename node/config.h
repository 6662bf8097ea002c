/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * config.h - batond's configuration: the YAML file (baton.yaml) parsed into
 * plain structs, and validation shared by the file, SIGHUP reloads and
 * batonctl's live changes.
 *
 * Contract: baton_config_load() either fills *cfg completely and returns 0,
 * or returns -EINVAL (or -errno for I/O) with a message in err of the form
 *   "FILE:LINE: KEY: expected WHAT, got 'VALUE'"
 * and leaves *cfg zeroed. Nothing is ever half-loaded. All addresses and
 * ports in these structs are host order (uint32_t from ntohl) except where
 * named *_be.
 */
#ifndef BATON_CONFIG_H
#define BATON_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bpf/baton.h"

#define BATON_MAX_IFACES 16
#define BATON_DEFAULT_PIN_PATH "/sys/fs/bpf/baton"
#define BATON_DEFAULT_CTL_PATH "/run/baton/batond.sock"
#define BATON_DEFAULT_METRICS_ADDR 0x7f000001u	/* 127.0.0.1 */
#define BATON_DEFAULT_METRICS_PORT 9477

enum baton_xdp_mode {
	BATON_XDP_NATIVE = 0,
	BATON_XDP_GENERIC = 1,
	BATON_XDP_OFF = 2,
};

struct baton_backend_cfg {
	uint32_t addr;		/* host order */
	uint16_t port;		/* host order; 0 for ICMP */
	uint32_t weight;	/* 0 = drained (no new flows) */
	/* Run time, never from a file: its health check says it is down,
	 * so it takes no new flows (node/health.h). batond carries it over
	 * reloads and live changes; false without a health: section. */
	bool down;
	int line;		/* where it was declared, 0 if added live */
};

/*
 * services[].health: batond probes every backend of the service from this
 * node (node/health.h). A backend leaves selection after `fall` failed
 * probes in a row (or the first one, before it has ever passed) and comes
 * back after `rise` good ones.
 */
enum baton_hc_type {
	BATON_HC_NONE = 0,	/* no health: section: always selectable */
	BATON_HC_TCP = 1,	/* a TCP connect completes */
	BATON_HC_HTTP = 2,	/* GET path answers with a status in range */
	BATON_HC_UDP = 3,	/* a datagram is answered (no ICMP error) */
	BATON_HC_MAX
};

/* What happens to the flows of a backend that goes down. */
enum baton_hc_on_down {
	BATON_HC_KEEP = 0,	/* they go on until they close or expire */
	BATON_HC_RESET = 1,	/* TCP: both ends get a RST; UDP, ICMP: the
				 * entries go, the next packet is balanced
				 * anew */
};

#define BATON_HC_TEXT_MAX	256	/* path, host (with the NUL) */
#define BATON_HC_DATA_MAX	128	/* send, expect (bytes) */

struct baton_health_cfg {
	uint8_t type;		/* enum baton_hc_type */
	uint8_t on_down;	/* enum baton_hc_on_down */
	uint16_t port;		/* probe port; 0: the backend's port */
	uint32_t interval_ms;	/* between probes of one backend */
	uint32_t timeout_ms;	/* a probe's limit, <= interval_ms */
	uint32_t rise;		/* good probes in a row to come back */
	uint32_t fall;		/* failed probes in a row to leave */
	char path[BATON_HC_TEXT_MAX];	/* http: request path, "/..." */
	char host[BATON_HC_TEXT_MAX];	/* http: Host; "" = backend address */
	uint16_t status_min;	/* http: accepted status range */
	uint16_t status_max;
	uint32_t send_len;	/* udp: the probe's payload */
	uint8_t send[BATON_HC_DATA_MAX];
	uint32_t expect_len;	/* udp: a reply must begin with this */
	uint8_t expect[BATON_HC_DATA_MAX];
	int line;
};

struct baton_service_cfg {
	uint32_t vip;		/* host order */
	uint16_t port;		/* host order; 0 for ICMP */
	uint8_t proto;		/* IPPROTO_TCP / IPPROTO_UDP / IPPROTO_ICMP */
	uint8_t mode;		/* enum baton_mode */
	uint8_t algo;		/* enum baton_algo */
	uint32_t snat;		/* fullNAT source address, host order; 0 if none */
	struct baton_health_cfg health;
	size_t nbackends;
	struct baton_backend_cfg backends[BATON_MAX_BACKENDS];
	int line;
};

struct baton_iface_cfg {
	char name[IF_NAMESIZE];
	uint8_t xdp;		/* enum baton_xdp_mode */
};

#define BATON_MAX_PEERS 16
#define BATON_URL_MAX 256

struct baton_peer_cfg {
	uint32_t id;			/* the peer's node.id */
	char url[BATON_URL_MAX];	/* tcp://HOST:PORT or tls+tcp://... */
	int line;
};

/* Conntrack replication (sync:). */
struct baton_sync_cfg {
	bool enabled;			/* a sync: section with peers exists */
	char listen[BATON_URL_MAX];	/* where peers connect to this node */
	size_t npeers;
	struct baton_peer_cfg peers[BATON_MAX_PEERS];
	char tls_cert[PATH_MAX];	/* PEM; required if any URL is tls+ */
	char tls_key[PATH_MAX];
	char tls_ca[PATH_MAX];		/* peers' certificates must chain here */
	uint32_t batch_ms;		/* max delay of an incremental update */
	uint32_t refresh_s;		/* liveness refresh of idle flows */
	uint32_t queue;			/* messages a peer may lag behind */
};

/* keepalived integration (ha:, see ha/role.h and deploy/baton.yaml). */
#define BATON_HA_FOLLOW_INSTANCE 1	/* = BATON_NOTIFY_INSTANCE */
#define BATON_HA_FOLLOW_GROUP	 2	/* = BATON_NOTIFY_GROUP */
#define BATON_HA_NAME_MAX	 1023	/* = BATON_NOTIFY_NAME_MAX */
#define BATON_HA_GRACE_MS_MAX	 86400000u	/* a day */

/*
 * ha.vrrp: this node's VRRP parameters. batond does not use them;
 * baton-keepalived (ha/kaconf.h) turns them, with the services' VIPs and
 * fullNAT source addresses, into this node's keepalived.conf.
 */
#define BATON_VRRP_PRIO_MIN	 2	/* 1 is what -253 demotes to */
#define BATON_VRRP_PRIO_MAX	 254	/* 255 is the address owner */
#define BATON_VRRP_ADVERT_MS_MIN 10	/* VRRPv3: centiseconds, 12 bits */
#define BATON_VRRP_ADVERT_MS_MAX 40950
#define BATON_VRRP_ADVERT_MS_DEFAULT 100
#define BATON_VRRP_MAX_PEERS	 8
#define BATON_VRRP_MAX_ADDRS	 16
#define BATON_VRRP_NAME_MAX	 64	/* ha.follow with ha.vrrp */

struct baton_vrrp_addr {
	uint32_t addr;		/* host order */
	uint8_t plen;		/* prefix length, 1..32 */
};

/* ha.vrrp.front and ha.vrrp.back: one vrrp_instance each. */
struct baton_vrrp_inst_cfg {
	bool enabled;		/* back: a back: section exists */
	char ifname[IF_NAMESIZE];	/* one of interfaces: */
	uint8_t vrid;		/* 1..255, front and back differ */
	uint32_t source;	/* host order; 0: keepalived's choice */
	size_t npeers;		/* 0: multicast adverts */
	uint32_t peers[BATON_VRRP_MAX_PEERS];	/* host order */
	size_t naddrs;		/* listed addresses (not the services') */
	struct baton_vrrp_addr addrs[BATON_VRRP_MAX_ADDRS];
	int line;
};

struct baton_vrrp_cfg {
	bool enabled;		/* an ha.vrrp: section exists */
	uint8_t priority;	/* BATON_VRRP_PRIO_MIN..MAX */
	uint32_t advert_ms;	/* a multiple of 10 */
	struct baton_vrrp_inst_cfg front, back;
	int line;		/* of its first key */
};

struct baton_ha_cfg {
	bool enabled;			/* an ha: section exists */
	char notify_fifo[PATH_MAX];	/* keepalived's notify_fifo */
	char track_file[PATH_MAX];	/* keepalived's track_file */
	uint8_t follow_type;		/* BATON_HA_FOLLOW_* */
	char follow[BATON_HA_NAME_MAX + 1];	/* its name in keepalived.conf */
	bool grace_forever;		/* grace_ms: forever */
	uint32_t grace_ms;		/* unseen peers block this long */
	bool resume_master;		/* see struct baton_ha_config */
	bool split_priority;		/* split_brain: priority (ha/role.h
					 * Takeover off) */
	bool nudge;			/* after a takeover (node/nudge.h) */
	struct baton_vrrp_cfg vrrp;	/* for baton-keepalived only */
	int line;			/* of its first key, 0 if not from a file */
};

/*
 * ecmp: N active nodes behind a router that spreads flows by an L4 hash
 * (exclusive with ha:). batond keeps ecmp.health_interface, a TUN device
 * of its own, up while the node may be routed to (datapath attached,
 * copies of its peers' flows complete: the role machine of ha/role.h) and
 * down otherwise; the device goes away with batond. bird (configured by
 * baton-bird from ecmp.bgp) announces the VIPs only while it is up. The
 * datapath runs with BATON_CFG_F_ASYM: the backends' replies may come
 * through another node.
 */
#define BATON_BGP_MAX_NEIGHBORS	8
#define BATON_BGP_MAX_PREFIXES	16
#define BATON_ECMP_HEALTH_IFACE_DEFAULT "baton-ecmp"
#define BATON_BGP_HOLD_S_DEFAULT 3
#define BATON_BGP_HOLD_S_MIN	3	/* RFC 4271: 0 or at least 3 */
#define BATON_BGP_HOLD_S_MAX	65535

struct baton_bgp_neighbor {
	uint32_t addr;		/* host order */
	uint32_t asn;		/* 1..4294967295 */
	int line;
};

/* ecmp.bgp.front (the VIPs announced) and ecmp.bgp.back (the DNAT return
 * path: prefixes announced with this node as next hop). */
struct baton_bgp_side {
	size_t nneighbors;
	struct baton_bgp_neighbor neighbors[BATON_BGP_MAX_NEIGHBORS];
	size_t nprefixes;	/* back only */
	struct baton_vrrp_addr prefixes[BATON_BGP_MAX_PREFIXES];
	int line;
};

/* ecmp.bgp: for baton-bird only (batond does not use it). */
struct baton_bgp_cfg {
	bool enabled;		/* an ecmp.bgp: section exists */
	uint32_t asn;		/* this node's AS, required */
	uint32_t router_id;	/* host order; 0: bird's choice */
	bool bfd;		/* BFD on every session (default true) */
	uint32_t hold_s;	/* hold time; keepalive is a third */
	struct baton_bgp_side front, back;
	int line;
};

struct baton_ecmp_cfg {
	bool enabled;			/* an ecmp: section exists */
	char health_iface[IF_NAMESIZE];	/* default "baton-ecmp" */
	bool grace_forever;		/* as ha.grace_ms */
	uint32_t grace_ms;
	struct baton_bgp_cfg bgp;
	int line;
};

struct baton_config {
	char path[PATH_MAX];	/* the file it came from ("" if none) */
	uint32_t node_id;
	uint32_t epoch;		/* 0: batond picks one at start */
	char pin_path[PATH_MAX];
	char ctl_path[PATH_MAX];
	bool keep_datapath;	/* SIGTERM leaves programs and maps in place */
	bool drop_privileges;	/* give up capabilities after start (privs.h) */
	char log_level[16];	/* "error" | "warn" | "info" | "debug" */
	uint32_t metrics_addr;	/* Prometheus endpoint, host order */
	uint16_t metrics_port;	/* 0: off */

	size_t nifaces;
	struct baton_iface_cfg ifaces[BATON_MAX_IFACES];

	uint32_t ct_max;	/* ct_v4_map max_entries */
	uint32_t gc_interval_ms;
	uint32_t timeout_s[CT_STATE_MAX];	/* per-state, TCP */
	uint32_t udp_timeout_s;		/* UDP NEW */
	uint32_t udp_est_timeout_s;	/* UDP ESTABLISHED */
	uint32_t icmp_timeout_s;
	/* The GC is under pressure when the table holds pressure_pct % of
	 * max_entries or refused a new flow since its last pass (0: never);
	 * then an entry not past its handshake (TCP before ESTABLISHED, UDP
	 * and ICMP with no reply) is kept at most half_open_pressure_s. */
	uint32_t pressure_pct;
	uint32_t half_open_pressure_s;

	uint32_t hash_seed;

	struct baton_sync_cfg sync;
	struct baton_ha_cfg ha;
	struct baton_ecmp_cfg ecmp;

	size_t nservices;
	struct baton_service_cfg *services;	/* malloc'd array */
};

/* Defaults for every field (what an empty file means). */
void baton_config_defaults(struct baton_config *cfg);

/* Parse and validate a file. See the contract above. */
int baton_config_load(const char *path, struct baton_config *cfg, char *err,
		      size_t errlen);

/* Same, from a string (fuzzing, tests); `name` is used in messages. */
int baton_config_parse(const char *name, const char *buf, size_t len,
		       struct baton_config *cfg, char *err, size_t errlen);

/*
 * Validate a whole config (duplicate services or backends, fullNAT without
 * snat, snat outside fullNAT, ICMP with a port, too many backends, ...).
 * Used after parsing and after every live change. 0 or -EINVAL with err.
 */
int baton_config_validate(const struct baton_config *cfg, char *err,
			  size_t errlen);

/* Deep copy (services array included). 0 or -ENOMEM. */
int baton_config_copy(struct baton_config *dst, const struct baton_config *src);

/* Frees what the config owns; accepts a zeroed or NULL config. */
void baton_config_free(struct baton_config *cfg);

/* Find a service by (vip, port, proto); NULL if absent. Host order. */
struct baton_service_cfg *baton_config_find_service(
	const struct baton_config *cfg, uint32_t vip, uint16_t port,
	uint8_t proto);

/* Names <-> enums, for the parser, batonctl and messages. -1 if unknown. */
int baton_mode_from_str(const char *s);
int baton_algo_from_str(const char *s);
int baton_proto_from_str(const char *s);
const char *baton_mode_str(int mode);
const char *baton_algo_str(int algo);
const char *baton_proto_str(int proto);
const char *baton_ct_state_str(int state);
int baton_hc_type_from_str(const char *s);
const char *baton_hc_type_str(int type);
const char *baton_hc_on_down_str(int on_down);

/* Whether two health sections ask for the same probes (lines aside). */
bool baton_health_cfg_equal(const struct baton_health_cfg *a,
			    const struct baton_health_cfg *b);

#endif /* BATON_CONFIG_H */
