// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* cfgsave.c - see cfgsave.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cfgsave.h"
#include "textio.h"

/* A YAML double-quoted scalar of n bytes (valid UTF-8, as parsed). */
static void sb_quoted(struct baton_text *b, const uint8_t *s, size_t n)
{
	baton_text_printf(b, "\"");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			baton_text_printf(b, "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] == 0x7f)
			baton_text_printf(b, "\\x%02x", s[i]);
		else
			baton_text_printf(b, "%c", s[i]);
	}
	baton_text_printf(b, "\"");
}

static const char *ip(uint32_t host, char *buf)
{
	struct in_addr a = { .s_addr = htonl(host) };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void render_health(struct baton_text *b, const struct baton_health_cfg *h)
{
	baton_text_printf(b, "    health:\n      type: %s\n",
		  baton_hc_type_str(h->type));
	if (h->port)
		baton_text_printf(b, "      port: %u\n", h->port);
	baton_text_printf(b, "      interval_ms: %u\n      timeout_ms: %u\n"
		  "      rise: %u\n      fall: %u\n      on_down: %s\n",
		  h->interval_ms, h->timeout_ms, h->rise, h->fall,
		  baton_hc_on_down_str(h->on_down));
	if (h->type == BATON_HC_HTTP) {
		baton_text_printf(b, "      path: ");
		sb_quoted(b, (const uint8_t *)h->path, strlen(h->path));
		if (h->host[0]) {
			baton_text_printf(b, "\n      host: ");
			sb_quoted(b, (const uint8_t *)h->host,
				  strlen(h->host));
		}
		baton_text_printf(b, "\n      status: %u-%u\n", h->status_min,
			  h->status_max);
	}
	if (h->send_len) {
		baton_text_printf(b, "      send: ");
		sb_quoted(b, h->send, h->send_len);
		baton_text_printf(b, "\n");
	}
	if (h->expect_len) {
		baton_text_printf(b, "      expect: ");
		sb_quoted(b, h->expect, h->expect_len);
		baton_text_printf(b, "\n");
	}
}

char *baton_config_render_services(const struct baton_config *cfg)
{
	struct baton_text b = {};
	char a[INET_ADDRSTRLEN];

	baton_text_printf(&b, "services:\n");
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct baton_service_cfg *s = &cfg->services[i];

		baton_text_printf(&b, "  - vip: %s\n", ip(s->vip, a));
		if (s->proto != IPPROTO_ICMP)
			baton_text_printf(&b, "    port: %u\n", s->port);
		baton_text_printf(&b, "    protocol: %s\n    mode: %s\n"
			  "    algorithm: %s\n", baton_proto_str(s->proto),
			  baton_mode_str(s->mode), baton_algo_str(s->algo));
		if (s->snat)
			baton_text_printf(&b, "    snat: %s\n", ip(s->snat, a));
		if (s->health.type != BATON_HC_NONE)
			render_health(&b, &s->health);
		baton_text_printf(&b, "    backends:%s\n", s->nbackends ? "" : " []");
		for (size_t j = 0; j < s->nbackends; j++) {
			const struct baton_backend_cfg *be = &s->backends[j];

			baton_text_printf(&b, "      - address: %s\n", ip(be->addr, a));
			if (s->proto != IPPROTO_ICMP)
				baton_text_printf(&b, "        port: %u\n", be->port);
			baton_text_printf(&b, "        weight: %u\n", be->weight);
		}
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

bool baton_config_services_equal(const struct baton_config *a,
				 const struct baton_config *b)
{
	if (a->nservices != b->nservices)
		return false;
	for (size_t i = 0; i < a->nservices; i++) {
		const struct baton_service_cfg *x = &a->services[i];
		const struct baton_service_cfg *y = &b->services[i];

		if (x->vip != y->vip || x->port != y->port ||
		    x->proto != y->proto || x->mode != y->mode ||
		    x->algo != y->algo || x->snat != y->snat ||
		    x->nbackends != y->nbackends ||
		    x->health.type != y->health.type ||
		    (x->health.type != BATON_HC_NONE &&
		     !baton_health_cfg_equal(&x->health, &y->health)))
			return false;
		for (size_t j = 0; j < x->nbackends; j++)
			if (x->backends[j].addr != y->backends[j].addr ||
			    x->backends[j].port != y->backends[j].port ||
			    x->backends[j].weight != y->backends[j].weight)
				return false;
	}
	return true;
}

/*
 * Where a value's text ends: a block collection's own end mark lies at the
 * next token (past any comment lines after it), so follow its last child
 * down to a scalar or a flow collection. An empty value ends after the
 * key's ':'.
 */
static size_t value_end(yaml_document_t *doc, yaml_node_t *v,
			const char *text, size_t len, size_t key_end)
{
	for (;;) {
		yaml_node_t *last = NULL;

		if (v->type == YAML_SEQUENCE_NODE &&
		    v->data.sequence.style == YAML_BLOCK_SEQUENCE_STYLE &&
		    v->data.sequence.items.top > v->data.sequence.items.start)
			last = yaml_document_get_node(doc,
				v->data.sequence.items.top[-1]);
		else if (v->type == YAML_MAPPING_NODE &&
			 v->data.mapping.style == YAML_BLOCK_MAPPING_STYLE &&
			 v->data.mapping.pairs.top >
				 v->data.mapping.pairs.start) {
			yaml_node_pair_t *pr = v->data.mapping.pairs.top - 1;
			yaml_node_t *k = yaml_document_get_node(doc, pr->key);

			last = yaml_document_get_node(doc, pr->value);
			if (k)
				key_end = k->end_mark.index;
		}
		if (!last)
			break;
		v = last;
	}
	if (v->type == YAML_SCALAR_NODE && !v->data.scalar.length &&
	    v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		while (key_end < len && text[key_end] != ':')
			key_end++;
		return key_end < len ? key_end + 1 : len;
	}
	return v->end_mark.index;
}

/* Where the top-level services: section lies: [*start, *end), or both at
 * len if there is none. 0, or -EINVAL with err. */
static int find_services(const char *name, const char *text, size_t len,
			 size_t *start, size_t *end, char *err, size_t errlen)
{
	yaml_parser_t yp;
	yaml_document_t doc;
	yaml_node_t *root;
	int ret = 0;

	*start = *end = len;
	if (!yaml_parser_initialize(&yp)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	if (!yaml_parser_load(&yp, &doc)) {
		snprintf(err, errlen, "%s:%zu: %s", name,
			 yp.problem_mark.line + 1,
			 yp.problem ? yp.problem : "not YAML");
		yaml_parser_delete(&yp);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && (root->type != YAML_MAPPING_NODE ||
		     root->data.mapping.style == YAML_FLOW_MAPPING_STYLE)) {
		snprintf(err, errlen, "%s: the top level is not a block "
			 "mapping; cannot rewrite its services: section",
			 name);
		ret = -EINVAL;
	}
	for (yaml_node_pair_t *pr = root && !ret ?
			root->data.mapping.pairs.start : NULL;
	     pr && pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(&doc, pr->value);

		if (!k || !v || k->type != YAML_SCALAR_NODE ||
		    strcmp((const char *)k->data.scalar.value, "services"))
			continue;
		*start = k->start_mark.index;
		*end = value_end(&doc, v, text, len, k->end_mark.index);
		if (k->start_mark.column) {
			snprintf(err, errlen, "%s:%zu: services: is indented; "
				 "cannot rewrite it", name,
				 k->start_mark.line + 1);
			ret = -EINVAL;
		}
		break;
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	return ret;
}

int baton_config_splice_services(const char *name, const char *text,
				 size_t len, const struct baton_config *cfg,
				 char **out, size_t *outlen, char *err,
				 size_t errlen)
{
	struct baton_config check;
	struct baton_text b = {};
	char *svc, perr[512];
	size_t start, end;
	int ret;

	*out = NULL;
	*outlen = 0;
	ret = find_services(name, text, len, &start, &end, err, errlen);
	if (ret)
		return ret;
	svc = baton_config_render_services(cfg);
	if (!svc) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* A section at the end of a line that goes on (a comment) keeps
	 * the rest of that line on a line of its own. */
	baton_text_printf(&b, "%.*s", (int)start, text);
	if (start && text[start - 1] != '\n')
		baton_text_printf(&b, "\n");
	baton_text_printf(&b, "%s", svc);
	if (end < len) {
		size_t rest = end;

		while (rest < len && (text[rest] == ' ' || text[rest] == '\t'))
			rest++;
		if (rest < len && text[rest] == '\n')
			rest++;
		else if (rest < len && text[rest] == '#')
			rest = end;
		baton_text_printf(&b, "%.*s", (int)(len - rest), text + rest);
	}
	free(svc);
	if (b.oom) {
		free(b.p);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* What is written must read back as what runs. */
	ret = baton_config_parse(name, b.p, b.len, &check, perr, sizeof(perr));
	if (!ret && !baton_config_services_equal(&check, cfg)) {
		snprintf(perr, sizeof(perr), "the services read back differ");
		ret = -EINVAL;
	}
	baton_config_free(&check);
	if (ret) {
		snprintf(err, errlen, "%s: the rewritten file would not load "
			 "as the running services (%s); not saved", name, perr);
		free(b.p);
		return -EINVAL;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}
