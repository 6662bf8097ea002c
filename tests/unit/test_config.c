/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * test_config.c - baton.yaml parsing and validation: every field of a full
 * file, the defaults, one test row per error class (file:line, key path and
 * what was expected), the zeroed-on-error promise, deep copy, live-change
 * validation and the name helpers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#include "config.h"

#define IP(a, b, c, d) \
	(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((c) << 8) | (d))

/* Every field differs from its default, so a field the parser drops or
 * misroutes shows up. Line numbers are noted where tests refer to them. */
static const char full_yaml[] =
	"# full.yaml\n"					/* 1 */
	"node:\n"
	"  id: 0xfffffffe\n"
	"  epoch: 1700000000\n"
	"  pin_path: /sys/fs/bpf/baton-test\n"		/* 5 */
	"  control_socket: /run/baton/test.sock\n"
	"  keep_datapath: true\n"
	"  log_level: debug\n"
	"interfaces:\n"
	"  - name: eth0\n"				/* 10 */
	"    xdp: generic\n"
	"  - name: ens1f0\n"				/* 12 */
	"    xdp: off\n"
	"  - xdp: native\n"				/* 14 */
	"    name: veth-lb1\n"
	"conntrack:\n"
	"  max_entries: 1048576\n"
	"  gc_interval_ms: 250\n"
	"  timeouts:\n"
	"    tcp_syn_sent: 11\n"			/* 20 */
	"    tcp_syn_recv: 12\n"
	"    tcp_established: 7200\n"
	"    tcp_fin_wait: 14\n"
	"    tcp_close_wait: 15\n"
	"    tcp_time_wait: 16\n"			/* 25 */
	"    tcp_closed: 17\n"
	"    udp: 18\n"
	"    udp_established: 19\n"
	"    icmp: 20\n"
	"lb:\n"						/* 30 */
	"  hash_seed: 0xdeadbeef\n"
	"services:\n"
	"  - vip: 10.0.0.100\n"				/* 33 */
	"    port: 80\n"
	"    protocol: tcp\n"				/* 35 */
	"    mode: fullnat\n"
	"    algorithm: wrr\n"
	"    snat: 10.1.0.10\n"
	"    backends:\n"
	"      - address: 10.1.0.11\n"			/* 40 */
	"        port: 8080\n"
	"        weight: 3\n"
	"      - address: 10.1.0.12   # port: the service's\n"	/* 43 */
	"      - weight: 0\n"				/* 44 */
	"        address: 10.1.0.13\n"
	"  - vip: 10.0.0.101\n"				/* 46 */
	"    port: 53\n"
	"    protocol: udp\n"
	"    mode: dsr\n"
	"    algorithm: lc\n"				/* 50 */
	"    backends:\n"
	"      - {address: 10.1.0.21, port: 53, weight: 65535}\n"
	"  - protocol: icmp\n"				/* 53 */
	"    vip: 10.0.0.100\n"
	"    backends:\n"				/* 55 */
	"      - address: 10.1.0.11\n"			/* 56 */
	"  - vip: 10.0.0.102\n"				/* 57 */
	"    port: 443\n"
	"    backends: []\n"
	"sync:\n"					/* 60 */
	"  listen: tls+tcp://10.2.0.1:7401\n"
	"  peers:\n"
	"    - id: 2\n"					/* 63 */
	"      address: tls+tcp://lb2.example.net:7402\n"
	"    - address: tls+tcp://[fd00::3]:65535\n"	/* 65 */
	"      id: 0xffffffff\n"
	"    - {id: 7, address: 'tls+tcp://10.2.0.7:1'}\n"	/* 67 */
	"  tls:\n"
	"    cert: /etc/baton/node1.pem\n"
	"    key: /etc/baton/node1.key\n"			/* 70 */
	"    ca: /etc/baton/ca.pem\n"
	"  batch_ms: 100\n"
	"  refresh_s: 3600\n"
	"  queue: 1048576\n";

/* Smallest valid file: lines 1-4 of every error row below. */
#define HDR "node:\n  id: 1\ninterfaces:\n  - name: eth0\n"

/* A sync peer (two lines), and a valid sync: section on lines 5-9 (its
 * one peer on lines 8-9) that a row can extend from line 10. */
#define PEER(id, url) "    - id: " id "\n      address: " url "\n"
/* A valid ha: section on lines 5-8 that a row can extend from line 9. */
#define HA_MIN "ha:\n  notify_fifo: /run/b/fifo\n  track_file: /run/b/track\n" \
	"  follow: VG_1\n"
#define SYNC_TCP "sync:\n  listen: tcp://10.2.0.1:7400\n  peers:\n" \
	PEER("2", "tcp://10.2.0.2:7400")
/* A valid ha.vrrp (HA_MIN on lines 5-8, "vrrp:" line 9, "front:" line
 * 11) that a row can extend from line 14 with more front keys, or with
 * "    back:" and its keys. */
#define HA_VRRP HDR HA_MIN "  vrrp:\n    priority: 150\n    front:\n" \
	"      interface: eth0\n      vrid: 51\n"
/* The same with a second interface (lines 1-5, "vrrp:" line 10). */
/* A TCP service on lines 5-7 whose keys a row can extend from line 8. */
#define SVC80 HDR "services:\n  - vip: 10.0.0.1\n    port: 80\n"
#define X16 "xxxxxxxxxxxxxxxx"
#define X129 X16 X16 X16 X16 X16 X16 X16 X16 "x"

#define HDR2 "node:\n  id: 1\ninterfaces:\n  - name: eth0\n  - name: eth1\n"
#define HA_VRRP2 HDR2 HA_MIN "  vrrp:\n    priority: 150\n    front:\n" \
	"      interface: eth0\n      vrid: 51\n    back:\n" \
	"      interface: eth1\n"
/* A valid ecmp.bgp ("ecmp:" line 5, "bgp:" 6, "asn:" 7, "front:" 8,
 * "neighbors:" 9, its one neighbor on lines 10-11) that a row can extend
 * from line 12 with more neighbors, or with "    back:" and its keys. */
#define ECMP_BGP HDR "ecmp:\n  bgp:\n    asn: 65001\n    front:\n" \
	"      neighbors:\n        - address: 10.0.0.254\n" \
	"          asn: 65000\n"
/* ECMP_BGP with a valid back: ("back:" line 12, "neighbors:" 13, its
 * neighbor on lines 14-15, "prefixes:" 16 with 10.0.0.0/24 on 17). */
#define ECMP_BACK ECMP_BGP "    back:\n      neighbors:\n" \
	"        - address: 10.1.0.254\n          asn: 65002\n" \
	"      prefixes:\n        - 10.0.0.0/24\n"

static char err[512];

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static int parse(const char *yaml, struct baton_config *cfg)
{
	return baton_config_parse("baton.yaml", yaml, strlen(yaml), cfg, err,
				  sizeof(err));
}

static void check_full(const struct baton_config *c, const char *path)
{
	const struct baton_service_cfg *s;

	assert_string_equal(c->path, path);
	assert_int_equal(c->node_id, 0xfffffffeu);
	assert_int_equal(c->epoch, 1700000000u);
	assert_string_equal(c->pin_path, "/sys/fs/bpf/baton-test");
	assert_string_equal(c->ctl_path, "/run/baton/test.sock");
	assert_true(c->keep_datapath);
	assert_string_equal(c->log_level, "debug");

	assert_int_equal(c->nifaces, 3);
	assert_string_equal(c->ifaces[0].name, "eth0");
	assert_int_equal(c->ifaces[0].xdp, BATON_XDP_GENERIC);
	assert_string_equal(c->ifaces[1].name, "ens1f0");
	assert_int_equal(c->ifaces[1].xdp, BATON_XDP_OFF);
	assert_string_equal(c->ifaces[2].name, "veth-lb1");
	assert_int_equal(c->ifaces[2].xdp, BATON_XDP_NATIVE);

	assert_int_equal(c->ct_max, 1048576);
	assert_int_equal(c->gc_interval_ms, 250);
	assert_int_equal(c->timeout_s[CT_STATE_NONE], 0);
	assert_int_equal(c->timeout_s[CT_STATE_NEW], 0);
	assert_int_equal(c->timeout_s[CT_STATE_SYN_SENT], 11);
	assert_int_equal(c->timeout_s[CT_STATE_SYN_RECV], 12);
	assert_int_equal(c->timeout_s[CT_STATE_ESTABLISHED], 7200);
	assert_int_equal(c->timeout_s[CT_STATE_FIN_WAIT], 14);
	assert_int_equal(c->timeout_s[CT_STATE_CLOSE_WAIT], 15);
	assert_int_equal(c->timeout_s[CT_STATE_TIME_WAIT], 16);
	assert_int_equal(c->timeout_s[CT_STATE_CLOSED], 17);
	assert_int_equal(c->udp_timeout_s, 18);
	assert_int_equal(c->udp_est_timeout_s, 19);
	assert_int_equal(c->icmp_timeout_s, 20);
	assert_int_equal(c->hash_seed, 0xdeadbeefu);

	assert_int_equal(c->nservices, 4);
	assert_non_null(c->services);

	s = &c->services[0];
	assert_int_equal(s->line, 33);
	assert_int_equal(s->vip, IP(10, 0, 0, 100));
	assert_int_equal(s->port, 80);
	assert_int_equal(s->proto, IPPROTO_TCP);
	assert_int_equal(s->mode, BATON_MODE_FULLNAT);
	assert_int_equal(s->algo, BATON_ALGO_WRR);
	assert_int_equal(s->snat, IP(10, 1, 0, 10));
	assert_int_equal(s->nbackends, 3);
	assert_int_equal(s->backends[0].addr, IP(10, 1, 0, 11));
	assert_int_equal(s->backends[0].port, 8080);
	assert_int_equal(s->backends[0].weight, 3);
	assert_int_equal(s->backends[0].line, 40);
	assert_int_equal(s->backends[1].addr, IP(10, 1, 0, 12));
	assert_int_equal(s->backends[1].port, 80);
	assert_int_equal(s->backends[1].weight, 1);
	assert_int_equal(s->backends[1].line, 43);
	assert_int_equal(s->backends[2].addr, IP(10, 1, 0, 13));
	assert_int_equal(s->backends[2].port, 80);
	assert_int_equal(s->backends[2].weight, 0);
	assert_int_equal(s->backends[2].line, 44);

	s = &c->services[1];
	assert_int_equal(s->line, 46);
	assert_int_equal(s->vip, IP(10, 0, 0, 101));
	assert_int_equal(s->port, 53);
	assert_int_equal(s->proto, IPPROTO_UDP);
	assert_int_equal(s->mode, BATON_MODE_DSR);
	assert_int_equal(s->algo, BATON_ALGO_LC);
	assert_int_equal(s->snat, 0);
	assert_int_equal(s->nbackends, 1);
	assert_int_equal(s->backends[0].addr, IP(10, 1, 0, 21));
	assert_int_equal(s->backends[0].port, 53);
	assert_int_equal(s->backends[0].weight, 65535);
	assert_int_equal(s->backends[0].line, 52);

	s = &c->services[2];
	assert_int_equal(s->line, 53);
	assert_int_equal(s->vip, IP(10, 0, 0, 100));
	assert_int_equal(s->port, 0);
	assert_int_equal(s->proto, IPPROTO_ICMP);
	assert_int_equal(s->mode, BATON_MODE_DNAT);
	assert_int_equal(s->algo, BATON_ALGO_MAGLEV);
	assert_int_equal(s->nbackends, 1);
	assert_int_equal(s->backends[0].addr, IP(10, 1, 0, 11));
	assert_int_equal(s->backends[0].port, 0);
	assert_int_equal(s->backends[0].weight, 1);
	assert_int_equal(s->backends[0].line, 56);

	s = &c->services[3];
	assert_int_equal(s->line, 57);
	assert_int_equal(s->vip, IP(10, 0, 0, 102));
	assert_int_equal(s->port, 443);
	assert_int_equal(s->proto, IPPROTO_TCP);
	assert_int_equal(s->mode, BATON_MODE_DNAT);
	assert_int_equal(s->algo, BATON_ALGO_MAGLEV);
	assert_int_equal(s->nbackends, 0);

	assert_true(c->sync.enabled);
	assert_string_equal(c->sync.listen, "tls+tcp://10.2.0.1:7401");
	assert_int_equal(c->sync.npeers, 3);
	assert_int_equal(c->sync.peers[0].id, 2);
	assert_string_equal(c->sync.peers[0].url,
			    "tls+tcp://lb2.example.net:7402");
	assert_int_equal(c->sync.peers[0].line, 63);
	assert_int_equal(c->sync.peers[1].id, 0xffffffffu);
	assert_string_equal(c->sync.peers[1].url, "tls+tcp://[fd00::3]:65535");
	assert_int_equal(c->sync.peers[1].line, 65);
	assert_int_equal(c->sync.peers[2].id, 7);
	assert_string_equal(c->sync.peers[2].url, "tls+tcp://10.2.0.7:1");
	assert_int_equal(c->sync.peers[2].line, 67);
	assert_string_equal(c->sync.tls_cert, "/etc/baton/node1.pem");
	assert_string_equal(c->sync.tls_key, "/etc/baton/node1.key");
	assert_string_equal(c->sync.tls_ca, "/etc/baton/ca.pem");
	assert_int_equal(c->sync.batch_ms, 100);
	assert_int_equal(c->sync.refresh_s, 3600);
	assert_int_equal(c->sync.queue, 1048576);
}

static void test_config_full_file_fills_every_field(void **state)
{
	struct baton_config cfg;

	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(parse(full_yaml, &cfg), 0);
	assert_string_equal(err, "");
	check_full(&cfg, "baton.yaml");
	baton_config_free(&cfg);
	assert_true(all_zero(&cfg, sizeof(cfg)));
}

static void test_config_defaults_match_the_documented_ones(void **state)
{
	struct baton_config d, cfg;

	baton_config_defaults(&d);
	assert_string_equal(d.path, "");
	assert_int_equal(d.node_id, 0);
	assert_int_equal(d.epoch, 0);
	assert_string_equal(d.pin_path, "/sys/fs/bpf/baton");
	assert_string_equal(d.ctl_path, "/run/baton/batond.sock");
	assert_false(d.keep_datapath);
	assert_true(d.drop_privileges);
	assert_string_equal(d.log_level, "info");
	assert_int_equal(d.metrics_addr, 0x7f000001);
	assert_int_equal(d.metrics_port, 9477);
	assert_int_equal(d.nifaces, 0);
	assert_int_equal(d.ct_max, 262144);
	assert_int_equal(d.gc_interval_ms, 1000);
	assert_int_equal(d.timeout_s[CT_STATE_SYN_SENT], 30);
	assert_int_equal(d.timeout_s[CT_STATE_SYN_RECV], 30);
	assert_int_equal(d.timeout_s[CT_STATE_ESTABLISHED], 3600);
	assert_int_equal(d.timeout_s[CT_STATE_FIN_WAIT], 120);
	assert_int_equal(d.timeout_s[CT_STATE_CLOSE_WAIT], 60);
	assert_int_equal(d.timeout_s[CT_STATE_TIME_WAIT], 30);
	assert_int_equal(d.timeout_s[CT_STATE_CLOSED], 10);
	assert_int_equal(d.udp_timeout_s, 30);
	assert_int_equal(d.udp_est_timeout_s, 120);
	assert_int_equal(d.icmp_timeout_s, 30);
	assert_int_equal(d.hash_seed, 0x5eed);
	assert_false(d.sync.enabled);
	assert_string_equal(d.sync.listen, "");
	assert_int_equal(d.sync.npeers, 0);
	assert_string_equal(d.sync.tls_cert, "");
	assert_int_equal(d.sync.batch_ms, 2);
	assert_int_equal(d.sync.refresh_s, 10);
	assert_int_equal(d.sync.queue, 4096);
	assert_int_equal(d.nservices, 0);
	assert_null(d.services);

	/* A minimal file is the defaults plus what it says. */
	assert_int_equal(parse(HDR, &cfg), 0);
	assert_string_equal(cfg.path, "baton.yaml");
	assert_int_equal(cfg.node_id, 1);
	assert_int_equal(cfg.nifaces, 1);
	assert_string_equal(cfg.ifaces[0].name, "eth0");
	assert_int_equal(cfg.ifaces[0].xdp, BATON_XDP_NATIVE);
	d.node_id = cfg.node_id;
	d.nifaces = cfg.nifaces;
	d.ifaces[0] = cfg.ifaces[0];
	strcpy(d.path, cfg.path);
	assert_memory_equal(&d, &cfg, sizeof(d));
	baton_config_free(&cfg);

	/* Service defaults: tcp, dnat, maglev; backend port and weight. */
	assert_int_equal(parse(HDR "services:\n  - vip: 10.0.0.1\n"
			       "    port: 443\n    backends:\n"
			       "      - address: 10.1.0.1\n", &cfg), 0);
	assert_int_equal(cfg.nservices, 1);
	assert_int_equal(cfg.services[0].proto, IPPROTO_TCP);
	assert_int_equal(cfg.services[0].mode, BATON_MODE_DNAT);
	assert_int_equal(cfg.services[0].algo, BATON_ALGO_MAGLEV);
	assert_int_equal(cfg.services[0].backends[0].port, 443);
	assert_int_equal(cfg.services[0].backends[0].weight, 1);
	baton_config_free(&cfg);
}

/* conntrack pressure: the defaults, and both keys read. */
static void test_config_pressure_settings(void **state)
{
	struct baton_config cfg;

	(void)state;
	assert_int_equal(parse(HDR "conntrack:\n", &cfg), 0);
	assert_int_equal(cfg.pressure_pct, 90);
	assert_int_equal(cfg.half_open_pressure_s, 5);
	baton_config_free(&cfg);
	assert_int_equal(parse(HDR "conntrack:\n  pressure_pct: 0\n"
			       "  timeouts:\n    half_open_pressure: 3\n",
			       &cfg), 0);
	assert_int_equal(cfg.pressure_pct, 0);
	assert_int_equal(cfg.half_open_pressure_s, 3);
	baton_config_free(&cfg);
}

/* Empty sections mean "nothing here", not a type error. */
static void test_config_empty_sections_are_defaults(void **state)
{
	struct baton_config cfg;

	assert_int_equal(parse(HDR "services:\nconntrack:\nlb: ~\n", &cfg), 0);
	assert_int_equal(cfg.nservices, 0);
	assert_null(cfg.services);
	assert_int_equal(cfg.ct_max, BATON_CT_DEFAULT_MAX);
	assert_int_equal(cfg.hash_seed, 0x5eed);
	baton_config_free(&cfg);

	assert_int_equal(parse(HDR "services: []\n", &cfg), 0);
	assert_int_equal(cfg.nservices, 0);
	baton_config_free(&cfg);
}

/* The shipped example is a valid config and says what it documents. */
static void test_config_shipped_example_loads(void **state)
{
	const char *path = BATON_SOURCE_DIR "/deploy/baton.yaml";
	struct baton_config cfg, d;

	assert_int_equal(baton_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.path, path);
	assert_int_equal(cfg.node_id, 1);
	assert_int_equal(cfg.nifaces, 2);
	assert_string_equal(cfg.ifaces[1].name, "eth1");
	assert_int_equal(cfg.nservices, 1);
	assert_int_equal(cfg.services[0].nbackends, 2);
	assert_int_equal(cfg.services[0].backends[1].port, 8080);
	/* every value the example shows is the default */
	baton_config_defaults(&d);
	assert_memory_equal(cfg.timeout_s, d.timeout_s, sizeof(d.timeout_s));
	assert_int_equal(cfg.udp_timeout_s, d.udp_timeout_s);
	assert_int_equal(cfg.udp_est_timeout_s, d.udp_est_timeout_s);
	assert_int_equal(cfg.icmp_timeout_s, d.icmp_timeout_s);
	assert_int_equal(cfg.half_open_pressure_s, d.half_open_pressure_s);
	assert_int_equal(cfg.pressure_pct, d.pressure_pct);
	assert_int_equal(cfg.ct_max, d.ct_max);
	assert_int_equal(cfg.gc_interval_ms, d.gc_interval_ms);
	assert_int_equal(cfg.hash_seed, d.hash_seed);
	assert_string_equal(cfg.pin_path, d.pin_path);
	assert_string_equal(cfg.ctl_path, d.ctl_path);
	assert_string_equal(cfg.log_level, d.log_level);
	assert_int_equal(cfg.drop_privileges, d.drop_privileges);
	/* sync: one plaintext peer, the documented defaults */
	assert_true(cfg.sync.enabled);
	assert_string_equal(cfg.sync.listen, "tcp://10.2.0.1:7400");
	assert_int_equal(cfg.sync.npeers, 1);
	assert_int_equal(cfg.sync.peers[0].id, 2);
	assert_string_equal(cfg.sync.peers[0].url, "tcp://10.2.0.2:7400");
	assert_string_equal(cfg.sync.tls_cert, "");
	assert_int_equal(cfg.sync.batch_ms, d.sync.batch_ms);
	assert_int_equal(cfg.sync.refresh_s, d.sync.refresh_s);
	assert_int_equal(cfg.sync.queue, d.sync.queue);
	baton_config_free(&cfg);
}

static void write_temp(char *path, const char *text)
{
	const char *dir = getenv("TMPDIR");
	size_t len = strlen(text);
	int fd;

	snprintf(path, PATH_MAX, "%s/baton-test-XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void test_config_load_reads_a_real_file_and_names_it(void **state)
{
	char path[PATH_MAX], want[PATH_MAX + 64];
	struct baton_config cfg;

	write_temp(path, full_yaml);
	assert_int_equal(baton_config_load(path, &cfg, err, sizeof(err)), 0);
	check_full(&cfg, path);
	baton_config_free(&cfg);
	unlink(path);

	write_temp(path, HDR "services:\n  - vip: 10.0.0.1\n    port: 0\n");
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(baton_config_load(path, &cfg, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s:7: services[0].port: expected a "
		 "number in 1..65535, got '0'", path);
	assert_string_equal(err, want);
	assert_true(all_zero(&cfg, sizeof(cfg)));
	unlink(path);

	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(baton_config_load(path, &cfg, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));
	assert_true(all_zero(&cfg, sizeof(cfg)));
}

struct bad {
	const char *what;	/* the error class */
	const char *yaml;
	const char *prefix;	/* "FILE:LINE: KEY: " exactly */
	const char *says;	/* and this after it */
};

/* One row per error class. HDR is lines 1-4, so appended text starts at 5. */
static const struct bad bad_configs[] = {
	{ "unknown key", "node:\n  id: 1\n  colour: blue\n"
	  "interfaces:\n  - name: eth0\n",
	  "baton.yaml:3: node.colour: ", "unknown key, expected one of "
	  "id|epoch|pin_path|control_socket|keep_datapath|log_level|metrics|"
	  "drop_privileges" },
	{ "unknown top-level key", HDR "bgp:\n  asn: 65000\n",
	  "baton.yaml:5: bgp: ", "unknown key, expected one of node|"
	  "interfaces|conntrack|lb|sync|ha|ecmp|services" },
	{ "unknown backend key", HDR "services:\n  - vip: 10.0.0.1\n"
	  "    port: 80\n    backends:\n      - address: 10.1.0.1\n"
	  "        wieght: 2\n",
	  "baton.yaml:10: services[0].backends[0].wieght: ",
	  "unknown key, expected one of address|port|weight" },
	{ "unknown timeout", HDR "conntrack:\n  timeouts:\n    tcp_syn: 5\n",
	  "baton.yaml:7: conntrack.timeouts.tcp_syn: ", "unknown key" },
	{ "duplicate key", "node:\n  id: 1\n  id: 2\n"
	  "interfaces:\n  - name: eth0\n",
	  "baton.yaml:3: node.id: ", "duplicate key, first at line 2" },
	{ "bad IP", HDR "services:\n  - vip: 10.0.0.300\n    port: 80\n",
	  "baton.yaml:6: services[0].vip: ",
	  "expected an IPv4 address, got '10.0.0.300'" },
	{ "bad backend IP", HDR "services:\n  - vip: 10.0.0.1\n    port: 80\n"
	  "    backends:\n      - address: backend1\n",
	  "baton.yaml:9: services[0].backends[0].address: ",
	  "expected an IPv4 address, got 'backend1'" },
	{ "port 0", HDR "services:\n  - vip: 10.0.0.1\n    port: 0\n",
	  "baton.yaml:7: services[0].port: ",
	  "expected a number in 1..65535, got '0'" },
	{ "port 70000", HDR "services:\n  - vip: 10.0.0.1\n    port: 70000\n",
	  "baton.yaml:7: services[0].port: ",
	  "expected a number in 1..65535, got '70000'" },
	{ "backend port 70000", HDR "services:\n  - vip: 10.0.0.1\n"
	  "    port: 80\n    backends:\n      - address: 10.1.0.1\n"
	  "        port: 70000\n",
	  "baton.yaml:10: services[0].backends[0].port: ",
	  "expected a number in 1..65535, got '70000'" },
	{ "weight 65536", HDR "services:\n  - vip: 10.0.0.1\n    port: 80\n"
	  "    backends:\n      - address: 10.1.0.1\n        weight: 65536\n",
	  "baton.yaml:10: services[0].backends[0].weight: ",
	  "expected a number in 0..65535, got '65536'" },
	{ "not a number", HDR "services:\n  - vip: 10.0.0.1\n    port: http\n",
	  "baton.yaml:7: services[0].port: ",
	  "expected a number in 1..65535, got 'http'" },
	{ "negative number", "node:\n  id: -1\ninterfaces:\n  - name: eth0\n",
	  "baton.yaml:2: node.id: ",
	  "expected a number in 1..4294967295, got '-1'" },
	{ "octal-looking number", "node:\n  id: 010\n"
	  "interfaces:\n  - name: eth0\n", "baton.yaml:2: node.id: ",
	  "expected a number in 1..4294967295, got '010'" },
	{ "node id 0", "node:\n  id: 0\ninterfaces:\n  - name: eth0\n",
	  "baton.yaml:2: node.id: ",
	  "expected a number in 1..4294967295, got '0'" },
	{ "node id 2^32", "node:\n  id: 4294967296\n"
	  "interfaces:\n  - name: eth0\n", "baton.yaml:2: node.id: ",
	  "expected a number in 1..4294967295, got '4294967296'" },
	{ "hex overflow", HDR "lb:\n  hash_seed: 0x100000000\n",
	  "baton.yaml:6: lb.hash_seed: ",
	  "expected a number in 0..4294967295, got '0x100000000'" },
	{ "max_entries too small", HDR "conntrack:\n  max_entries: 1023\n",
	  "baton.yaml:6: conntrack.max_entries: ",
	  "expected a number in 1024..16777216, got '1023'" },
	{ "max_entries too big", HDR "conntrack:\n  max_entries: 0x1000001\n",
	  "baton.yaml:6: conntrack.max_entries: ",
	  "expected a number in 1024..16777216, got '0x1000001'" },
	{ "gc interval", HDR "conntrack:\n  gc_interval_ms: 9\n",
	  "baton.yaml:6: conntrack.gc_interval_ms: ",
	  "expected a number in 10..60000, got '9'" },
	{ "pressure over 100", HDR "conntrack:\n  pressure_pct: 101\n",
	  "baton.yaml:6: conntrack.pressure_pct: ",
	  "expected a number in 0..100, got '101'" },
	{ "half-open pressure 0", HDR "conntrack:\n  timeouts:\n"
	  "    half_open_pressure: 0\n",
	  "baton.yaml:7: conntrack.timeouts.half_open_pressure: ",
	  "expected a number in 1..864000, got '0'" },
	{ "timeout 0", HDR "conntrack:\n  timeouts:\n    udp: 0\n",
	  "baton.yaml:7: conntrack.timeouts.udp: ",
	  "expected a number in 1..864000, got '0'" },
	{ "timeout too long", HDR "conntrack:\n  timeouts:\n"
	  "    tcp_established: 864001\n",
	  "baton.yaml:7: conntrack.timeouts.tcp_established: ",
	  "expected a number in 1..864000, got '864001'" },
	{ "bad mode", HDR "services:\n  - vip: 10.0.0.1\n    port: 80\n"
	  "    mode: nat\n", "baton.yaml:8: services[0].mode: ",
	  "expected one of dnat|fullnat|dsr, got 'nat'" },
	{ "dsr with another port", HDR "services:\n  - vip: 10.0.0.1\n"
	  "    port: 80\n    mode: dsr\n    backends:\n"
	  "      - address: 10.1.0.1\n        port: 8080\n",
	  "baton.yaml:10: services[0].backends[0].port: ",
	  "expected the service port 80 with mode dsr (DSR cannot translate "
	  "ports), got '8080'" },
	{ "bad algorithm", HDR "services:\n  - vip: 10.0.0.1\n    port: 80\n"
	  "    algorithm: random\n", "baton.yaml:8: services[0].algorithm: ",
	  "expected one of maglev|wrr|lc, got 'random'" },
	{ "bad protocol", HDR "services:\n  - vip: 10.0.0.1\n    port: 80\n"
	  "    protocol: sctp\n", "baton.yaml:8: services[0].protocol: ",
	  "expected one of tcp|udp|icmp, got 'sctp'" },
	{ "bad xdp mode", "node:\n  id: 1\ninterfaces:\n  - name: eth0\n"
	  "    xdp: offload\n", "baton.yaml:5: interfaces[0].xdp: ",
	  "expected one of native|generic|off, got 'offload'" },
	{ "bad log level", "node:\n  id: 1\n  log_level: verbose\n"
	  "interfaces:\n  - name: eth0\n", "baton.yaml:3: node.log_level: ",
	  "expected one of error|warn|info|debug, got 'verbose'" },
	{ "YAML 1.1 boolean", "node:\n  id: 1\n  keep_datapath: yes\n"
	  "interfaces:\n  - name: eth0\n", "baton.yaml:3: node.keep_datapath: ",
	  "expected one of true|false, got 'yes'" },
	{ "drop_privileges not a boolean", "node:\n  id: 1\n"
	  "  drop_privileges: no\ninterfaces:\n  - name: eth0\n",
	  "baton.yaml:3: node.drop_privileges: ",
	  "expected one of true|false, got 'no'" },
	{ "fullnat without snat", HDR "services:\n  - vip: 10.0.0.1\n"
	  "    port: 80\n    mode: fullnat\n",
	  "baton.yaml:6: services[0].snat: ", "required for mode fullnat" },
	{ "snat on dnat", HDR "services:\n  - vip: 10.0.0.1\n    port: 80\n"
	  "    snat: 10.1.0.10\n", "baton.yaml:6: services[0].snat: ",
	  "expected only with mode fullnat, got '10.1.0.10' with mode dnat" },
	{ "snat 0.0.0.0", HDR "services:\n  - vip: 10.0.0.1\n    port: 80\n"
	  "    mode: fullnat\n    snat: 0.0.0.0\n",
	  "baton.yaml:9: services[0].snat: ",
	  "expected a non-zero IPv4 address, got '0.0.0.0'" },
	{ "icmp with port", HDR "services:\n  - vip: 10.0.0.1\n    port: 80\n"
	  "    protocol: icmp\n", "baton.yaml:6: services[0].port: ",
	  "expected no port for protocol icmp, got '80'" },
	{ "icmp backend with port", HDR "services:\n  - vip: 10.0.0.1\n"
	  "    protocol: icmp\n    backends:\n      - address: 10.1.0.1\n"
	  "        port: 8080\n",
	  "baton.yaml:9: services[0].backends[0].port: ",
	  "expected no port for protocol icmp, got '8080'" },
	{ "tcp without port", HDR "services:\n  - vip: 10.0.0.1\n"
	  "    protocol: tcp\n", "baton.yaml:6: services[0].port: ",
	  "required for protocol tcp" },
	{ "missing vip", HDR "services:\n  - port: 80\n",
	  "baton.yaml:6: services[0].vip: ", "required key missing" },
	{ "missing backend address", HDR "services:\n  - vip: 10.0.0.1\n"
	  "    port: 80\n    backends:\n      - port: 80\n",
	  "baton.yaml:9: services[0].backends[0].address: ",
	  "required key missing" },
	{ "duplicate service", HDR "services:\n  - vip: 10.0.0.100\n"
	  "    port: 80\n  - vip: 10.0.0.100\n    port: 81\n"
	  "  - vip: 10.0.0.100\n    port: 80\n",
	  "baton.yaml:10: services[2]: ",
	  "duplicate service 10.0.0.100:80/tcp, first at line 6" },
	{ "duplicate backend", HDR "services:\n  - vip: 10.0.0.1\n"
	  "    port: 80\n    backends:\n      - address: 10.1.0.11\n"
	  "        port: 8080\n      - address: 10.1.0.12\n"
	  "      - {address: 10.1.0.11, port: 8080, weight: 5}\n",
	  "baton.yaml:12: services[0].backends[2]: ",
	  "duplicate backend 10.1.0.11:8080, first at line 9" },
	{ "missing node.id", "node:\n  epoch: 5\n"
	  "interfaces:\n  - name: eth0\n", "baton.yaml:2: node.id: ",
	  "required key missing" },
	{ "missing node section", "interfaces:\n  - name: eth0\n",
	  "baton.yaml:1: node.id: ", "required key missing" },
	{ "missing interfaces", "# a comment\nnode:\n  id: 1\n",
	  "baton.yaml:2: interfaces: ", "required key missing" },
	{ "empty interfaces", "node:\n  id: 1\ninterfaces: []\n",
	  "baton.yaml:3: interfaces: ", "expected at least one interface" },
	{ "interface without name", "node:\n  id: 1\ninterfaces:\n"
	  "  - xdp: off\n", "baton.yaml:4: interfaces[0].name: ",
	  "required key missing" },
	{ "interface name too long", "node:\n  id: 1\ninterfaces:\n"
	  "  - name: enp0s31f6-abcdefg\n", "baton.yaml:4: interfaces[0].name: ",
	  "expected an interface name (1..15 bytes, no '/', ':' or blanks), "
	  "got 'enp0s31f6-abcdefg'" },
	{ "duplicate interface", "node:\n  id: 1\ninterfaces:\n"
	  "  - name: eth0\n  - name: eth1\n  - name: eth0\n",
	  "baton.yaml:6: interfaces[2].name: ",
	  "duplicate interface 'eth0', first at line 4" },
	{ "too many interfaces", "node:\n  id: 1\ninterfaces: ["
	  "{name: a0}, {name: a1}, {name: a2}, {name: a3}, {name: a4}, "
	  "{name: a5}, {name: a6}, {name: a7}, {name: a8}, {name: a9}, "
	  "{name: b0}, {name: b1}, {name: b2}, {name: b3}, {name: b4}, "
	  "{name: b5}, {name: b6}]\n", "baton.yaml:3: interfaces: ",
	  "expected at most 16 interfaces, got 17" },
	{ "list where mapping expected", "node: [1]\n"
	  "interfaces:\n  - name: eth0\n", "baton.yaml:1: node: ",
	  "expected a mapping, got a list" },
	{ "map where list expected", "node:\n  id: 1\ninterfaces:\n"
	  "  name: eth0\n", "baton.yaml:4: interfaces: ",
	  "expected a list, got a mapping" },
	{ "scalar where list expected", HDR "services: 10.0.0.1\n",
	  "baton.yaml:5: services: ", "expected a list, got '10.0.0.1'" },
	{ "list where scalar expected", "node:\n  id: [1, 2]\n"
	  "interfaces:\n  - name: eth0\n", "baton.yaml:2: node.id: ",
	  "expected a number in 1..4294967295, got a list" },
	{ "scalar where mapping expected", HDR "services:\n  - 10.0.0.1\n",
	  "baton.yaml:6: services[0]: ", "expected a mapping, got '10.0.0.1'" },
	{ "list as a key", HDR "lb:\n  [a, b]: 1\n",
	  "baton.yaml:6: lb: ", "expected a key name, got a list" },
	{ "document not a mapping", "hello\n",
	  "baton.yaml:1: top level: ", "expected a mapping, got 'hello'" },
	{ "relative pin path", "node:\n  id: 1\n  pin_path: bpf/baton\n"
	  "interfaces:\n  - name: eth0\n", "baton.yaml:3: node.pin_path: ",
	  "expected an absolute path shorter than 4096 bytes, "
	  "got 'bpf/baton'" },
	{ "control socket path too long for sun_path",
	  "node:\n  id: 1\n  control_socket: /run/"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n"
	  "interfaces:\n  - name: eth0\n",
	  "baton.yaml:3: node.control_socket: ",
	  "expected an absolute path shorter than 108 bytes, got '/run/aaaa" },
	{ "NUL byte in a string", "node:\n  id: 1\ninterfaces:\n"
	  "  - name: \"eth0\\0x\"\n", "baton.yaml:4: interfaces[0].name: ",
	  "expected an interface name, got a string with a NUL byte" },
	{ "malformed YAML", "node:\n  id: 1\n  epoch: [1, 2\n"
	  "interfaces:\n  - name: eth0\n", "baton.yaml:4: YAML: ",
	  "malformed: did not find expected ',' or ']' while parsing a "
	  "flow sequence at line 3" },
	{ "bad indentation", "node:\n  id: 1\n   epoch: 2\n",
	  "baton.yaml:3: YAML: ",
	  "malformed: mapping values are not allowed in this context" },
	{ "two documents", HDR "---\nnode:\n  id: 2\n",
	  "baton.yaml:6: YAML: ", "expected a single document, got a second "
	  "one" },
	{ "empty file", "", "baton.yaml:1: node.id: ",
	  "required key missing (the file has no settings)" },
	{ "only comments", "# nothing yet\n\n", "baton.yaml:1: node.id: ",
	  "required key missing (the file has no settings)" },
	/* sync: HDR is lines 1-4, "sync:" line 5, its first key line 6 */
	{ "sync not a mapping", HDR "sync: tcp://10.2.0.1:7400\n",
	  "baton.yaml:5: sync: ", "expected a mapping, got "
	  "'tcp://10.2.0.1:7400'" },
	{ "sync unknown key", HDR SYNC_TCP "  batch: 5\n",
	  "baton.yaml:10: sync.batch: ", "unknown key, expected one of "
	  "listen|peers|tls|batch_ms|refresh_s|queue" },
	{ "sync without listen", HDR "sync:\n  peers:\n"
	  PEER("2", "tcp://10.2.0.2:7400"), "baton.yaml:6: sync.listen: ",
	  "required key missing" },
	{ "sync listen not a URL", HDR "sync:\n"
	  "  listen: http://10.2.0.1:7400\n  peers:\n"
	  PEER("2", "tcp://10.2.0.2:7400"), "baton.yaml:6: sync.listen: ",
	  "expected a URL tcp://HOST:PORT or tls+tcp://HOST:PORT, got "
	  "'http://10.2.0.1:7400'" },
	{ "sync listen without port", HDR "sync:\n"
	  "  listen: tcp://10.2.0.1\n", "baton.yaml:6: sync.listen: ",
	  "expected a URL tcp://HOST:PORT or tls+tcp://HOST:PORT, got "
	  "'tcp://10.2.0.1'" },
	{ "sync listen without host", HDR "sync:\n  listen: tcp://:7400\n",
	  "baton.yaml:6: sync.listen: ", "expected a URL" },
	{ "sync listen with a path", HDR "sync:\n"
	  "  listen: tcp://10.2.0.1:7400/sync\n",
	  "baton.yaml:6: sync.listen: ", "expected a URL" },
	{ "sync IPv6 without brackets", HDR "sync:\n"
	  "  listen: tcp://fd00::1:7400\n",
	  "baton.yaml:6: sync.listen: ", "expected a URL" },
	{ "sync peer port 65536", HDR SYNC_TCP
	  "    - id: 3\n      address: tcp://10.2.0.3:65536\n",
	  "baton.yaml:11: sync.peers[1].address: ", "expected a URL "
	  "tcp://HOST:PORT or tls+tcp://HOST:PORT, got "
	  "'tcp://10.2.0.3:65536'" },
	{ "sync peer port 0", HDR "sync:\n  listen: tcp://10.2.0.1:7400\n"
	  "  peers:\n" PEER("2", "tcp://10.2.0.2:0"),
	  "baton.yaml:9: sync.peers[0].address: ", "expected a URL" },
	{ "sync without peers", HDR "sync:\n  listen: tcp://10.2.0.1:7400\n",
	  "baton.yaml:6: sync.peers: ", "required key missing" },
	{ "sync empty peers", HDR "sync:\n  listen: tcp://10.2.0.1:7400\n"
	  "  peers: []\n", "baton.yaml:7: sync.peers: ",
	  "expected at least one peer, got none" },
	{ "sync peers not a list", HDR "sync:\n"
	  "  listen: tcp://10.2.0.1:7400\n  peers:\n    id: 2\n",
	  "baton.yaml:8: sync.peers: ", "expected a list, got a mapping" },
	{ "sync peer id 0", HDR "sync:\n  listen: tcp://10.2.0.1:7400\n"
	  "  peers:\n" PEER("0", "tcp://10.2.0.2:7400"),
	  "baton.yaml:8: sync.peers[0].id: ",
	  "expected a number in 1..4294967295, got '0'" },
	{ "sync peer without id", HDR "sync:\n"
	  "  listen: tcp://10.2.0.1:7400\n  peers:\n"
	  "    - address: tcp://10.2.0.2:7400\n",
	  "baton.yaml:8: sync.peers[0].id: ", "required key missing" },
	{ "sync peer without address", HDR "sync:\n"
	  "  listen: tcp://10.2.0.1:7400\n  peers:\n    - id: 2\n",
	  "baton.yaml:8: sync.peers[0].address: ", "required key missing" },
	{ "sync peer is this node", HDR "sync:\n"
	  "  listen: tcp://10.2.0.1:7400\n  peers:\n"
	  PEER("1", "tcp://10.2.0.2:7400"),
	  "baton.yaml:8: sync.peers[0].id: ",
	  "expected another node's id, got this node's (node.id 1)" },
	{ "sync duplicate peer id", HDR SYNC_TCP
	  PEER("2", "tcp://10.2.0.3:7400"),
	  "baton.yaml:10: sync.peers[1].id: ",
	  "duplicate peer id 2, first at line 8" },
	{ "sync duplicate peer address", HDR SYNC_TCP
	  PEER("3", "tcp://10.2.0.2:7400"),
	  "baton.yaml:10: sync.peers[1].address: ",
	  "duplicate address 'tcp://10.2.0.2:7400', first at line 8" },
	{ "sync peer address is listen", HDR "sync:\n"
	  "  listen: tcp://10.2.0.1:7400\n  peers:\n"
	  PEER("2", "tcp://10.2.0.1:7400"),
	  "baton.yaml:8: sync.peers[0].address: ",
	  "expected a peer's address, got this node's own (sync.listen)" },
	{ "sync mixed schemes", HDR "sync:\n"
	  "  listen: tls+tcp://10.2.0.1:7400\n  peers:\n"
	  PEER("2", "tls+tcp://10.2.0.2:7400")
	  PEER("3", "tcp://10.2.0.3:7400"),
	  "baton.yaml:10: sync.peers[1].address: ",
	  "expected tls+tcp:// like sync.listen (one scheme for every "
	  "address), got 'tcp://10.2.0.3:7400'" },
	{ "sync tls+tcp without tls", HDR "sync:\n"
	  "  listen: tls+tcp://10.2.0.1:7400\n  peers:\n"
	  PEER("2", "tls+tcp://10.2.0.2:7400"), "baton.yaml:6: sync.tls: ",
	  "required (cert, key and ca) when the addresses use tls+tcp://" },
	{ "sync partial tls", HDR "sync:\n"
	  "  listen: tls+tcp://10.2.0.1:7400\n  peers:\n"
	  PEER("2", "tls+tcp://10.2.0.2:7400")
	  "  tls:\n    cert: /etc/baton/n1.pem\n    ca: /etc/baton/ca.pem\n",
	  "baton.yaml:11: sync.tls: ",
	  "expected cert, key and ca together, key missing" },
	{ "sync tls with tcp", HDR SYNC_TCP "  tls:\n"
	  "    cert: /etc/baton/n1.pem\n    key: /etc/baton/n1.key\n"
	  "    ca: /etc/baton/ca.pem\n", "baton.yaml:11: sync.tls: ",
	  "expected only with tls+tcp:// addresses, got tcp://" },
	{ "sync tls relative path", HDR "sync:\n"
	  "  listen: tls+tcp://10.2.0.1:7400\n  peers:\n"
	  PEER("2", "tls+tcp://10.2.0.2:7400")
	  "  tls:\n    cert: n1.pem\n",
	  "baton.yaml:11: sync.tls.cert: ", "expected an absolute path "
	  "shorter than 4096 bytes, got 'n1.pem'" },
	{ "sync unknown tls key", HDR SYNC_TCP "  tls:\n    crt: /a\n",
	  "baton.yaml:11: sync.tls.crt: ",
	  "unknown key, expected one of cert|key|ca" },
	{ "sync batch_ms 0", HDR SYNC_TCP "  batch_ms: 0\n",
	  "baton.yaml:10: sync.batch_ms: ",
	  "expected a number in 1..100, got '0'" },
	{ "sync batch_ms 101", HDR SYNC_TCP "  batch_ms: 101\n",
	  "baton.yaml:10: sync.batch_ms: ",
	  "expected a number in 1..100, got '101'" },
	{ "sync refresh_s 3601", HDR SYNC_TCP "  refresh_s: 3601\n",
	  "baton.yaml:10: sync.refresh_s: ",
	  "expected a number in 1..3600, got '3601'" },
	{ "sync queue 15", HDR SYNC_TCP "  queue: 15\n",
	  "baton.yaml:10: sync.queue: ",
	  "expected a number in 16..1048576, got '15'" },
	{ "sync queue 2^20 + 1", HDR SYNC_TCP "  queue: 1048577\n",
	  "baton.yaml:10: sync.queue: ",
	  "expected a number in 16..1048576, got '1048577'" },
	/* ha: HDR is lines 1-4, "ha:" line 5 */
	{ "ha not a mapping", HDR "ha: /run/b/fifo\n",
	  "baton.yaml:5: ha: ", "expected a mapping, got '/run/b/fifo'" },
	{ "ha unknown key", HDR HA_MIN "  grace: 5\n",
	  "baton.yaml:9: ha.grace: ", "unknown key, expected one of "
	  "notify_fifo|track_file|follow|follow_type|grace_ms|resume_master|"
	  "split_brain|nudge" },
	{ "ha without notify_fifo", HDR "ha:\n  track_file: /run/b/t\n"
	  "  follow: VG_1\n", "baton.yaml:6: ha.notify_fifo: ",
	  "required key missing" },
	{ "ha without track_file", HDR "ha:\n  notify_fifo: /run/b/f\n"
	  "  follow: VG_1\n", "baton.yaml:6: ha.track_file: ",
	  "required key missing" },
	{ "ha without follow", HDR "ha:\n  notify_fifo: /run/b/f\n"
	  "  track_file: /run/b/t\n", "baton.yaml:6: ha.follow: ",
	  "required key missing" },
	{ "ha relative fifo", HDR "ha:\n  notify_fifo: b/f\n"
	  "  track_file: /run/b/t\n  follow: VG_1\n",
	  "baton.yaml:6: ha.notify_fifo: ", "expected an absolute path "
	  "shorter than 4088 bytes, got 'b/f'" },
	{ "ha track_file is the fifo", HDR "ha:\n  notify_fifo: /run/b/f\n"
	  "  track_file: /run/b/f\n  follow: VG_1\n",
	  "baton.yaml:7: ha.track_file: ",
	  "expected a path other than ha.notify_fifo" },
	{ "ha follow empty", HDR "ha:\n  notify_fifo: /run/b/f\n"
	  "  track_file: /run/b/t\n  follow: \"\"\n",
	  "baton.yaml:8: ha.follow: ", "expected a keepalived name of "
	  "1..1023 bytes without control characters, got" },
	{ "ha follow with a tab", HDR "ha:\n  notify_fifo: /run/b/f\n"
	  "  track_file: /run/b/t\n  follow: \"a\\tb\"\n",
	  "baton.yaml:8: ha.follow: ", "expected a keepalived name of "
	  "1..1023 bytes without control characters, got" },
	{ "ha follow a list", HDR "ha:\n  notify_fifo: /run/b/f\n"
	  "  track_file: /run/b/t\n  follow: [a]\n",
	  "baton.yaml:8: ha.follow: ", "expected a keepalived name" },
	{ "ha follow_type", HDR HA_MIN "  follow_type: sync_group\n",
	  "baton.yaml:9: ha.follow_type: ",
	  "expected one of group|instance, got 'sync_group'" },
	{ "ha grace_ms too big", HDR HA_MIN "  grace_ms: 86400001\n",
	  "baton.yaml:9: ha.grace_ms: ",
	  "expected a number in 0..86400000 or 'forever', got '86400001'" },
	{ "ha grace_ms never", HDR HA_MIN "  grace_ms: never\n",
	  "baton.yaml:9: ha.grace_ms: ",
	  "expected a number in 0..86400000 or 'forever', got 'never'" },
	{ "ha resume_master yes", HDR HA_MIN "  resume_master: yes\n",
	  "baton.yaml:9: ha.resume_master: ",
	  "expected one of true|false, got 'yes'" },
	{ "ha split_brain newest", HDR HA_MIN "  split_brain: newest\n",
	  "baton.yaml:9: ha.split_brain: ",
	  "expected one of takeover|priority, got 'newest'" },
	/* ha.vrrp: "vrrp:" is line 9, its first key line 10 */
	{ "vrrp not a mapping", HDR HA_MIN "  vrrp: 150\n",
	  "baton.yaml:9: ha.vrrp: ", "expected a mapping, got '150'" },
	{ "vrrp nopreempt", HA_VRRP "    nopreempt: true\n",
	  "baton.yaml:14: ha.vrrp.nopreempt: ", "unknown key, expected one "
	  "of priority|advert_ms|front|back" },
	{ "vrrp without priority", HDR HA_MIN "  vrrp:\n    front:\n"
	  "      interface: eth0\n      vrid: 51\n",
	  "baton.yaml:10: ha.vrrp.priority: ", "required key missing" },
	{ "vrrp priority 1", HDR HA_MIN "  vrrp:\n    priority: 1\n",
	  "baton.yaml:10: ha.vrrp.priority: ",
	  "expected a number in 2..254, got '1'" },
	{ "vrrp priority 255", HDR HA_MIN "  vrrp:\n    priority: 255\n",
	  "baton.yaml:10: ha.vrrp.priority: ",
	  "expected a number in 2..254, got '255'" },
	{ "vrrp advert_ms 15", HA_VRRP "    advert_ms: 15\n",
	  "baton.yaml:14: ha.vrrp.advert_ms: ",
	  "expected a multiple of 10 in 10..40950, got '15'" },
	{ "vrrp advert_ms 0", HA_VRRP "    advert_ms: 0\n",
	  "baton.yaml:14: ha.vrrp.advert_ms: ",
	  "expected a multiple of 10 in 10..40950, got '0'" },
	{ "vrrp advert_ms 40960", HA_VRRP "    advert_ms: 40960\n",
	  "baton.yaml:14: ha.vrrp.advert_ms: ",
	  "expected a multiple of 10 in 10..40950, got '40960'" },
	{ "vrrp without front", HDR HA_MIN "  vrrp:\n    priority: 150\n",
	  "baton.yaml:10: ha.vrrp.front: ", "required key missing" },
	{ "vrrp front empty", HDR HA_MIN "  vrrp:\n    priority: 150\n"
	  "    front:\n", "baton.yaml:11: ha.vrrp.front: ",
	  "required key missing" },
	{ "vrrp front without interface", HDR HA_MIN "  vrrp:\n"
	  "    priority: 150\n    front:\n      vrid: 51\n",
	  "baton.yaml:12: ha.vrrp.front.interface: ",
	  "required key missing" },
	{ "vrrp front interface unknown", HDR HA_MIN "  vrrp:\n"
	  "    priority: 150\n    front:\n      interface: eth1\n",
	  "baton.yaml:12: ha.vrrp.front.interface: ",
	  "expected one of interfaces: (eth0), got 'eth1'" },
	{ "vrrp front without vrid", HDR HA_MIN "  vrrp:\n"
	  "    priority: 150\n    front:\n      interface: eth0\n",
	  "baton.yaml:12: ha.vrrp.front.vrid: ", "required key missing" },
	{ "vrrp vrid 0", HDR HA_MIN "  vrrp:\n    priority: 150\n"
	  "    front:\n      interface: eth0\n      vrid: 0\n",
	  "baton.yaml:13: ha.vrrp.front.vrid: ",
	  "expected a number in 1..255, got '0'" },
	{ "vrrp vrid 256", HDR HA_MIN "  vrrp:\n    priority: 150\n"
	  "    front:\n      interface: eth0\n      vrid: 256\n",
	  "baton.yaml:13: ha.vrrp.front.vrid: ",
	  "expected a number in 1..255, got '256'" },
	{ "vrrp back vrid = front's", HA_VRRP2 "      vrid: 51\n",
	  "baton.yaml:17: ha.vrrp.back.vrid: ",
	  "expected a VRID other than ha.vrrp.front.vrid, got '51'" },
	{ "vrrp back interface unknown", HA_VRRP "    back:\n"
	  "      interface: eth1\n      vrid: 52\n",
	  "baton.yaml:15: ha.vrrp.back.interface: ",
	  "expected one of interfaces: (eth0), got 'eth1'" },
	{ "vrrp back unknown key", HA_VRRP2 "      vrid: 52\n"
	  "      gateway: 10.1.0.1/24\n",
	  "baton.yaml:18: ha.vrrp.back.gateway: ", "unknown key, expected "
	  "one of interface|vrid|addresses|unicast_peers|source" },
	{ "vrrp address without length", HA_VRRP2 "      vrid: 52\n"
	  "      addresses: [10.1.0.1]\n",
	  "baton.yaml:18: ha.vrrp.back.addresses[0]: ", "expected an "
	  "address with its prefix length, a.b.c.d/len, got '10.1.0.1'" },
	{ "vrrp address /33", HA_VRRP2 "      vrid: 52\n"
	  "      addresses: [10.1.0.1/33]\n",
	  "baton.yaml:18: ha.vrrp.back.addresses[0]: ", "expected an "
	  "address with its prefix length, a.b.c.d/len, got '10.1.0.1/33'" },
	{ "vrrp address a subnet", HA_VRRP2 "      vrid: 52\n"
	  "      addresses:\n        - 10.1.0.1/24\n        - 10.1.0.0/24\n",
	  "baton.yaml:20: ha.vrrp.back.addresses[1]: ", "expected a host "
	  "address of its subnet (not the subnet's own or broadcast "
	  "address), got '10.1.0.0/24'" },
	{ "vrrp address twice", HA_VRRP2 "      vrid: 52\n"
	  "      addresses:\n        - 10.1.0.1/24\n        - 10.1.0.1/32\n",
	  "baton.yaml:20: ha.vrrp.back.addresses[1]: ",
	  "duplicate address 10.1.0.1, first at line 19" },
	{ "vrrp address on both", HDR2 HA_MIN "  vrrp:\n    priority: 150\n"
	  "    front:\n      interface: eth0\n      vrid: 51\n"
	  "      addresses: [10.0.0.5/24]\n    back:\n      interface: eth1\n"
	  "      vrid: 52\n      addresses: [10.0.0.5/24]\n",
	  "baton.yaml:19: ha.vrrp.back.addresses[0]: ",
	  "duplicate address 10.0.0.5, already in ha.vrrp.front.addresses" },
	{ "vrrp addresses not a list", HA_VRRP "      addresses: 10.0.0.5/24\n",
	  "baton.yaml:14: ha.vrrp.front.addresses: ",
	  "expected a list, got '10.0.0.5/24'" },
	{ "vrrp peer 0", HA_VRRP "      unicast_peers: [0.0.0.0]\n",
	  "baton.yaml:14: ha.vrrp.front.unicast_peers[0]: ",
	  "expected a non-zero IPv4 address, got '0.0.0.0'" },
	{ "vrrp peer twice", HA_VRRP "      unicast_peers:\n"
	  "        - 10.0.0.3\n        - 10.0.0.3\n",
	  "baton.yaml:16: ha.vrrp.front.unicast_peers[1]: ",
	  "duplicate peer 10.0.0.3, first at line 15" },
	{ "vrrp source is a peer", HA_VRRP "      unicast_peers: [10.0.0.3]\n"
	  "      source: 10.0.0.3\n",
	  "baton.yaml:15: ha.vrrp.front.source: ", "expected this node's "
	  "address, not one of unicast_peers, got '10.0.0.3'" },
	{ "vrrp source a name", HA_VRRP "      source: lb1\n",
	  "baton.yaml:14: ha.vrrp.front.source: ",
	  "expected an IPv4 address, got 'lb1'" },
	{ "vrrp with follow_type instance", HDR HA_MIN
	  "  follow_type: instance\n  vrrp:\n    priority: 150\n",
	  "baton.yaml:9: ha.follow_type: ", "expected group with ha.vrrp "
	  "(baton-keepalived generates the vrrp_sync_group that ha.follow "
	  "names), got 'instance'" },
	{ "vrrp with follow 'VG 1'", HDR "ha:\n  notify_fifo: /run/b/fifo\n"
	  "  track_file: /run/b/track\n  follow: VG 1\n  vrrp:\n"
	  "    priority: 150\n",
	  "baton.yaml:8: ha.follow: ", "expected a name of 1..64 letters, "
	  "digits, '_', '-' or '.' with ha.vrrp (it names the "
	  "vrrp_sync_group), got 'VG 1'" },
	{ "vrrp with track_file '#'", HDR "ha:\n  notify_fifo: /run/b/fifo\n"
	  "  track_file: '/run/b/#track'\n  follow: VG_1\n  vrrp:\n"
	  "    priority: 150\n",
	  "baton.yaml:7: ha.track_file: ", "expected a path with no blanks, "
	  "quotes, '\\', '#' or '!' with ha.vrrp (it is written into "
	  "keepalived.conf), got '/run/b/#track'" },
	/* ecmp: "ecmp:" is line 5, its first key line 6 */
	{ "ecmp not a mapping", HDR "ecmp: yes\n",
	  "baton.yaml:5: ecmp: ", "expected a mapping, got 'yes'" },
	{ "ecmp unknown key", HDR "ecmp:\n  health: baton0\n",
	  "baton.yaml:6: ecmp.health: ", "unknown key, expected one of "
	  "health_interface|grace_ms|bgp" },
	{ "ecmp with ha", HDR HA_MIN "ecmp:\n  grace_ms: 0\n",
	  "baton.yaml:10: ecmp: ", "expected either ha: or ecmp:, got both "
	  "(they are exclusive: keepalived moves the VIPs within a pair, "
	  "BGP announces them from every node)" },
	{ "ecmp with ha after it", HDR "ecmp: {}\n" HA_MIN,
	  "baton.yaml:5: ecmp: ", "expected either ha: or ecmp:, got both" },
	{ "ecmp health_interface a datapath interface", HDR
	  "ecmp:\n  health_interface: eth0\n",
	  "baton.yaml:6: ecmp.health_interface: ", "expected a name not in "
	  "interfaces: (batond creates this TUN device itself), got 'eth0'" },
	{ "ecmp health_interface too long", HDR
	  "ecmp:\n  health_interface: baton-ecmp-health\n",
	  "baton.yaml:6: ecmp.health_interface: ", "expected an interface "
	  "name of 1..15 letters, digits, '.', '_' or '-' (baton-bird writes "
	  "it into bird.conf), got 'baton-ecmp-health'" },
	{ "ecmp health_interface with a quote", HDR
	  "ecmp:\n  health_interface: 'a\"b'\n",
	  "baton.yaml:6: ecmp.health_interface: ",
	  "expected an interface name of 1..15 letters" },
	{ "ecmp health_interface with a slash", HDR
	  "ecmp:\n  health_interface: a/b\n",
	  "baton.yaml:6: ecmp.health_interface: ",
	  "expected an interface name" },
	{ "ecmp with a fullnat service", HDR "ecmp: {}\nservices:\n"
	  "  - vip: 10.0.0.1\n    port: 80\n    mode: fullnat\n"
	  "    snat: 10.1.0.10\n",
	  "baton.yaml:7: services[0].mode: ", "expected dnat or dsr with "
	  "ecmp:, got fullnat" },
	{ "metrics without a port", "node:\n  id: 1\n  metrics: 127.0.0.1\n"
	  "interfaces:\n  - name: eth0\n",
	  "baton.yaml:3: node.metrics: ", "expected an IPv4 ADDRESS:PORT to "
	  "serve metrics on, or 'off', got '127.0.0.1'" },
	{ "metrics with a host name", "node:\n  id: 1\n"
	  "  metrics: localhost:9477\ninterfaces:\n  - name: eth0\n",
	  "baton.yaml:3: node.metrics: ", "expected an IPv4 ADDRESS:PORT" },
	{ "metrics port 0", "node:\n  id: 1\n  metrics: 0.0.0.0:0\n"
	  "interfaces:\n  - name: eth0\n",
	  "baton.yaml:3: node.metrics: ", "expected an IPv4 ADDRESS:PORT" },
	{ "health without type", SVC80 "    health:\n      port: 81\n",
	  "baton.yaml:9: services[0].health.type: ",
	  "required key missing, expected one of tcp|http|udp" },
	{ "health unknown type", SVC80 "    health:\n      type: icmp\n",
	  "baton.yaml:9: services[0].health.type: ",
	  "expected one of tcp|http|udp, got 'icmp'" },
	{ "health unknown key", SVC80 "    health:\n      type: tcp\n"
	  "      retries: 3\n",
	  "baton.yaml:10: services[0].health.retries: ",
	  "unknown key, expected one of type|port|interval_ms|timeout_ms|"
	  "rise|fall|on_down|path|host|status|send|expect" },
	{ "health timeout over interval", SVC80 "    health:\n"
	  "      type: tcp\n      interval_ms: 500\n      timeout_ms: 600\n",
	  "baton.yaml:11: services[0].health.timeout_ms: ",
	  "expected a number in 10..500, got '600'" },
	{ "health interval too short", SVC80 "    health:\n"
	  "      type: tcp\n      interval_ms: 50\n",
	  "baton.yaml:10: services[0].health.interval_ms: ",
	  "expected a number in 100..3600000, got '50'" },
	{ "health rise 0", SVC80 "    health:\n      type: tcp\n"
	  "      rise: 0\n",
	  "baton.yaml:10: services[0].health.rise: ",
	  "expected a number in 1..100, got '0'" },
	{ "health on_down drop", SVC80 "    health:\n      type: tcp\n"
	  "      on_down: drop\n",
	  "baton.yaml:10: services[0].health.on_down: ",
	  "expected one of keep|reset, got 'drop'" },
	{ "health path with tcp", SVC80 "    health:\n      type: tcp\n"
	  "      path: /healthz\n",
	  "baton.yaml:10: services[0].health: ",
	  "path, host and status apply only to type http, got type tcp" },
	{ "health send with http", SVC80 "    health:\n      type: http\n"
	  "      send: ping\n",
	  "baton.yaml:10: services[0].health: ",
	  "send and expect apply only to type udp, got type http" },
	{ "health path without slash", SVC80 "    health:\n"
	  "      type: http\n      path: healthz\n",
	  "baton.yaml:10: services[0].health.path: ",
	  "expected a path starting with '/'" },
	{ "health path with a blank", SVC80 "    health:\n"
	  "      type: http\n      path: '/a b'\n",
	  "baton.yaml:10: services[0].health.path: ",
	  "expected a path starting with '/'" },
	{ "health host with CRLF", SVC80 "    health:\n"
	  "      type: http\n      host: \"a\\r\\nX: y\"\n",
	  "baton.yaml:10: services[0].health.host: ",
	  "expected a host name of 1..255 printable characters" },
	{ "health status out of range", SVC80 "    health:\n"
	  "      type: http\n      status: 200-600\n",
	  "baton.yaml:10: services[0].health.status: ",
	  "expected a status 100..599 or a range LOW-HIGH of them, got "
	  "'200-600'" },
	{ "health status backwards", SVC80 "    health:\n"
	  "      type: http\n      status: 399-200\n",
	  "baton.yaml:10: services[0].health.status: ",
	  "expected a status 100..599" },
	{ "health send too long", SVC80 "    health:\n      type: udp\n"
	  "      send: " X129 "\n",
	  "baton.yaml:10: services[0].health.send: ",
	  "expected a string of at most 128 bytes" },
	{ "health of an icmp service without port", HDR "services:\n"
	  "  - vip: 10.0.0.1\n    protocol: icmp\n    health:\n"
	  "      type: tcp\n",
	  "baton.yaml:9: services[0].health.port: ",
	  "required for an icmp service" },
	{ "ecmp grace_ms never", HDR "ecmp:\n  grace_ms: never\n",
	  "baton.yaml:6: ecmp.grace_ms: ",
	  "expected a number in 0..86400000 or 'forever', got 'never'" },
	{ "ecmp grace_ms too big", HDR "ecmp:\n  grace_ms: 86400001\n",
	  "baton.yaml:6: ecmp.grace_ms: ",
	  "expected a number in 0..86400000 or 'forever', got '86400001'" },
	/* ecmp.bgp: "bgp:" is line 6, its first key line 7 */
	{ "bgp not a mapping", HDR "ecmp:\n  bgp: 65001\n",
	  "baton.yaml:6: ecmp.bgp: ", "expected a mapping, got '65001'" },
	{ "bgp unknown key", ECMP_BGP "    keepalive_s: 1\n",
	  "baton.yaml:12: ecmp.bgp.keepalive_s: ", "unknown key, expected "
	  "one of asn|router_id|bfd|hold_s|front|back" },
	{ "bgp without asn", HDR "ecmp:\n  bgp:\n    hold_s: 9\n",
	  "baton.yaml:7: ecmp.bgp.asn: ", "required key missing" },
	{ "bgp asn 0", HDR "ecmp:\n  bgp:\n    asn: 0\n",
	  "baton.yaml:7: ecmp.bgp.asn: ",
	  "expected a number in 1..4294967295, got '0'" },
	{ "bgp asn 2^32", HDR "ecmp:\n  bgp:\n    asn: 4294967296\n",
	  "baton.yaml:7: ecmp.bgp.asn: ",
	  "expected a number in 1..4294967295, got '4294967296'" },
	{ "bgp asn dotted", HDR "ecmp:\n  bgp:\n    asn: 1.10\n",
	  "baton.yaml:7: ecmp.bgp.asn: ",
	  "expected a number in 1..4294967295, got '1.10'" },
	{ "bgp router_id 0", ECMP_BGP "    router_id: 0.0.0.0\n",
	  "baton.yaml:12: ecmp.bgp.router_id: ",
	  "expected a non-zero IPv4 address, got '0.0.0.0'" },
	{ "bgp router_id a number", ECMP_BGP "    router_id: 11\n",
	  "baton.yaml:12: ecmp.bgp.router_id: ",
	  "expected an IPv4 address, got '11'" },
	{ "bgp bfd yes", ECMP_BGP "    bfd: yes\n",
	  "baton.yaml:12: ecmp.bgp.bfd: ",
	  "expected one of true|false, got 'yes'" },
	{ "bgp hold_s 2", ECMP_BGP "    hold_s: 2\n",
	  "baton.yaml:12: ecmp.bgp.hold_s: ",
	  "expected a number in 3..65535, got '2'" },
	{ "bgp hold_s 0", ECMP_BGP "    hold_s: 0\n",
	  "baton.yaml:12: ecmp.bgp.hold_s: ",
	  "expected a number in 3..65535, got '0'" },
	{ "bgp hold_s 65536", ECMP_BGP "    hold_s: 65536\n",
	  "baton.yaml:12: ecmp.bgp.hold_s: ",
	  "expected a number in 3..65535, got '65536'" },
	{ "bgp without front", HDR "ecmp:\n  bgp:\n    asn: 65001\n",
	  "baton.yaml:7: ecmp.bgp.front: ", "required key missing" },
	{ "bgp front empty", HDR "ecmp:\n  bgp:\n    asn: 65001\n"
	  "    front:\n", "baton.yaml:8: ecmp.bgp.front: ",
	  "required key missing" },
	{ "bgp front without neighbors", HDR "ecmp:\n  bgp:\n"
	  "    asn: 65001\n    front: {}\n",
	  "baton.yaml:8: ecmp.bgp.front.neighbors: ", "required key missing" },
	{ "bgp front no neighbors", HDR "ecmp:\n  bgp:\n    asn: 65001\n"
	  "    front:\n      neighbors: []\n",
	  "baton.yaml:9: ecmp.bgp.front.neighbors: ",
	  "expected at least one neighbor, got none" },
	{ "bgp front neighbors empty", HDR "ecmp:\n  bgp:\n    asn: 65001\n"
	  "    front:\n      neighbors:\n",
	  "baton.yaml:9: ecmp.bgp.front.neighbors: ",
	  "expected at least one neighbor, got none" },
	{ "bgp neighbors not a list", HDR "ecmp:\n  bgp:\n    asn: 65001\n"
	  "    front:\n      neighbors:\n        address: 10.0.0.254\n",
	  "baton.yaml:10: ecmp.bgp.front.neighbors: ",
	  "expected a list, got a mapping" },
	{ "bgp prefixes under front", ECMP_BGP "      prefixes: [0.0.0.0/0]\n",
	  "baton.yaml:12: ecmp.bgp.front.prefixes: ",
	  "unknown key, expected one of neighbors" },
	{ "bgp neighbor unknown key", ECMP_BGP "          port: 179\n",
	  "baton.yaml:12: ecmp.bgp.front.neighbors[0].port: ",
	  "unknown key, expected one of address|asn" },
	{ "bgp neighbor without address", ECMP_BGP "        - asn: 65000\n",
	  "baton.yaml:12: ecmp.bgp.front.neighbors[1].address: ",
	  "required key missing" },
	{ "bgp neighbor without asn", ECMP_BGP
	  "        - address: 10.0.0.253\n",
	  "baton.yaml:12: ecmp.bgp.front.neighbors[1].asn: ",
	  "required key missing" },
	{ "bgp neighbor address 0", ECMP_BGP
	  "        - {address: 0.0.0.0, asn: 65000}\n",
	  "baton.yaml:12: ecmp.bgp.front.neighbors[1].address: ",
	  "expected a non-zero IPv4 address, got '0.0.0.0'" },
	{ "bgp neighbor address a name", ECMP_BGP
	  "        - {address: tor1, asn: 65000}\n",
	  "baton.yaml:12: ecmp.bgp.front.neighbors[1].address: ",
	  "expected an IPv4 address, got 'tor1'" },
	{ "bgp neighbor asn 0", ECMP_BGP
	  "        - {address: 10.0.0.253, asn: 0}\n",
	  "baton.yaml:12: ecmp.bgp.front.neighbors[1].asn: ",
	  "expected a number in 1..4294967295, got '0'" },
	{ "bgp duplicate neighbor", ECMP_BGP
	  "        - address: 10.0.0.253\n          asn: 65000\n"
	  "        - asn: 65003\n          address: 10.0.0.254\n",
	  "baton.yaml:15: ecmp.bgp.front.neighbors[2].address: ",
	  "duplicate neighbor 10.0.0.254, first at line 10" },
	{ "bgp back unknown key", ECMP_BACK "      communities: []\n",
	  "baton.yaml:18: ecmp.bgp.back.communities: ",
	  "unknown key, expected one of neighbors|prefixes" },
	{ "bgp back without prefixes", ECMP_BGP "    back:\n"
	  "      neighbors:\n        - {address: 10.1.0.254, asn: 65002}\n",
	  "baton.yaml:13: ecmp.bgp.back.prefixes: ", "required key missing" },
	{ "bgp back without neighbors", ECMP_BGP "    back:\n"
	  "      prefixes: [10.0.0.0/24]\n",
	  "baton.yaml:13: ecmp.bgp.back.neighbors: ", "required key missing" },
	{ "bgp back no prefixes", ECMP_BGP "    back:\n"
	  "      neighbors:\n        - {address: 10.1.0.254, asn: 65002}\n"
	  "      prefixes: []\n",
	  "baton.yaml:15: ecmp.bgp.back.prefixes: ",
	  "expected at least one prefix, got none" },
	{ "bgp back duplicate key", ECMP_BACK "      neighbors: []\n",
	  "baton.yaml:18: ecmp.bgp.back.neighbors: ",
	  "duplicate key, first at line 13" },
	{ "bgp prefix with host bits", ECMP_BACK "        - 10.0.0.1/24\n",
	  "baton.yaml:18: ecmp.bgp.back.prefixes[1]: ", "expected a network "
	  "prefix with the host bits zero (10.0.0.0/24), got '10.0.0.1/24'" },
	{ "bgp prefix /0 with host bits", ECMP_BACK "        - 10.0.0.0/0\n",
	  "baton.yaml:18: ecmp.bgp.back.prefixes[1]: ", "expected a network "
	  "prefix with the host bits zero (0.0.0.0/0), got '10.0.0.0/0'" },
	{ "bgp prefix without length", ECMP_BACK "        - 10.1.0.0\n",
	  "baton.yaml:18: ecmp.bgp.back.prefixes[1]: ",
	  "expected a network prefix, a.b.c.d/len, got '10.1.0.0'" },
	{ "bgp prefix /33", ECMP_BACK "        - 10.1.0.0/33\n",
	  "baton.yaml:18: ecmp.bgp.back.prefixes[1]: ",
	  "expected a network prefix, a.b.c.d/len, got '10.1.0.0/33'" },
	{ "bgp prefix /024", ECMP_BACK "        - 10.1.0.0/024\n",
	  "baton.yaml:18: ecmp.bgp.back.prefixes[1]: ",
	  "expected a network prefix, a.b.c.d/len, got '10.1.0.0/024'" },
	{ "bgp duplicate prefix", ECMP_BACK "        - 10.0.0.0/25\n"
	  "        - 10.0.0.0/24\n",
	  "baton.yaml:19: ecmp.bgp.back.prefixes[2]: ",
	  "duplicate prefix 10.0.0.0/24, first at line 17" },
	{ "bgp prefixes not a list", ECMP_BGP "    back:\n"
	  "      neighbors:\n        - {address: 10.1.0.254, asn: 65002}\n"
	  "      prefixes: 10.0.0.0/24\n",
	  "baton.yaml:15: ecmp.bgp.back.prefixes: ",
	  "expected a list, got '10.0.0.0/24'" },
};

static void check_rejected(const char *what, const char *yaml,
			   size_t len, const char *prefix, const char *says)
{
	struct baton_config cfg;
	size_t plen = strlen(prefix);
	int ret;

	memset(&cfg, 0xa5, sizeof(cfg));
	ret = baton_config_parse("baton.yaml", yaml, len, &cfg, err,
				 sizeof(err));
	if (ret != -EINVAL)
		fail_msg("%s: returned %d, expected -EINVAL (err '%s')", what,
			 ret, err);
	if (strncmp(err, prefix, plen) || !strstr(err + plen, says) ||
	    strncmp(err + plen, says, strlen(says)))
		fail_msg("%s:\n  got      '%s'\n  expected '%s%s...'", what,
			 err, prefix, says);
	if (!all_zero(&cfg, sizeof(cfg)))
		fail_msg("%s: config not zeroed after the error", what);
	print_message("%-28.28s %s\n", what, err);
}

static void test_config_each_error_names_file_line_and_key(void **state)
{
	size_t i, n = sizeof(bad_configs) / sizeof(bad_configs[0]);

	for (i = 0; i < n; i++) {
		const struct bad *b = &bad_configs[i];

		check_rejected(b->what, b->yaml, strlen(b->yaml), b->prefix,
			       b->says);
	}
	print_message("%zu bad configs rejected as expected\n", n);
}

/* Appends "  - address: 10.1.x.y\n" n times (line per backend). */
static char *many_backends(size_t n)
{
	const char *head = HDR "services:\n  - vip: 10.0.0.1\n    port: 80\n"
			   "    backends:\n";
	size_t i, len = strlen(head), cap = len + n * 40 + 1;
	char *s = malloc(cap);

	assert_non_null(s);
	memcpy(s, head, len + 1);
	for (i = 0; i < n; i++)
		len += snprintf(s + len, cap - len,
				"      - address: 10.1.%zu.%zu\n", i / 250,
				i % 250 + 1);
	return s;
}

static void test_config_rejects_more_than_64_backends(void **state)
{
	struct baton_config cfg;
	char *s;

	/* 64 is fine */
	s = many_backends(BATON_MAX_BACKENDS);
	assert_int_equal(parse(s, &cfg), 0);
	assert_int_equal(cfg.services[0].nbackends, BATON_MAX_BACKENDS);
	baton_config_free(&cfg);
	free(s);

	/* the 65th, on line 9 + 64, is named */
	s = many_backends(BATON_MAX_BACKENDS + 1);
	check_rejected("too many backends", s, strlen(s),
		       "baton.yaml:73: services[0].backends: ",
		       "expected at most 64 backends, got 65");
	free(s);
}

static void test_config_rejects_more_than_256_services(void **state)
{
	size_t i, len, cap = 64 + (BATON_MAX_SERVICES + 1) * 48;
	struct baton_config cfg;
	char *s = malloc(cap);

	assert_non_null(s);
	len = snprintf(s, cap, HDR "services:\n");
	for (i = 0; i <= BATON_MAX_SERVICES; i++)
		len += snprintf(s + len, cap - len,
				"  - {vip: 10.0.%zu.%zu, port: 80}\n", i / 250,
				i % 250 + 1);
	/* line 6 + 256 holds the 257th */
	check_rejected("too many services", s, len,
		       "baton.yaml:262: services: ",
		       "expected at most 256 services, got 257");

	/* and 256 parse */
	*strrchr(s, '-') = '\0';
	*strrchr(s, '\n') = '\0';
	assert_int_equal(parse(s, &cfg), 0);
	assert_int_equal(cfg.nservices, BATON_MAX_SERVICES);
	baton_config_free(&cfg);
	free(s);
}

/* Arbitrary bytes: an error, never a crash or a half-filled config. */
static void test_config_rejects_binary_garbage(void **state)
{
	static const char garbage[] = "node:\n  id: \x01\xff\xfe\x00zz\n";

	check_rejected("invalid UTF-8", garbage, sizeof(garbage) - 1,
		       "baton.yaml:2: YAML: ", "malformed");
	check_rejected("NULL buffer, no length", NULL, 0,
		       "baton.yaml:1: node.id: ", "required key missing");
}

/* sync: absent or empty is off; present takes defaults for what it omits. */
static void test_config_sync_section_on_off_and_defaults(void **state)
{
	struct baton_config cfg, d;

	baton_config_defaults(&d);
	assert_int_equal(parse(HDR "sync:\n", &cfg), 0);
	assert_false(cfg.sync.enabled);
	assert_memory_equal(&cfg.sync, &d.sync, sizeof(d.sync));
	baton_config_free(&cfg);
	assert_int_equal(parse(HDR "sync: ~\n", &cfg), 0);
	assert_false(cfg.sync.enabled);
	baton_config_free(&cfg);

	/* an empty mapping is a section: it must say where to listen */
	check_rejected("sync {}", HDR "sync: {}\n", strlen(HDR) + 9,
		       "baton.yaml:5: sync.listen: ", "required key missing");

	assert_int_equal(parse(HDR SYNC_TCP, &cfg), 0);
	assert_true(cfg.sync.enabled);
	assert_string_equal(cfg.sync.listen, "tcp://10.2.0.1:7400");
	assert_int_equal(cfg.sync.npeers, 1);
	assert_int_equal(cfg.sync.peers[0].id, 2);
	assert_int_equal(cfg.sync.peers[0].line, 8);
	assert_string_equal(cfg.sync.tls_cert, "");
	assert_string_equal(cfg.sync.tls_key, "");
	assert_string_equal(cfg.sync.tls_ca, "");
	assert_int_equal(cfg.sync.batch_ms, 2);
	assert_int_equal(cfg.sync.refresh_s, 10);
	assert_int_equal(cfg.sync.queue, 4096);
	baton_config_free(&cfg);

	/* host names, IPv6, the range ends */
	assert_int_equal(parse(HDR "sync:\n  listen: tcp://[::]:1\n"
			       "  peers:\n" PEER("3", "tcp://lb-3.dc1:65535")
			       PEER("4", "tcp://[fd00::4]:7400")
			       "  batch_ms: 1\n  refresh_s: 1\n  queue: 16\n",
			       &cfg), 0);
	assert_string_equal(cfg.sync.listen, "tcp://[::]:1");
	assert_int_equal(cfg.sync.npeers, 2);
	assert_string_equal(cfg.sync.peers[1].url, "tcp://[fd00::4]:7400");
	assert_int_equal(cfg.sync.batch_ms, 1);
	assert_int_equal(cfg.sync.refresh_s, 1);
	assert_int_equal(cfg.sync.queue, 16);
	baton_config_free(&cfg);
}

static void test_config_sync_rejects_more_than_16_peers(void **state)
{
	size_t i, len, cap = 256 + (BATON_MAX_PEERS + 1) * 64;
	struct baton_config cfg;
	char *s = malloc(cap);

	assert_non_null(s);
	len = snprintf(s, cap, HDR "sync:\n  listen: tcp://10.2.0.1:7400\n"
		       "  peers:\n");
	for (i = 0; i <= BATON_MAX_PEERS; i++)
		len += snprintf(s + len, cap - len, "    - {id: %zu, address: "
				"'tcp://10.2.1.%zu:7400'}\n", i + 2, i + 2);
	/* line 8 + 16 holds the 17th */
	check_rejected("too many peers", s, len, "baton.yaml:24: sync.peers: ",
		       "expected at most 16 peers, got 17");

	/* and 16 parse */
	*strrchr(s, '-') = '\0';
	*strrchr(s, '\n') = '\0';
	assert_int_equal(parse(s, &cfg), 0);
	assert_int_equal(cfg.sync.npeers, BATON_MAX_PEERS);
	assert_int_equal(cfg.sync.peers[15].id, 17);
	assert_string_equal(cfg.sync.peers[15].url, "tcp://10.2.1.17:7400");
	baton_config_free(&cfg);
	free(s);
}

/* A sync config changed in memory is judged by the same rules. */
static void test_config_validate_judges_sync_without_lines(void **state)
{
	struct baton_config cfg, copy;
	struct baton_sync_cfg *s = &cfg.sync;

	assert_int_equal(parse(full_yaml, &cfg), 0);
	s->peers[s->npeers].id = 9;
	s->peers[s->npeers].line = 0;
	snprintf(s->peers[s->npeers].url, BATON_URL_MAX, "tcp://10.2.0.9:1");
	s->npeers++;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: sync.peers[3].address: "
			    "expected tls+tcp:// like sync.listen (one scheme "
			    "for every address), got 'tcp://10.2.0.9:1'");
	snprintf(s->peers[3].url, BATON_URL_MAX, "tls+tcp://10.2.0.9");
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: sync.peers[3].address: expected "
			    "a URL tcp://HOST:PORT or tls+tcp://HOST:PORT");
	snprintf(s->peers[3].url, BATON_URL_MAX, "tls+tcp://10.2.0.9:1");
	s->peers[3].id = 7;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: sync.peers[3].id: duplicate "
			    "peer id 7, first as sync.peers[2]");
	s->peers[3].id = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: sync.peers[3].id: expected a "
			    "number in 1..4294967295, got '0'");
	s->peers[3].id = 9;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	s->tls_key[0] = '\0';
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: sync.tls: expected cert, key "
			    "and ca together, key missing");
	s->tls_cert[0] = s->tls_ca[0] = '\0';
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: sync.tls: required (cert, key "
			    "and ca) when the addresses use tls+tcp://");
	snprintf(s->tls_cert, PATH_MAX, "cert.pem");
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: sync.tls.cert: expected an "
			    "absolute path shorter than 4096 bytes");
	snprintf(s->tls_cert, PATH_MAX, "/c");
	snprintf(s->tls_key, PATH_MAX, "/k");
	snprintf(s->tls_ca, PATH_MAX, "/a");
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	s->queue = 1u << 21;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: sync.queue: expected a number "
			    "in 16..1048576, got '2097152'");
	s->queue = 16;
	s->batch_ms = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: sync.batch_ms: expected a "
			    "number in 1..100, got '0'");
	s->batch_ms = 1;
	s->refresh_s = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	s->refresh_s = 1;
	s->npeers = BATON_MAX_PEERS + 1;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: sync.peers: expected 1..16 "
			    "peers, got 17");
	s->npeers = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	s->npeers = 4;
	memset(s->listen, 'x', sizeof(s->listen));	/* no NUL at all */
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: sync.listen: required, "
			    "expected a URL tcp://HOST:PORT or "
			    "tls+tcp://HOST:PORT");
	snprintf(s->listen, sizeof(s->listen), "tls+tcp://10.2.0.1:7401");
	cfg.node_id = 9;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: sync.peers[3].id: expected "
			    "another node's id, got this node's (node.id 9)");
	cfg.node_id = 1;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	/* a copy carries sync along, by value */
	assert_int_equal(baton_config_copy(&copy, &cfg), 0);
	assert_memory_equal(&copy.sync, &cfg.sync, sizeof(cfg.sync));
	s->peers[0].id = 42;
	assert_int_equal(copy.sync.peers[0].id, 2);
	baton_config_free(&copy);

	/* sync off: what is left in the struct is not judged */
	s->enabled = false;
	s->batch_ms = 0;
	s->listen[0] = '\0';
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);
	baton_config_free(&cfg);
}

static void test_config_ha_section_on_off_and_defaults(void **state)
{
	struct baton_config cfg, d;
	char *big;

	baton_config_defaults(&d);
	assert_false(d.ha.enabled);
	assert_int_equal(d.ha.follow_type, BATON_HA_FOLLOW_GROUP);
	assert_int_equal(d.ha.grace_ms, 30000);
	assert_false(d.ha.grace_forever);
	assert_false(d.ha.resume_master);
	assert_false(d.ha.split_priority);
	assert_true(d.ha.nudge);
	assert_false(d.ha.vrrp.enabled);
	assert_int_equal(d.ha.vrrp.advert_ms, 100);
	assert_int_equal(parse(HDR "ha:\n", &cfg), 0);
	assert_false(cfg.ha.enabled);
	assert_memory_equal(&cfg.ha, &d.ha, sizeof(d.ha));
	baton_config_free(&cfg);
	check_rejected("ha {}", HDR "ha: {}\n", strlen(HDR) + 7,
		       "baton.yaml:5: ha.notify_fifo: ",
		       "required key missing");

	assert_int_equal(parse(HDR HA_MIN, &cfg), 0);
	assert_true(cfg.ha.enabled);
	assert_int_equal(cfg.ha.line, 6);	/* its first key */
	assert_string_equal(cfg.ha.notify_fifo, "/run/b/fifo");
	assert_string_equal(cfg.ha.track_file, "/run/b/track");
	assert_string_equal(cfg.ha.follow, "VG_1");
	assert_int_equal(cfg.ha.follow_type, BATON_HA_FOLLOW_GROUP);
	assert_int_equal(cfg.ha.grace_ms, 30000);
	assert_false(cfg.ha.grace_forever);
	assert_false(cfg.ha.resume_master);
	assert_true(cfg.ha.nudge);
	baton_config_free(&cfg);

	/* every option, names keepalived allows (spaces, quotes) */
	assert_int_equal(parse(HDR "ha:\n  notify_fifo: /run/b/fifo\n"
			       "  track_file: /run/b/track\n"
			       "  follow: 'VI 1 \"x\"'\n"
			       "  follow_type: instance\n  grace_ms: forever\n"
			       "  resume_master: true\n  nudge: false\n"
			       "  split_brain: priority\n",
			       &cfg), 0);
	assert_false(cfg.ha.nudge);
	assert_true(cfg.ha.split_priority);
	assert_string_equal(cfg.ha.follow, "VI 1 \"x\"");
	assert_int_equal(cfg.ha.follow_type, BATON_HA_FOLLOW_INSTANCE);
	assert_true(cfg.ha.grace_forever);
	assert_true(cfg.ha.resume_master);
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);
	baton_config_free(&cfg);
	assert_int_equal(parse(HDR HA_MIN "  grace_ms: 0\n", &cfg), 0);
	assert_int_equal(cfg.ha.grace_ms, 0);
	baton_config_free(&cfg);
	assert_int_equal(parse(HDR HA_MIN "  grace_ms: 86400000\n", &cfg), 0);
	assert_int_equal(cfg.ha.grace_ms, 86400000);
	baton_config_free(&cfg);

	/* the longest name keepalived can write, and one byte more */
	big = malloc(strlen(HDR) + 2048);
	assert_non_null(big);
	for (int extra = 0; extra <= 1; extra++) {
		int n = snprintf(big, strlen(HDR) + 2048, "%sha:\n  notify_fifo:"
				 " /f\n  track_file: /t\n  follow: ", HDR);

		memset(big + n, 'a', 1023 + extra);
		memcpy(big + n + 1023 + extra, "\n", 2);
		if (!extra) {
			assert_int_equal(parse(big, &cfg), 0);
			assert_int_equal(strlen(cfg.ha.follow), 1023);
			baton_config_free(&cfg);
		} else {
			check_rejected("ha follow 1024 bytes", big, strlen(big),
				       "baton.yaml:8: ha.follow: ",
				       "expected a keepalived name");
		}
	}
	free(big);
}

static void test_config_validate_judges_ha_without_lines(void **state)
{
	struct baton_config cfg;

	assert_int_equal(parse(HDR HA_MIN, &cfg), 0);
	cfg.ha.follow[0] = '\0';
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.follow: expected a keepalived "
			    "name of 1..1023 bytes without control characters");
	snprintf(cfg.ha.follow, sizeof(cfg.ha.follow), "VG_1");
	cfg.ha.follow_type = 3;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.follow_type: expected one of "
			    "group|instance");
	cfg.ha.follow_type = BATON_HA_FOLLOW_INSTANCE;
	snprintf(cfg.ha.track_file, sizeof(cfg.ha.track_file), "%s",
		 cfg.ha.notify_fifo);
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.track_file: expected a path "
			    "other than ha.notify_fifo");
	snprintf(cfg.ha.track_file, sizeof(cfg.ha.track_file), "track");
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.track_file: expected an "
			    "absolute path shorter than 4088 bytes");
	snprintf(cfg.ha.track_file, sizeof(cfg.ha.track_file), "/t");
	cfg.ha.grace_ms = 86400001;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.grace_ms: expected a number "
			    "in 0..86400000 or 'forever', got '86400001'");
	cfg.ha.grace_forever = true;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);
	baton_config_free(&cfg);
}

/* ha.vrrp: every key, the defaults, and what an empty one means. */
static void test_config_ha_vrrp_fills_every_field(void **state)
{
	const struct baton_vrrp_inst_cfg *fr, *bk;
	struct baton_config cfg, copy;

	/* absent or empty: off, ha itself unchanged */
	assert_int_equal(parse(HDR HA_MIN "  vrrp:\n", &cfg), 0);
	assert_true(cfg.ha.enabled);
	assert_false(cfg.ha.vrrp.enabled);
	assert_int_equal(cfg.ha.vrrp.advert_ms, 100);
	baton_config_free(&cfg);

	/* the smallest: priority and front; advert_ms defaults, no back */
	assert_int_equal(parse(HA_VRRP, &cfg), 0);
	assert_true(cfg.ha.vrrp.enabled);
	assert_int_equal(cfg.ha.vrrp.line, 10);
	assert_int_equal(cfg.ha.vrrp.priority, 150);
	assert_int_equal(cfg.ha.vrrp.advert_ms, 100);
	fr = &cfg.ha.vrrp.front;
	assert_true(fr->enabled);
	assert_int_equal(fr->line, 12);
	assert_string_equal(fr->ifname, "eth0");
	assert_int_equal(fr->vrid, 51);
	assert_int_equal(fr->naddrs, 0);
	assert_int_equal(fr->npeers, 0);
	assert_int_equal(fr->source, 0);
	assert_false(cfg.ha.vrrp.back.enabled);
	baton_config_free(&cfg);

	/* everything, the range ends */
	assert_int_equal(parse(HDR2 HA_MIN "  follow_type: group\n"
			       "  vrrp:\n    priority: 254\n"
			       "    advert_ms: 40950\n    front:\n"
			       "      interface: eth1\n      vrid: 255\n"
			       "      addresses: [10.0.0.1/32, 10.0.0.9/31]\n"
			       "      unicast_peers: [10.0.0.3, 10.0.0.4]\n"
			       "      source: 10.0.0.2\n"
			       "    back:\n      interface: eth1\n"
			       "      vrid: 1\n"
			       "      addresses:\n        - 10.1.0.1/24\n"
			       "        - 192.168.7.254/23\n"
			       "      unicast_peers: [10.1.0.3]\n", &cfg), 0);
	assert_int_equal(cfg.ha.vrrp.priority, 254);
	assert_int_equal(cfg.ha.vrrp.advert_ms, 40950);
	fr = &cfg.ha.vrrp.front;
	bk = &cfg.ha.vrrp.back;
	assert_string_equal(fr->ifname, "eth1");
	assert_int_equal(fr->vrid, 255);
	assert_int_equal(fr->naddrs, 2);
	assert_int_equal(fr->addrs[0].addr, IP(10, 0, 0, 1));
	assert_int_equal(fr->addrs[0].plen, 32);
	assert_int_equal(fr->addrs[1].addr, IP(10, 0, 0, 9));
	assert_int_equal(fr->addrs[1].plen, 31);
	assert_int_equal(fr->npeers, 2);
	assert_int_equal(fr->peers[1], IP(10, 0, 0, 4));
	assert_int_equal(fr->source, IP(10, 0, 0, 2));
	assert_true(bk->enabled);
	assert_string_equal(bk->ifname, "eth1");
	assert_int_equal(bk->vrid, 1);
	assert_int_equal(bk->naddrs, 2);
	assert_int_equal(bk->addrs[1].addr, IP(192, 168, 7, 254));
	assert_int_equal(bk->addrs[1].plen, 23);
	assert_int_equal(bk->npeers, 1);
	assert_int_equal(bk->source, 0);
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	/* held by value: a copy carries it */
	assert_int_equal(baton_config_copy(&copy, &cfg), 0);
	assert_memory_equal(&copy.ha.vrrp, &cfg.ha.vrrp, sizeof(cfg.ha.vrrp));
	baton_config_free(&copy);
	baton_config_free(&cfg);

	/* ha: off makes ha.vrrp irrelevant, like the rest of ha */
	assert_int_equal(parse(HDR "ha:\n", &cfg), 0);
	assert_false(cfg.ha.vrrp.enabled);
	baton_config_free(&cfg);
}

/* More than 16 addresses: the 17th is named. */
static void test_config_ha_vrrp_rejects_more_than_16_addresses(void **state)
{
	char s[2048];
	size_t len, i;
	struct baton_config cfg;

	len = snprintf(s, sizeof(s), "%s      addresses:\n", HA_VRRP);
	for (i = 0; i <= BATON_VRRP_MAX_ADDRS; i++)
		len += snprintf(s + len, sizeof(s) - len,
				"        - 10.0.1.%zu/24\n", i + 1);
	/* line 14 holds "addresses:", line 15 + 16 the 17th */
	check_rejected("too many vrrp addresses", s, len,
		       "baton.yaml:31: ha.vrrp.front.addresses: ",
		       "expected at most 16 addresses, got 17");
	*strrchr(s, '-') = '\0';
	*strrchr(s, '\n') = '\0';
	assert_int_equal(parse(s, &cfg), 0);
	assert_int_equal(cfg.ha.vrrp.front.naddrs, BATON_VRRP_MAX_ADDRS);
	baton_config_free(&cfg);
}

/* An ha.vrrp changed in memory is judged by the same rules. */
static void test_config_validate_judges_ha_vrrp_without_lines(void **state)
{
	struct baton_config cfg;
	struct baton_vrrp_cfg *vr = &cfg.ha.vrrp;

	assert_int_equal(parse(HA_VRRP2 "      vrid: 52\n"
			       "      addresses: [10.1.0.1/24]\n"
			       "      unicast_peers: [10.1.0.3]\n", &cfg), 0);
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	vr->priority = 1;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.vrrp.priority: expected a "
			    "number in 2..254, got '1'");
	vr->priority = 100;
	vr->advert_ms = 105;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.vrrp.advert_ms: expected a "
			    "multiple of 10 in 10..40950, got '105'");
	vr->advert_ms = 1000;
	vr->back.vrid = vr->front.vrid;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.vrrp.back.vrid: expected a "
			    "VRID other than ha.vrrp.front.vrid (51)");
	vr->back.vrid = 52;
	snprintf(vr->back.ifname, sizeof(vr->back.ifname), "eth2");
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.vrrp.back.interface: "
			    "expected one of interfaces: (eth0|eth1)");
	snprintf(vr->back.ifname, sizeof(vr->back.ifname), "eth1");
	vr->back.addrs[0].plen = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.vrrp.back.addresses[0]: "
			    "expected a host address of its subnet (not the "
			    "subnet's own or broadcast address), got "
			    "'10.1.0.1/0'");
	vr->back.addrs[0].plen = 24;
	vr->back.source = vr->back.peers[0];
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.vrrp.back.unicast_peers[0]: "
			    "expected the peer's address, got '10.1.0.3'");
	vr->back.source = 0;
	vr->front.enabled = false;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.vrrp.front: required with "
			    "ha.vrrp");
	vr->front.enabled = true;
	cfg.ha.follow_type = BATON_HA_FOLLOW_INSTANCE;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.follow_type: expected group "
			    "with ha.vrrp (baton-keepalived generates the "
			    "vrrp_sync_group that ha.follow names)");
	cfg.ha.follow_type = BATON_HA_FOLLOW_GROUP;
	snprintf(cfg.ha.notify_fifo, sizeof(cfg.ha.notify_fifo), "/run/a b");
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ha.notify_fifo: expected a path "
			    "with no blanks, quotes, '\\', '#' or '!' with "
			    "ha.vrrp (it is written into keepalived.conf)");
	snprintf(cfg.ha.notify_fifo, sizeof(cfg.ha.notify_fifo), "/run/f");
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	/* vrrp off: what is left in the struct is not judged */
	vr->enabled = false;
	vr->priority = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);
	baton_config_free(&cfg);
}

/* ecmp: absent or empty is off; present takes defaults for what it omits. */
static void test_config_ecmp_section_on_off_and_defaults(void **state)
{
	struct baton_config cfg, d;

	baton_config_defaults(&d);
	assert_false(d.ecmp.enabled);
	assert_string_equal(d.ecmp.health_iface, "baton-ecmp");
	assert_false(d.ecmp.grace_forever);
	assert_int_equal(d.ecmp.grace_ms, d.ha.grace_ms);
	assert_false(d.ecmp.bgp.enabled);
	assert_true(d.ecmp.bgp.bfd);
	assert_int_equal(d.ecmp.bgp.hold_s, 3);
	assert_int_equal(d.ecmp.bgp.asn, 0);
	assert_int_equal(d.ecmp.bgp.router_id, 0);
	assert_int_equal(d.ecmp.bgp.front.nneighbors, 0);
	assert_int_equal(d.ecmp.bgp.back.nprefixes, 0);

	assert_int_equal(parse(HDR "ecmp:\n", &cfg), 0);
	assert_false(cfg.ecmp.enabled);
	assert_memory_equal(&cfg.ecmp, &d.ecmp, sizeof(d.ecmp));
	baton_config_free(&cfg);
	assert_int_equal(parse(HDR "ecmp: ~\n", &cfg), 0);
	assert_false(cfg.ecmp.enabled);
	baton_config_free(&cfg);
	/* an empty ha: is off too, so it does not exclude ecmp: */
	assert_int_equal(parse(HDR "ha:\necmp: {}\n", &cfg), 0);
	assert_false(cfg.ha.enabled);
	assert_true(cfg.ecmp.enabled);
	baton_config_free(&cfg);

	/* an empty mapping is a section, all defaults: no key is required,
	 * not even sync: (a single node is an ECMP group of one) */
	assert_int_equal(parse(HDR "ecmp: {}\n", &cfg), 0);
	assert_true(cfg.ecmp.enabled);
	assert_false(cfg.sync.enabled);
	assert_int_equal(cfg.ecmp.line, 5);
	assert_string_equal(cfg.ecmp.health_iface, "baton-ecmp");
	assert_false(cfg.ecmp.grace_forever);
	assert_int_equal(cfg.ecmp.grace_ms, 30000);
	assert_false(cfg.ecmp.bgp.enabled);
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);
	baton_config_free(&cfg);

	/* an empty bgp: is off, like ha.vrrp */
	assert_int_equal(parse(HDR "ecmp:\n  grace_ms: forever\n  bgp:\n",
			       &cfg), 0);
	assert_true(cfg.ecmp.enabled);
	assert_true(cfg.ecmp.grace_forever);
	assert_false(cfg.ecmp.bgp.enabled);
	assert_memory_equal(&cfg.ecmp.bgp, &d.ecmp.bgp, sizeof(d.ecmp.bgp));
	baton_config_free(&cfg);

	/* the smallest bgp: asn and one front neighbor; no back */
	assert_int_equal(parse(ECMP_BGP, &cfg), 0);
	assert_true(cfg.ecmp.bgp.enabled);
	assert_int_equal(cfg.ecmp.bgp.line, 7);
	assert_int_equal(cfg.ecmp.bgp.asn, 65001);
	assert_int_equal(cfg.ecmp.bgp.router_id, 0);
	assert_true(cfg.ecmp.bgp.bfd);
	assert_int_equal(cfg.ecmp.bgp.hold_s, 3);
	assert_int_equal(cfg.ecmp.bgp.front.line, 9);
	assert_int_equal(cfg.ecmp.bgp.front.nneighbors, 1);
	assert_int_equal(cfg.ecmp.bgp.front.neighbors[0].addr,
			 IP(10, 0, 0, 254));
	assert_int_equal(cfg.ecmp.bgp.front.neighbors[0].asn, 65000);
	assert_int_equal(cfg.ecmp.bgp.front.neighbors[0].line, 10);
	assert_int_equal(cfg.ecmp.bgp.front.nprefixes, 0);
	assert_int_equal(cfg.ecmp.bgp.back.nneighbors, 0);
	assert_int_equal(cfg.ecmp.bgp.back.nprefixes, 0);
	assert_int_equal(cfg.ecmp.bgp.back.line, 0);
	baton_config_free(&cfg);

	/* an empty back: is no back */
	assert_int_equal(parse(ECMP_BGP "    back:\n", &cfg), 0);
	assert_int_equal(cfg.ecmp.bgp.back.nneighbors, 0);
	baton_config_free(&cfg);
	check_rejected("bgp back {}", ECMP_BGP "    back: {}\n",
		       strlen(ECMP_BGP) + 13,
		       "baton.yaml:12: ecmp.bgp.back.neighbors: ",
		       "required key missing");
}

/* Every key of ecmp:, the range ends, lines where they were declared. */
static void test_config_ecmp_fills_every_field(void **state)
{
	const struct baton_bgp_side *fr, *bk;
	struct baton_config cfg, copy;

	assert_int_equal(parse(HDR2 "sync:\n"
			       "  listen: tcp://10.2.0.1:7400\n  peers:\n"
			       PEER("2", "tcp://10.2.0.2:7400")	/* 6-10 */
			       "ecmp:\n"			/* 11 */
			       "  health_interface: ecmp0\n"
			       "  grace_ms: 10000\n"
			       "  bgp:\n"
			       "    asn: 4294967295\n"		/* 15 */
			       "    router_id: 10.0.0.11\n"
			       "    bfd: false\n"
			       "    hold_s: 65535\n"
			       "    front:\n"
			       "      neighbors:\n"		/* 20 */
			       "        - address: 10.0.0.254\n"
			       "          asn: 65000\n"
			       "        - {asn: 1, address: 10.0.0.253}\n"
			       "    back:\n"
			       "      prefixes:\n"		/* 25 */
			       "        - 0.0.0.0/0\n"
			       "        - 10.0.0.0/24\n"
			       "        - 10.0.0.0/25\n"
			       "        - 192.168.1.7/32\n"
			       "      neighbors:\n"		/* 30 */
			       "        - address: 10.1.0.254\n"
			       "          asn: 65002\n", &cfg), 0);
	assert_false(cfg.ha.enabled);
	assert_true(cfg.ecmp.enabled);
	assert_int_equal(cfg.ecmp.line, 12);	/* its first key */
	assert_string_equal(cfg.ecmp.health_iface, "ecmp0");
	assert_false(cfg.ecmp.grace_forever);
	assert_int_equal(cfg.ecmp.grace_ms, 10000);
	assert_true(cfg.ecmp.bgp.enabled);
	assert_int_equal(cfg.ecmp.bgp.line, 15);
	assert_int_equal(cfg.ecmp.bgp.asn, 4294967295u);
	assert_int_equal(cfg.ecmp.bgp.router_id, IP(10, 0, 0, 11));
	assert_false(cfg.ecmp.bgp.bfd);
	assert_int_equal(cfg.ecmp.bgp.hold_s, 65535);

	fr = &cfg.ecmp.bgp.front;
	assert_int_equal(fr->line, 20);
	assert_int_equal(fr->nneighbors, 2);
	assert_int_equal(fr->neighbors[0].addr, IP(10, 0, 0, 254));
	assert_int_equal(fr->neighbors[0].asn, 65000);
	assert_int_equal(fr->neighbors[0].line, 21);
	assert_int_equal(fr->neighbors[1].addr, IP(10, 0, 0, 253));
	assert_int_equal(fr->neighbors[1].asn, 1);
	assert_int_equal(fr->neighbors[1].line, 23);
	assert_int_equal(fr->nprefixes, 0);

	bk = &cfg.ecmp.bgp.back;
	assert_int_equal(bk->line, 25);
	assert_int_equal(bk->nneighbors, 1);
	assert_int_equal(bk->neighbors[0].addr, IP(10, 1, 0, 254));
	assert_int_equal(bk->neighbors[0].asn, 65002);
	assert_int_equal(bk->neighbors[0].line, 31);
	assert_int_equal(bk->nprefixes, 4);
	assert_int_equal(bk->prefixes[0].addr, 0);
	assert_int_equal(bk->prefixes[0].plen, 0);
	assert_int_equal(bk->prefixes[1].addr, IP(10, 0, 0, 0));
	assert_int_equal(bk->prefixes[1].plen, 24);
	assert_int_equal(bk->prefixes[2].addr, IP(10, 0, 0, 0));
	assert_int_equal(bk->prefixes[2].plen, 25);
	assert_int_equal(bk->prefixes[3].addr, IP(192, 168, 1, 7));
	assert_int_equal(bk->prefixes[3].plen, 32);
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	/* held by value: a copy carries it */
	assert_int_equal(baton_config_copy(&copy, &cfg), 0);
	assert_memory_equal(&copy.ecmp, &cfg.ecmp, sizeof(cfg.ecmp));
	baton_config_free(&copy);
	baton_config_free(&cfg);

	/* the other ends: hold_s 3, asn 1, 'forever', BFD said on; and
	 * duplicates are judged per side: a neighbor may be on both */
	assert_int_equal(parse(ECMP_BACK "    hold_s: 3\n    bfd: true\n",
			       &cfg), 0);
	assert_int_equal(cfg.ecmp.bgp.hold_s, 3);
	assert_true(cfg.ecmp.bgp.bfd);
	assert_int_equal(cfg.ecmp.bgp.back.nprefixes, 1);
	baton_config_free(&cfg);
	assert_int_equal(parse(HDR "ecmp:\n  grace_ms: forever\n  bgp:\n"
			       "    asn: 1\n    front:\n      neighbors:\n"
			       "        - {address: 10.0.0.1, asn: 1}\n"
			       "    back:\n      neighbors:\n"
			       "        - {address: 10.0.0.1, asn: 1}\n"
			       "      prefixes: [0.0.0.0/0]\n", &cfg), 0);
	assert_true(cfg.ecmp.grace_forever);
	assert_int_equal(cfg.ecmp.bgp.asn, 1);
	baton_config_free(&cfg);
}

/* More than 8 neighbors or 16 prefixes: the first one too many is named. */
static void test_config_bgp_rejects_9_neighbors_or_17_prefixes(void **state)
{
	struct baton_config cfg;
	char s[2048];
	size_t len, i;

	len = snprintf(s, sizeof(s), "%s", ECMP_BGP);
	for (i = 0; i < BATON_BGP_MAX_NEIGHBORS; i++)
		len += snprintf(s + len, sizeof(s) - len, "        - {address: "
				"10.0.1.%zu, asn: 65000}\n", i + 1);
	/* one neighbor on lines 10-11, then line 12 + 8 holds the 9th */
	check_rejected("too many bgp neighbors", s, len,
		       "baton.yaml:19: ecmp.bgp.front.neighbors: ",
		       "expected at most 8 neighbors, got 9");
	*strrchr(s, '-') = '\0';
	*strrchr(s, '\n') = '\0';
	assert_int_equal(parse(s, &cfg), 0);
	assert_int_equal(cfg.ecmp.bgp.front.nneighbors,
			 BATON_BGP_MAX_NEIGHBORS);
	assert_int_equal(cfg.ecmp.bgp.front.neighbors[7].addr,
			 IP(10, 0, 1, 7));
	baton_config_free(&cfg);

	len = snprintf(s, sizeof(s), "%s", ECMP_BACK);
	for (i = 1; i <= BATON_BGP_MAX_PREFIXES; i++)
		len += snprintf(s + len, sizeof(s) - len,
				"        - 10.%zu.0.0/16\n", i);
	/* one prefix on line 17, then line 18 + 15 holds the 17th */
	check_rejected("too many bgp prefixes", s, len,
		       "baton.yaml:33: ecmp.bgp.back.prefixes: ",
		       "expected at most 16 prefixes, got 17");
	*strrchr(s, '-') = '\0';
	*strrchr(s, '\n') = '\0';
	assert_int_equal(parse(s, &cfg), 0);
	assert_int_equal(cfg.ecmp.bgp.back.nprefixes, BATON_BGP_MAX_PREFIXES);
	baton_config_free(&cfg);
}

/* An ecmp: changed in memory is judged by the same rules. */
static void test_config_validate_judges_ecmp_without_lines(void **state)
{
	struct baton_config cfg;
	struct baton_ecmp_cfg *e = &cfg.ecmp;
	struct baton_bgp_cfg *b = &cfg.ecmp.bgp;

	assert_int_equal(parse(ECMP_BACK "        - 10.2.0.0/16\n"
			       "    router_id: 10.0.0.11\n", &cfg), 0);
	b->front.neighbors[1] = b->front.neighbors[0];
	b->front.neighbors[1].addr = IP(10, 0, 0, 253);
	b->front.nneighbors = 2;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	cfg.ha.enabled = true;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp: expected either ha: or "
			    "ecmp:, got both (they are exclusive: keepalived "
			    "moves the VIPs within a pair, BGP announces them "
			    "from every node)");
	cfg.ha.enabled = false;
	snprintf(e->health_iface, sizeof(e->health_iface), "eth0");
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.health_interface: expected "
			    "a name not in interfaces: (batond creates this "
			    "TUN device itself), got 'eth0'");
	e->health_iface[0] = '\0';
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.health_interface: expected "
			    "an interface name of 1..15 letters, digits, '.', "
			    "'_' or '-' (baton-bird writes it into bird.conf)");
	memset(e->health_iface, 'x', sizeof(e->health_iface));	/* no NUL */
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	snprintf(e->health_iface, sizeof(e->health_iface), "baton-ecmp");
	e->grace_ms = 86400001;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.grace_ms: expected a "
			    "number in 0..86400000 or 'forever', got "
			    "'86400001'");
	e->grace_forever = true;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	b->asn = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.asn: expected a number "
			    "in 1..4294967295, got '0'");
	b->asn = 65001;
	b->hold_s = 2;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.hold_s: expected a "
			    "number in 3..65535, got '2'");
	b->hold_s = 65536;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	b->hold_s = 90;

	b->front.nneighbors = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.front.neighbors: "
			    "expected 1..8 neighbors, got 0");
	b->front.nneighbors = BATON_BGP_MAX_NEIGHBORS + 1;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.front.neighbors: "
			    "expected 1..8 neighbors, got 9");
	b->front.nneighbors = 2;
	b->front.neighbors[1].addr = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.front.neighbors[1]."
			    "address: expected a non-zero IPv4 address, got "
			    "'0.0.0.0'");
	b->front.neighbors[1].addr = b->front.neighbors[0].addr;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.front.neighbors[1]."
			    "address: duplicate neighbor 10.0.0.254, first as "
			    "ecmp.bgp.front.neighbors[0]");
	b->front.neighbors[1].addr = IP(10, 0, 0, 253);
	b->front.neighbors[1].asn = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.front.neighbors[1].asn: "
			    "expected a number in 1..4294967295, got '0'");
	b->front.neighbors[1].asn = 65000;
	b->front.nprefixes = 1;
	b->front.prefixes[0] = b->back.prefixes[0];
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.front.prefixes: "
			    "expected none (front announces the services' "
			    "VIPs), got 1");
	b->front.nprefixes = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	b->back.prefixes[1].addr = IP(10, 2, 0, 1);
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.back.prefixes[1]: "
			    "expected a network prefix with the host bits "
			    "zero, got '10.2.0.1/16'");
	b->back.prefixes[1].addr = IP(10, 2, 0, 0);
	b->back.prefixes[1].plen = 33;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.back.prefixes[1]: "
			    "expected a network prefix with the host bits "
			    "zero, got '10.2.0.0/33'");
	b->back.prefixes[1] = b->back.prefixes[0];
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.back.prefixes[1]: "
			    "duplicate prefix 10.0.0.0/24, first as "
			    "ecmp.bgp.back.prefixes[0]");
	b->back.prefixes[1].plen = 0;		/* 0.0.0.0/0 */
	b->back.prefixes[1].addr = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);
	b->back.nprefixes = BATON_BGP_MAX_PREFIXES + 1;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.back.prefixes: "
			    "expected at most 16 prefixes, got 17");
	b->back.nprefixes = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.back.prefixes: "
			    "required with ecmp.bgp.back.neighbors");
	b->back.nprefixes = 2;
	b->back.nneighbors = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: ecmp.bgp.back.neighbors: "
			    "required with ecmp.bgp.back.prefixes");
	b->back.nprefixes = 0;			/* no back: at all */
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);
	b->back.nneighbors = 1;
	b->back.nprefixes = 2;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	/* bgp off, then ecmp off: what is left in the struct is not
	 * judged */
	b->enabled = false;
	b->asn = 0;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);
	e->enabled = false;
	snprintf(e->health_iface, sizeof(e->health_iface), "eth0");
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);
	baton_config_free(&cfg);
}

static void test_config_health_fills_every_field_and_defaults(void **state)
{
	struct baton_config cfg;
	const struct baton_health_cfg *h;

	(void)state;
	assert_int_equal(parse(HDR "services:\n"
			       "  - vip: 10.0.0.1\n    port: 80\n"
			       "    health:\n      type: http\n"
			       "      port: 8081\n      interval_ms: 700\n"
			       "      timeout_ms: 200\n      rise: 4\n"
			       "      fall: 5\n      on_down: reset\n"
			       "      path: /healthz?x=1\n"
			       "      host: www.example.com\n"
			       "      status: 200-204\n"
			       "  - vip: 10.0.0.1\n    port: 53\n"
			       "    protocol: udp\n    health:\n"
			       "      type: udp\n      interval_ms: 500\n"
			       "      send: \"ping\\x00\"\n"
			       "      expect: PONG\n"
			       "  - vip: 10.0.0.1\n    port: 81\n"
			       "    health:\n      type: http\n"
			       "  - vip: 10.0.0.1\n    port: 82\n", &cfg), 0);
	h = &cfg.services[0].health;
	assert_int_equal(h->type, BATON_HC_HTTP);
	assert_int_equal(h->port, 8081);
	assert_int_equal(h->interval_ms, 700);
	assert_int_equal(h->timeout_ms, 200);
	assert_int_equal(h->rise, 4);
	assert_int_equal(h->fall, 5);
	assert_int_equal(h->on_down, BATON_HC_RESET);
	assert_string_equal(h->path, "/healthz?x=1");
	assert_string_equal(h->host, "www.example.com");
	assert_int_equal(h->status_min, 200);
	assert_int_equal(h->status_max, 204);
	assert_int_equal(h->line, 9);
	/* udp: a payload is bytes, a NUL included */
	h = &cfg.services[1].health;
	assert_int_equal(h->type, BATON_HC_UDP);
	assert_int_equal(h->interval_ms, 500);
	assert_int_equal(h->timeout_ms, 500);	/* min(1000, interval) */
	assert_int_equal(h->send_len, 5);
	assert_memory_equal(h->send, "ping\0", 5);
	assert_int_equal(h->expect_len, 4);
	assert_memory_equal(h->expect, "PONG", 4);
	/* defaults */
	h = &cfg.services[2].health;
	assert_int_equal(h->type, BATON_HC_HTTP);
	assert_int_equal(h->port, 0);
	assert_int_equal(h->interval_ms, 2000);
	assert_int_equal(h->timeout_ms, 1000);
	assert_int_equal(h->rise, 2);
	assert_int_equal(h->fall, 3);
	assert_int_equal(h->on_down, BATON_HC_KEEP);
	assert_string_equal(h->path, "/");
	assert_string_equal(h->host, "");
	assert_int_equal(h->status_min, 200);
	assert_int_equal(h->status_max, 399);
	assert_int_equal(cfg.services[3].health.type, BATON_HC_NONE);
	assert_true(baton_health_cfg_equal(&cfg.services[2].health,
					   &cfg.services[2].health));
	assert_false(baton_health_cfg_equal(&cfg.services[0].health,
					    &cfg.services[2].health));
	baton_config_free(&cfg);
}

static void test_config_metrics_address_or_off(void **state)
{
	struct baton_config cfg;

	(void)state;
	assert_int_equal(parse("node:\n  id: 1\n  metrics: off\n"
			       "interfaces:\n  - name: eth0\n", &cfg), 0);
	assert_int_equal(cfg.metrics_port, 0);
	baton_config_free(&cfg);
	assert_int_equal(parse("node:\n  id: 1\n  metrics: 0.0.0.0:9100\n"
			       "interfaces:\n  - name: eth0\n", &cfg), 0);
	assert_int_equal(cfg.metrics_addr, 0);
	assert_int_equal(cfg.metrics_port, 9100);
	baton_config_free(&cfg);
}

/* node.drop_privileges: on unless the file says false. */
static void test_config_drop_privileges_on_unless_false(void **state)
{
	struct baton_config cfg;

	(void)state;
	assert_int_equal(parse(HDR, &cfg), 0);
	assert_true(cfg.drop_privileges);
	baton_config_free(&cfg);
	assert_int_equal(parse("node:\n  id: 1\n  drop_privileges: false\n"
			       "interfaces:\n  - name: eth0\n", &cfg), 0);
	assert_false(cfg.drop_privileges);
	baton_config_free(&cfg);
	assert_int_equal(parse("node:\n  id: 1\n  drop_privileges: true\n"
			       "interfaces:\n  - name: eth0\n", &cfg), 0);
	assert_true(cfg.drop_privileges);
	baton_config_free(&cfg);
}

static void test_config_copy_is_deep(void **state)
{
	struct baton_config a, b;

	assert_int_equal(parse(full_yaml, &a), 0);
	memset(&b, 0xa5, sizeof(b));
	assert_int_equal(baton_config_copy(&b, &a), 0);
	assert_ptr_not_equal(b.services, a.services);
	assert_memory_equal(b.services, a.services,
			    a.nservices * sizeof(*a.services));
	check_full(&b, "baton.yaml");

	/* changing the copy leaves the original alone */
	b.services[0].backends[0].weight = 99;
	b.services[1].port = 5300;
	b.nservices = 2;
	check_full(&a, "baton.yaml");
	baton_config_free(&a);
	assert_int_equal(b.services[0].backends[0].weight, 99);
	baton_config_free(&b);

	/* no services: nothing to share */
	assert_int_equal(parse(HDR, &a), 0);
	assert_int_equal(baton_config_copy(&b, &a), 0);
	assert_null(b.services);
	assert_memory_equal(&a, &b, sizeof(a));
	baton_config_free(&a);
	baton_config_free(&b);
	baton_config_free(NULL);
}

static void test_config_find_service_matches_vip_port_and_proto(void **state)
{
	struct baton_config cfg;
	struct baton_service_cfg *s;

	assert_int_equal(parse(full_yaml, &cfg), 0);
	s = baton_config_find_service(&cfg, IP(10, 0, 0, 100), 80,
				      IPPROTO_TCP);
	assert_ptr_equal(s, &cfg.services[0]);
	s = baton_config_find_service(&cfg, IP(10, 0, 0, 100), 0,
				      IPPROTO_ICMP);
	assert_ptr_equal(s, &cfg.services[2]);
	assert_null(baton_config_find_service(&cfg, IP(10, 0, 0, 100), 80,
					      IPPROTO_UDP));
	assert_null(baton_config_find_service(&cfg, IP(10, 0, 0, 101), 80,
					      IPPROTO_TCP));
	assert_null(baton_config_find_service(&cfg, IP(10, 0, 0, 100), 81,
					      IPPROTO_TCP));
	baton_config_free(&cfg);
}

/* Live changes carry no line: messages name the service instead. */
static void test_config_validate_names_live_services_by_address(void **state)
{
	struct baton_config cfg;
	struct baton_service_cfg *s, *svcs;

	assert_int_equal(parse(full_yaml, &cfg), 0);
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	svcs = realloc(cfg.services, (cfg.nservices + 1) * sizeof(*svcs));
	assert_non_null(svcs);
	cfg.services = svcs;
	s = &cfg.services[cfg.nservices++];
	memset(s, 0, sizeof(*s));
	s->vip = IP(10, 0, 0, 200);
	s->port = 80;
	s->proto = IPPROTO_TCP;
	s->mode = BATON_MODE_FULLNAT;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "service 10.0.0.200:80/tcp: snat: required "
			    "for mode fullnat, expected an IPv4 address");

	s->snat = IP(10, 1, 0, 10);
	s->nbackends = 2;
	s->backends[0].addr = IP(10, 1, 0, 1);
	s->backends[0].port = 80;
	s->backends[1] = s->backends[0];
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "service 10.0.0.200:80/tcp: backends[1]: "
			    "duplicate backend 10.1.0.1:80, first as "
			    "backends[0]");

	s->nbackends = 1;
	s->vip = IP(10, 0, 0, 101);
	s->port = 53;
	s->proto = IPPROTO_UDP;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "service 10.0.0.101:53/udp: duplicate "
			    "service 10.0.0.101:53/udp, first as services[1]");

	/* a backend added live to a service from the file */
	cfg.nservices--;
	s = &cfg.services[0];
	s->backends[s->nbackends].addr = IP(10, 1, 0, 99);
	s->backends[s->nbackends].port = 0;
	s->backends[s->nbackends].line = 0;
	s->nbackends++;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "service 10.0.0.100:80/tcp: backends[3].port: "
			    "expected a number in 1..65535, got '0'");
	s->backends[3].port = 80;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)), 0);

	/* too many backends can only come from a live change */
	s->nbackends = BATON_MAX_BACKENDS + 1;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml:33: services[0].backends: "
			    "expected at most 64 backends, got 65");
	s->nbackends = 4;

	/* global ranges are checked too */
	cfg.gc_interval_ms = 5;
	assert_int_equal(baton_config_validate(&cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "baton.yaml: conntrack.gc_interval_ms: "
			    "expected a number in 10..60000, got '5'");
	baton_config_free(&cfg);
}

static void test_config_names_round_trip(void **state)
{
	static const char *const modes[] = { "dnat", "fullnat", "dsr" };
	static const char *const algos[] = { "maglev", "wrr", "lc" };
	static const char *const states[] = {
		"NONE", "NEW", "SYN_SENT", "SYN_RECV", "ESTABLISHED",
		"FIN_WAIT", "CLOSE_WAIT", "TIME_WAIT", "CLOSED",
	};
	int i;

	for (i = 0; i < BATON_MODE_MAX; i++) {
		assert_string_equal(baton_mode_str(i), modes[i]);
		assert_int_equal(baton_mode_from_str(modes[i]), i);
	}
	for (i = 0; i < BATON_ALGO_MAX; i++) {
		assert_string_equal(baton_algo_str(i), algos[i]);
		assert_int_equal(baton_algo_from_str(algos[i]), i);
	}
	for (i = 0; i < CT_STATE_MAX; i++)
		assert_string_equal(baton_ct_state_str(i), states[i]);
	assert_int_equal(BATON_MODE_MAX, 3);
	assert_int_equal(BATON_ALGO_MAX, 3);
	assert_int_equal(CT_STATE_MAX, 9);

	assert_string_equal(baton_proto_str(IPPROTO_TCP), "tcp");
	assert_string_equal(baton_proto_str(IPPROTO_UDP), "udp");
	assert_string_equal(baton_proto_str(IPPROTO_ICMP), "icmp");
	assert_int_equal(baton_proto_from_str("tcp"), IPPROTO_TCP);
	assert_int_equal(baton_proto_from_str("udp"), IPPROTO_UDP);
	assert_int_equal(baton_proto_from_str("icmp"), IPPROTO_ICMP);

	assert_string_equal(baton_mode_str(-1), "?");
	assert_string_equal(baton_mode_str(BATON_MODE_MAX), "?");
	assert_string_equal(baton_algo_str(BATON_ALGO_MAX), "?");
	assert_string_equal(baton_proto_str(IPPROTO_SCTP), "?");
	assert_string_equal(baton_ct_state_str(CT_STATE_MAX), "?");
	assert_string_equal(baton_ct_state_str(-1), "?");
	assert_int_equal(baton_mode_from_str("DNAT"), -1);
	assert_int_equal(baton_mode_from_str(NULL), -1);
	assert_int_equal(baton_algo_from_str("rr"), -1);
	assert_int_equal(baton_proto_from_str("sctp"), -1);
	assert_int_equal(baton_proto_from_str(NULL), -1);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_config_full_file_fills_every_field),
	cmocka_unit_test(test_config_defaults_match_the_documented_ones),
	cmocka_unit_test(test_config_pressure_settings),
	cmocka_unit_test(test_config_empty_sections_are_defaults),
	cmocka_unit_test(test_config_shipped_example_loads),
	cmocka_unit_test(test_config_load_reads_a_real_file_and_names_it),
	cmocka_unit_test(test_config_each_error_names_file_line_and_key),
	cmocka_unit_test(test_config_rejects_more_than_64_backends),
	cmocka_unit_test(test_config_rejects_more_than_256_services),
	cmocka_unit_test(test_config_rejects_binary_garbage),
	cmocka_unit_test(test_config_sync_section_on_off_and_defaults),
	cmocka_unit_test(test_config_sync_rejects_more_than_16_peers),
	cmocka_unit_test(test_config_validate_judges_sync_without_lines),
	cmocka_unit_test(test_config_ha_section_on_off_and_defaults),
	cmocka_unit_test(test_config_validate_judges_ha_without_lines),
	cmocka_unit_test(test_config_ha_vrrp_fills_every_field),
	cmocka_unit_test(test_config_ha_vrrp_rejects_more_than_16_addresses),
	cmocka_unit_test(test_config_validate_judges_ha_vrrp_without_lines),
	cmocka_unit_test(test_config_ecmp_section_on_off_and_defaults),
	cmocka_unit_test(test_config_ecmp_fills_every_field),
	cmocka_unit_test(test_config_bgp_rejects_9_neighbors_or_17_prefixes),
	cmocka_unit_test(test_config_validate_judges_ecmp_without_lines),
	cmocka_unit_test(test_config_health_fills_every_field_and_defaults),
	cmocka_unit_test(test_config_metrics_address_or_off),
	cmocka_unit_test(test_config_drop_privileges_on_unless_false),
	cmocka_unit_test(test_config_copy_is_deep),
	cmocka_unit_test(test_config_find_service_matches_vip_port_and_proto),
	cmocka_unit_test(test_config_validate_names_live_services_by_address),
	cmocka_unit_test(test_config_names_round_trip),
};

UNIT_MAIN("config", tests)
