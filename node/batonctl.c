// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * batonctl.c - command line client of batond's control socket.
 *
 *   batonctl [-s SOCKET] [--json] COMMAND ...
 *
 * Exit codes: 0 done, 1 batond refused the command (nothing changed),
 * 2 usage error (nothing sent), 3 batond unreachable.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "ctl.h"
#include "svcspec.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3
#define REPLY_TIMEOUT_S 60

static const char usage_text[] =
	"usage: batonctl [-s SOCKET] [--json] COMMAND ...\n"
	"\n"
	"  service list\n"
	"  service add VIP:PORT/PROTO [mode dnat|fullnat|dsr] "
	"[algo maglev|wrr|lc] [snat IP]\n"
	"  service remove VIP:PORT/PROTO\n"
	"  backend list [VIP:PORT/PROTO]\n"
	"  backend add VIP:PORT/PROTO IP[:PORT] [weight N]\n"
	"  backend remove VIP:PORT/PROTO IP[:PORT]\n"
	"  backend weight VIP:PORT/PROTO IP[:PORT] N\n"
	"  ct list [vip IP] [proto tcp|udp|icmp] [state NAME] [limit N]\n"
	"          (at most 100000 entries unless limit says otherwise)\n"
	"  ct count\n"
	"  ct flush\n"
	"  stats\n"
	"  status\n"
	"  sync status\n"
	"  sync resync [PEER_ID]\n"
	"  ha status\n"
	"  config save [FILE]   write the running services into FILE (default:\n"
	"                       batond's config file); the rest of the file stays\n"
	"\n"
	"  ICMP services are written VIP/icmp. --json prints batond's data as\n"
	"  JSON. Default socket: " BATON_DEFAULT_CTL_PATH "\n";

static char usage_err[256];

/* Usage errors carry a message and exit 2; nothing is sent. */
#define USAGE(...)                                                     \
	do {                                                           \
		snprintf(usage_err, sizeof(usage_err), __VA_ARGS__);   \
		return NULL;                                           \
	} while (0)

/* ---- request building -------------------------------------------------- */

static bool check_svc(const char *s)
{
	struct baton_svc_spec sp;

	if (!baton_svc_spec_parse(s, &sp, usage_err, sizeof(usage_err)))
		return true;
	return false;
}

static bool check_be(const char *s)
{
	struct baton_be_spec bp;

	return !baton_be_spec_parse(s, &bp, usage_err, sizeof(usage_err));
}

static bool check_weight(const char *s, json_int_t *w)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s < '0' || *s > '9' || *end || v > 65535) {
		snprintf(usage_err, sizeof(usage_err),
			 "weight '%s': expected a number in 0..65535", s);
		return false;
	}
	*w = v;
	return true;
}

static bool one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(v, *set))
			return true;
	return false;
}

/*
 * "key value" pairs after the fixed arguments. keys[] lists the allowed
 * keys, sets[] (parallel, may hold NULL) the allowed values.
 */
static bool kv_args(json_t *req, int argc, char **argv,
		    const char *const *keys, const char *const *const *sets,
		    const char *const *jkeys)
{
	for (int i = 0; i < argc; i += 2) {
		size_t k;

		for (k = 0; keys[k]; k++)
			if (!strcmp(argv[i], keys[k]))
				break;
		if (!keys[k]) {
			snprintf(usage_err, sizeof(usage_err),
				 "unexpected argument '%s'", argv[i]);
			return false;
		}
		if (i + 1 >= argc) {
			snprintf(usage_err, sizeof(usage_err),
				 "'%s' needs a value", argv[i]);
			return false;
		}
		if (json_object_get(req, jkeys[k])) {
			snprintf(usage_err, sizeof(usage_err),
				 "'%s' given twice", argv[i]);
			return false;
		}
		if (sets[k] && !one_of(argv[i + 1], sets[k])) {
			snprintf(usage_err, sizeof(usage_err),
				 "%s '%s': not one of the accepted values",
				 argv[i], argv[i + 1]);
			return false;
		}
		json_object_set_new(req, jkeys[k], json_string(argv[i + 1]));
	}
	return true;
}

static bool check_ip_arg(json_t *req, const char *key)
{
	const char *v = json_string_value(json_object_get(req, key));
	uint32_t a;

	if (!v || !baton_ip_parse(v, &a))
		return true;
	snprintf(usage_err, sizeof(usage_err), "%s '%s': expected an IPv4 "
		 "address", key, v);
	return false;
}

static json_t *req_new(const char *cmd)
{
	return json_pack("{s:s}", "cmd", cmd);
}

static json_t *build_service(int argc, char **argv)
{
	static const char *const modes[] = { "dnat", "fullnat", "dsr", NULL };
	static const char *const algos[] = { "maglev", "wrr", "lc", NULL };
	static const char *const keys[] = { "mode", "algo", "snat", NULL };
	static const char *const *const sets[] = { modes, algos, NULL };
	json_t *req;

	if (argc < 1)
		USAGE("service: expected list, add or remove");
	if (!strcmp(argv[0], "list")) {
		if (argc != 1)
			USAGE("service list takes no arguments");
		return req_new("service.list");
	}
	if (!strcmp(argv[0], "add")) {
		if (argc < 2)
			USAGE("service add: expected VIP:PORT/PROTO");
		if (!check_svc(argv[1]))
			return NULL;
		req = json_pack("{s:s, s:s}", "cmd", "service.add", "service",
				argv[1]);
		if (!kv_args(req, argc - 2, argv + 2, keys, sets, keys) ||
		    !check_ip_arg(req, "snat")) {
			json_decref(req);
			return NULL;
		}
		return req;
	}
	if (!strcmp(argv[0], "remove")) {
		if (argc != 2)
			USAGE("service remove: expected VIP:PORT/PROTO");
		if (!check_svc(argv[1]))
			return NULL;
		return json_pack("{s:s, s:s}", "cmd", "service.remove",
				 "service", argv[1]);
	}
	USAGE("service: unknown subcommand '%s'", argv[0]);
}

static json_t *build_backend(int argc, char **argv)
{
	json_int_t w = 1;

	if (argc < 1)
		USAGE("backend: expected list, add, remove or weight");
	if (!strcmp(argv[0], "list")) {
		if (argc > 2)
			USAGE("backend list: expected at most VIP:PORT/PROTO");
		if (argc == 1)
			return req_new("backend.list");
		if (!check_svc(argv[1]))
			return NULL;
		return json_pack("{s:s, s:s}", "cmd", "backend.list",
				 "service", argv[1]);
	}
	if (!strcmp(argv[0], "add")) {
		if (argc != 3 && !(argc == 5 && !strcmp(argv[3], "weight")))
			USAGE("backend add: expected VIP:PORT/PROTO IP[:PORT] "
			      "[weight N]");
		if (!check_svc(argv[1]) || !check_be(argv[2]) ||
		    (argc == 5 && !check_weight(argv[4], &w)))
			return NULL;
		return json_pack("{s:s, s:s, s:s, s:I}", "cmd", "backend.add",
				 "service", argv[1], "backend", argv[2],
				 "weight", w);
	}
	if (!strcmp(argv[0], "remove")) {
		if (argc != 3)
			USAGE("backend remove: expected VIP:PORT/PROTO "
			      "IP[:PORT]");
		if (!check_svc(argv[1]) || !check_be(argv[2]))
			return NULL;
		return json_pack("{s:s, s:s, s:s}", "cmd", "backend.remove",
				 "service", argv[1], "backend", argv[2]);
	}
	if (!strcmp(argv[0], "weight")) {
		if (argc != 4)
			USAGE("backend weight: expected VIP:PORT/PROTO "
			      "IP[:PORT] N");
		if (!check_svc(argv[1]) || !check_be(argv[2]) ||
		    !check_weight(argv[3], &w))
			return NULL;
		return json_pack("{s:s, s:s, s:s, s:I}", "cmd",
				 "backend.weight", "service", argv[1],
				 "backend", argv[2], "weight", w);
	}
	USAGE("backend: unknown subcommand '%s'", argv[0]);
}

static json_t *build_ct(int argc, char **argv)
{
	static const char *const protos[] = { "tcp", "udp", "icmp", NULL };
	static const char *const keys[] = { "vip", "proto", "state", "limit",
					    NULL };
	static const char *const *const sets[] = { NULL, protos, NULL, NULL };
	json_t *req;

	if (argc < 1)
		USAGE("ct: expected list, count or flush");
	if (!strcmp(argv[0], "list")) {
		req = req_new("ct.list");
		if (!kv_args(req, argc - 1, argv + 1, keys, sets, keys) ||
		    !check_ip_arg(req, "vip")) {
			json_decref(req);
			return NULL;
		}
		return req;
	}
	if (!strcmp(argv[0], "count") || !strcmp(argv[0], "flush")) {
		if (argc != 1)
			USAGE("ct %s takes no arguments", argv[0]);
		return req_new(!strcmp(argv[0], "count") ? "ct.count"
							 : "ct.flush");
	}
	USAGE("ct: unknown subcommand '%s'", argv[0]);
}

static json_t *build_sync(int argc, char **argv)
{
	char *end;
	unsigned long id;

	if (argc < 1)
		USAGE("sync: expected status or resync");
	if (!strcmp(argv[0], "status")) {
		if (argc != 1)
			USAGE("sync status takes no arguments");
		return req_new("sync.status");
	}
	if (!strcmp(argv[0], "resync")) {
		if (argc == 1)
			return req_new("sync.resync");
		errno = 0;
		id = strtoul(argv[1], &end, 10);
		if (argc != 2 || errno || *end || !id || id > UINT32_MAX)
			USAGE("sync resync: expected a peer's node id, got "
			      "'%s'", argc > 1 ? argv[1] : "");
		return json_pack("{s:s, s:I}", "cmd", "sync.resync", "peer",
				 (json_int_t)id);
	}
	USAGE("sync: unknown subcommand '%s'", argv[0]);
}

static json_t *build_ha(int argc, char **argv)
{
	if (argc < 1)
		USAGE("ha: expected status");
	if (!strcmp(argv[0], "status")) {
		if (argc != 1)
			USAGE("ha status takes no arguments");
		return req_new("ha.status");
	}
	USAGE("ha: unknown subcommand '%s'", argv[0]);
}

static json_t *build_config(int argc, char **argv)
{
	char cwd[4096], file[4096 + 256];

	if (argc < 1 || strcmp(argv[0], "save") || argc > 2)
		USAGE("config: expected save [FILE]");
	if (argc == 1)
		return req_new("config.save");
	/* batond resolves nothing: a relative name is ours. */
	if (argv[1][0] == '/') {
		snprintf(file, sizeof(file), "%s", argv[1]);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			USAGE("config save: current directory: %s",
			      strerror(errno));
		snprintf(file, sizeof(file), "%s/%s", cwd, argv[1]);
	}
	return json_pack("{s:s, s:s}", "cmd", "config.save", "file", file);
}

static json_t *build_request(int argc, char **argv)
{
	if (argc < 1)
		USAGE("expected a command");
	if (!strcmp(argv[0], "service"))
		return build_service(argc - 1, argv + 1);
	if (!strcmp(argv[0], "backend"))
		return build_backend(argc - 1, argv + 1);
	if (!strcmp(argv[0], "ct"))
		return build_ct(argc - 1, argv + 1);
	if (!strcmp(argv[0], "sync"))
		return build_sync(argc - 1, argv + 1);
	if (!strcmp(argv[0], "ha"))
		return build_ha(argc - 1, argv + 1);
	if (!strcmp(argv[0], "config"))
		return build_config(argc - 1, argv + 1);
	if (!strcmp(argv[0], "stats") || !strcmp(argv[0], "status")) {
		if (argc != 1)
			USAGE("%s takes no arguments", argv[0]);
		return req_new(argv[0]);
	}
	USAGE("unknown command '%s'", argv[0]);
}

/* ---- transport --------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The reply object, or NULL (message printed; unreachable). */
static json_t *call(const char *path, json_t *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	size_t len = 0, cap = 0;
	char *buf = NULL, *nl = NULL, *line;
	json_error_t jerr;
	json_t *reply = NULL;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "batonctl: socket path too long: %s\n", path);
		return NULL;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "batonctl: cannot reach batond at %s: %s\n",
			path, strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	line = json_dumps(req, JSON_COMPACT);
	if (!line || write_all(fd, line, strlen(line)) ||
	    write_all(fd, "\n", 1)) {
		free(line);
		fprintf(stderr, "batonctl: send to %s: %s\n", path,
			strerror(errno));
		goto out;
	}
	free(line);
	while (!nl) {
		ssize_t r;

		if (cap - len < 65536) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb)
				goto out;
			buf = nb;
			cap += 65536;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "batonctl: no reply from batond at "
				"%s: %s\n", path,
				r ? strerror(errno) : "connection closed");
			goto out;
		}
		nl = memchr(buf + len, '\n', (size_t)r);
		len += (size_t)r;
	}
	reply = json_loadb(buf, (size_t)(nl - buf), 0, &jerr);
	if (!reply || !json_is_object(reply)) {
		fprintf(stderr, "batonctl: bad reply from batond: %s\n",
			reply ? "not an object" : jerr.text);
		json_decref(reply);
		reply = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return reply;
}

/* ---- human output ------------------------------------------------------ */

#define TBL_MAX_COLS 16

/* Aligned columns; cells are copied in as they come, row by row. */
struct table {
	size_t ncols, n, cap;
	char **cells;
	size_t width[TBL_MAX_COLS];
};

static void tbl_put(struct table *t, const char *s)
{
	size_t col = t->n % t->ncols, len = strlen(s);

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		char **nc = realloc(t->cells, cap * sizeof(*nc));

		if (!nc) {
			fprintf(stderr, "batonctl: out of memory\n");
			exit(EXIT_REFUSED);
		}
		t->cells = nc;
		t->cap = cap;
	}
	t->cells[t->n++] = strdup(s ? s : "-");
	if (len > t->width[col])
		t->width[col] = len;
}

static void tbl_header(struct table *t, const char *const *names)
{
	for (t->ncols = 0; names[t->ncols]; t->ncols++)
		;
	for (size_t i = 0; i < t->ncols; i++)
		tbl_put(t, names[i]);
}

static void tbl_print(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		size_t col = i % t->ncols;

		if (col + 1 == t->ncols || i + 1 == t->n)
			printf("%s\n", t->cells[i]);
		else
			printf("%-*s  ", (int)t->width[col], t->cells[i]);
		free(t->cells[i]);
	}
	free(t->cells);
}

/* A field as text: strings as they are, integers in decimal, booleans as
 * yes/no, null or missing as "-". */
static const char *fs(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, len, "-");
	return buf;
}

static void cell(struct table *t, json_t *o, const char *key)
{
	char buf[64];

	tbl_put(t, fs(o, key, buf, sizeof(buf)));
}

/* "ADDR:PORT" cell from two fields; ":0" (ICMP) is left out. */
static void cell_ep(struct table *t, json_t *o, const char *akey,
		    const char *pkey)
{
	char a[64], p[32], buf[96];
	const char *port = fs(o, pkey, p, sizeof(p));

	if (!strcmp(port, "0") || !strcmp(port, "-"))
		snprintf(buf, sizeof(buf), "%s", fs(o, akey, a, sizeof(a)));
	else
		snprintf(buf, sizeof(buf), "%s:%s", fs(o, akey, a, sizeof(a)),
			 port);
	tbl_put(t, buf);
}

static void print_services(json_t *data)
{
	static const char *const h[] = { "SERVICE", "MODE", "ALGO", "SNAT",
					 "BACKENDS", NULL };
	struct table t = {};
	char a[64], p[32], buf[128];
	json_int_t port;
	json_t *o;
	size_t i;

	tbl_header(&t, h);
	json_array_foreach(data, i, o) {
		const char *vip = fs(o, "vip", a, sizeof(a));
		const char *proto = fs(o, "proto", p, sizeof(p));

		port = json_integer_value(json_object_get(o, "port"));
		if (port)
			snprintf(buf, sizeof(buf), "%s:%" JSON_INTEGER_FORMAT
				 "/%s", vip, port, proto);
		else
			snprintf(buf, sizeof(buf), "%s/%s", vip, proto);
		tbl_put(&t, buf);
		cell(&t, o, "mode");
		cell(&t, o, "algo");
		cell(&t, o, "snat");
		cell(&t, o, "backends");
	}
	tbl_print(&t);
}

/* "-" without checks, else "up"/"down" and, after a failed probe, why. */
static void cell_health(struct table *t, json_t *o)
{
	json_t *h = json_object_get(o, "health");
	char buf[160];
	const char *err;

	if (!json_is_object(h)) {
		tbl_put(t, "-");
		return;
	}
	err = json_string_value(json_object_get(h, "last_error"));
	if (json_integer_value(json_object_get(h, "fail_run")) && err && *err)
		snprintf(buf, sizeof(buf), "%s (%s)",
			 json_string_value(json_object_get(h, "state")), err);
	else
		snprintf(buf, sizeof(buf), "%s",
			 json_string_value(json_object_get(h, "state")));
	tbl_put(t, buf);
}

static void print_backends(json_t *data)
{
	static const char *const h[] = { "SERVICE", "BACKEND", "WEIGHT",
					 "ACTIVE", "FLOWS", "HEALTH", NULL };
	struct table t = {};
	json_t *o;
	size_t i;

	tbl_header(&t, h);
	json_array_foreach(data, i, o) {
		cell(&t, o, "service");
		cell_ep(&t, o, "address", "port");
		cell(&t, o, "weight");
		cell(&t, o, "active");
		cell(&t, o, "flows");
		cell_health(&t, o);
	}
	tbl_print(&t);
}

static void print_ct(json_t *data)
{
	static const char *const h[] = { "PROTO", "DIR", "SOURCE", "DEST",
					 "NAT-SOURCE", "NAT-DEST", "BACKEND",
					 "STATE",
					 "MODE", "OWNER", "PACKETS", "BYTES",
					 "AGE(ms)", "IDLE(ms)", NULL };
	struct table t = {};
	json_t *o;
	size_t i;

	tbl_header(&t, h);
	json_array_foreach(data, i, o) {
		cell(&t, o, "proto");
		cell(&t, o, "dir");
		cell_ep(&t, o, "src", "sport");
		cell_ep(&t, o, "dst", "dport");
		cell_ep(&t, o, "nat_src", "nat_sport");
		cell_ep(&t, o, "nat_dst", "nat_dport");
		cell(&t, o, "backend");
		cell(&t, o, "state");
		cell(&t, o, "mode");
		cell(&t, o, "owner");
		cell(&t, o, "packets");
		cell(&t, o, "bytes");
		cell(&t, o, "age_ms");
		cell(&t, o, "idle_ms");
	}
	tbl_print(&t);
}

/* A flat object as NAME VALUE rows. */
static void print_counters(json_t *obj, const char *title)
{
	const char *h[] = { title, "VALUE", NULL };
	struct table t = {};
	const char *k;
	json_t *v;

	tbl_header(&t, h);
	json_object_foreach(obj, k, v) {
		tbl_put(&t, k);
		cell(&t, obj, k);
	}
	tbl_print(&t);
}

/* Names of a JSON array of strings, comma-separated ("none" if empty). */
static void print_names(json_t *a)
{
	json_t *v;
	size_t i;

	if (!json_array_size(a))
		printf("none");
	json_array_foreach(a, i, v)
		printf("%s%s", i ? "," : "", json_string_value(v));
}

/* privileges  cap_net_admin (dropped; bounding cap_net_admin; no_new_privs) */
static void print_privileges(json_t *p)
{
	if (!json_is_object(p))
		return;
	printf("%-15s ", "privileges");
	print_names(json_object_get(p, "kept"));
	printf(" (%s; bounding ",
	       json_is_true(json_object_get(p, "dropped")) ? "dropped" :
	       json_is_true(json_object_get(p, "drop")) ? "NOT dropped" :
	       "node.drop_privileges: false");
	print_names(json_object_get(p, "bounding"));
	printf("%s; uid %" JSON_INTEGER_FORMAT ")\n",
	       json_is_true(json_object_get(p, "no_new_privs")) ?
	       "; no_new_privs" : "",
	       json_integer_value(json_object_get(p, "uid")));
}

static void print_status(json_t *data)
{
	static const char *const keys[] = {
		"node_id", "epoch", "uptime_s", "config", "pin_path",
		"control_socket", "maps_reused", "keep_datapath", "ct_max",
		"services", NULL,
	};
	static const char *const h[] = { "INTERFACE", "IFINDEX", "TC",
					 "XDP-MODE", "XDP", NULL };
	struct table t = {};
	json_t *o, *sub;
	char buf[64];
	size_t i;

	for (i = 0; keys[i]; i++)
		printf("%-15s %s\n", keys[i],
		       fs(data, keys[i], buf, sizeof(buf)));
	sub = json_object_get(data, "gc");
	printf("%-15s %s passes", "gc", fs(sub, "passes", buf, sizeof(buf)));
	printf(", %s scanned", fs(sub, "scanned", buf, sizeof(buf)));
	printf(", %s expired", fs(sub, "expired", buf, sizeof(buf)));
	printf(" (%s half-open)", fs(sub, "expired_half_open", buf,
				     sizeof(buf)));
	printf(", %s under pressure", fs(sub, "pressure_passes", buf,
					 sizeof(buf)));
	printf(", last pass %s us", fs(sub, "last_pass_us", buf, sizeof(buf)));
	printf("%s\n", json_is_true(json_object_get(sub, "pressure")) ?
	       " (UNDER PRESSURE)" : "");
	sub = json_object_get(data, "events");
	printf("%-15s %s established", "events",
	       fs(sub, "established", buf, sizeof(buf)));
	printf(", %s state", fs(sub, "state", buf, sizeof(buf)));
	printf(", %s closed", fs(sub, "closed", buf, sizeof(buf)));
	printf(", %s claimed", fs(sub, "claimed", buf, sizeof(buf)));
	printf(", %s revived", fs(sub, "revived", buf, sizeof(buf)));
	printf("; %s reads", fs(sub, "reads", buf, sizeof(buf)));
	printf(" (%s deferred)\n", fs(sub, "deferred_reads", buf, sizeof(buf)));
	sub = json_object_get(data, "reloads");
	printf("%-15s %s ok", "reloads", fs(sub, "ok", buf, sizeof(buf)));
	printf(", %s failed\n", fs(sub, "failed", buf, sizeof(buf)));
	print_privileges(json_object_get(data, "privileges"));
	printf("\n");

	tbl_header(&t, h);
	json_array_foreach(json_object_get(data, "interfaces"), i, o) {
		cell(&t, o, "name");
		cell(&t, o, "ifindex");
		cell(&t, o, "tc");
		cell(&t, o, "xdp_mode");
		cell(&t, o, "xdp");
	}
	tbl_print(&t);
}

static void print_sync(json_t *data)
{
	static const char *const h[] = { "PEER", "URL", "CONNECTED", "STATE",
					 "SENT", "RECEIVED", "INSTALLED",
					 "NO-SERVICE", "LAG-P50(us)",
					 "LAG-P99(us)", "LAST-ERROR", NULL };
	struct table t = {};
	char buf[32];
	json_t *o;
	size_t i;

	if (!json_is_true(json_object_get(data, "enabled"))) {
		printf("sync: not configured\n");
		return;
	}
	printf("node %s epoch %s listening on %s%s\n",
	       fs(data, "node_id", buf, 16), fs(data, "epoch", buf + 16, 16),
	       json_string_value(json_object_get(data, "listen")),
	       json_is_true(json_object_get(data, "tls")) ? " (mutual TLS)"
							  : "");
	tbl_header(&t, h);
	json_array_foreach(json_object_get(data, "peers"), i, o) {
		cell(&t, o, "id");
		cell(&t, o, "url");
		cell(&t, o, "connected");
		cell(&t, o, "state");
		cell(&t, o, "sent_flows");
		cell(&t, o, "recv_flows");
		cell(&t, o, "installed");
		cell(&t, o, "no_service");
		cell(&t, o, "lag_p50_us");
		cell(&t, o, "lag_p99_us");
		cell(&t, o, "last_error");
	}
	tbl_print(&t);
	printf("received garbage %s, replayed %s, from unknown peers %s\n",
	       fs(data, "rx_garbage", buf, 10),
	       fs(data, "rx_replayed", buf + 10, 10),
	       fs(data, "rx_unknown_peer", buf + 20, 12));
}

static void print_ha(json_t *data)
{
	static const char *const h[] = { "PEER", "COPY", "EVER-COMPLETE",
					 NULL };
	char b[8][48];
	struct table t = {};
	json_t *o;
	size_t i;

	if (!json_is_true(json_object_get(data, "enabled"))) {
		printf("ha: not configured\n");
		return;
	}
	printf("following %s \"%s\"\n",
	       fs(data, "follow_type", b[0], 48),
	       fs(data, "follow", b[1], 48));
	printf("keepalived state %s (priority %s)%s, role %s%s\n",
	       fs(data, "keepalived_state", b[0], 48),
	       fs(data, "priority", b[1], 48),
	       json_is_true(json_object_get(data, "state_restored")) ?
		       " restored at start" : "",
	       fs(data, "role", b[2], 48),
	       json_is_true(json_object_get(data, "incumbent")) ?
		       " (incumbent)" : "");
	if (json_is_true(json_object_get(data, "took_over_boost")))
		printf("took over, a peer lost since: outranks an old master "
		       "until that peer has resynced\n");
	if (json_is_true(json_object_get(data, "ready")))
		printf("ready: yes\n");
	else if (json_is_integer(json_object_get(data, "wait_peer")))
		printf("ready: no (%s, peer %s)\n",
		       fs(data, "wait", b[0], 48),
		       fs(data, "wait_peer", b[1], 48));
	else
		printf("ready: no (%s)\n", fs(data, "wait", b[0], 48));
	printf("datapath %s, track %s written to %s%s\n",
	       fs(data, "datapath", b[0], 48),
	       fs(data, "track_written", b[1], 48),
	       fs(data, "track_file", b[2], 48),
	       json_is_true(json_object_get(data, "track_pending")) ?
		       " (a newer value is pending: write failed)" : "");
	printf("role changes %s, last change %s (%s ms ago, from %s)\n",
	       fs(data, "role_changes", b[0], 48),
	       fs(data, "last_change", b[1], 48),
	       fs(data, "last_change_ago_ms", b[2], 48),
	       fs(data, "last_change_from", b[3], 48));
	if (json_array_size(json_object_get(data, "peers"))) {
		tbl_header(&t, h);
		json_array_foreach(json_object_get(data, "peers"), i, o) {
			cell(&t, o, "id");
			cell(&t, o, "state");
			cell(&t, o, "ever_complete");
		}
		tbl_print(&t);
	}
	print_counters(json_object_get(data, "counters"), "COUNTER");
	if (json_is_true(json_object_get(json_object_get(data, "nudge"),
					 "enabled")))
		print_counters(json_object_get(data, "nudge"), "NUDGE");
	else
		printf("nudge off\n");
}

static void print_human(const char *cmd, json_t *data)
{
	char buf[32];

	if (!strcmp(cmd, "service.list"))
		print_services(data);
	else if (!strcmp(cmd, "backend.list"))
		print_backends(data);
	else if (!strcmp(cmd, "ct.list"))
		print_ct(data);
	else if (!strcmp(cmd, "ct.count"))
		printf("%s entries (max %s)\n",
		       fs(data, "entries", buf, sizeof(buf)),
		       fs(data, "max", buf + 16, 16));
	else if (!strcmp(cmd, "ct.flush"))
		printf("%s entries deleted\n",
		       fs(data, "deleted", buf, sizeof(buf)));
	else if (!strcmp(cmd, "stats")) {
		print_counters(json_object_get(data, "counters"), "COUNTER");
		printf("\n");
		print_counters(json_object_get(data, "drops"), "DROP");
		if (json_object_get(data, "ha")) {
			printf("\n");
			print_counters(json_object_get(data, "ha"), "HA");
		}
	} else if (!strcmp(cmd, "status"))
		print_status(data);
	else if (!strcmp(cmd, "sync.status"))
		print_sync(data);
	else if (!strcmp(cmd, "ha.status"))
		print_ha(data);
	else if (!strcmp(cmd, "config.save"))
		printf("saved %s services to %s\n",
		       fs(data, "services", buf, sizeof(buf)),
		       json_string_value(json_object_get(data, "file")));
	/* Other changes print nothing when they succeed. */
}

/* ---- main -------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *path = BATON_DEFAULT_CTL_PATH;
	bool json = false;
	json_t *req, *reply, *data;
	char *args[64];
	int nargs = 0, c, status;
	const char *cmd;

	/* Options may come first or anywhere among the words ("batonctl
	 * service list --json"); words never start with '-'. */
	while (optind < argc) {
		c = getopt_long(argc, argv, "+s:jh", opts, NULL);
		if (c == -1) {
			if (nargs == (int)(sizeof(args) / sizeof(args[0]))) {
				fprintf(stderr, "batonctl: too many "
					"arguments\n");
				return EXIT_USAGE;
			}
			args[nargs++] = argv[optind++];
			continue;
		}
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}

	req = build_request(nargs, args);
	if (!req) {
		fprintf(stderr, "batonctl: %s (batonctl --help for usage)\n",
			usage_err);
		return EXIT_USAGE;
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	reply = call(path, req);
	if (!reply) {
		json_decref(req);
		return EXIT_UNREACHABLE;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *e = json_string_value(json_object_get(reply,
								  "error"));

		fprintf(stderr, "batonctl: %s\n", e ? e : "refused");
		status = EXIT_REFUSED;
	} else {
		data = json_object_get(reply, "data");
		if (json) {
			char *s = json_dumps(data, JSON_COMPACT |
						   JSON_ENCODE_ANY);

			printf("%s\n", s ? s : "null");
			free(s);
		} else {
			print_human(cmd, data);
		}
		status = 0;
	}
	json_decref(reply);
	json_decref(req);
	return status;
}
