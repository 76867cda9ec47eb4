/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "params_cli.h"

#include "bytes.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "params.h"
#include "store.h"
#include "ykt_error.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

struct params_cli {
	const char *config_path;
	const char *package; /* install */
	int verbose;
	struct ykt_config cfg;
	struct ykt_clock *clock;
	struct ykt_store *store;
	struct ykt_params *params;
};

static int params_usage(void)
{
	fprintf(stderr, "Usage: ykt params [-c FILE]\n"
			"       ykt params install PACKAGE [-c FILE]\n");
	return 2;
}

static int parse(int argc, char **argv, struct params_cli *c)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:v", opts, NULL)) != -1) {
		if (opt == 'c')
			c->config_path = optarg;
		else if (opt == 'v')
			c->verbose++;
		else
			return -1;
	}
	if (optind == argc)
		return 0;
	if (strcmp(argv[optind], "install") != 0 || argc - optind != 2)
		return -1;
	c->package = argv[optind + 1];
	return 0;
}

static int open_all(struct params_cli *c)
{
	struct store_options so = { .busy_timeout_ms = c->cfg.busy_timeout_ms };
	struct ykt_params_options po = { .dir = c->cfg.params_dir,
					 .public_key_path = c->cfg.params_public_key };
	char err[512] = "";
	int r = ykt_clock_new(c->cfg.clock_uri, &c->clock);

	if (r < 0) {
		fprintf(stderr, "ykt: clock %s: %s\n", c->cfg.clock_uri, ykt_strerror(r));
		return r;
	}
	r = store_open(c->cfg.store_path, &so, &c->store, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ykt: %s: %s\n", c->cfg.store_path, err[0] ? err : ykt_strerror(r));
		return r;
	}
	po.store = c->store;
	po.clock = c->clock;
	r = ykt_params_open(&po, &c->params, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "ykt: %s\n", err[0] ? err : ykt_strerror(r));
	return r;
}

static void cst_text(int64_t unix_s, char out[32])
{
	struct ykt_cst t;

	ykt_cst_from_unix(unix_s, &t);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day, t.hour, t.minute,
		 t.second);
}

static int cmd_install(struct params_cli *c)
{
	struct ykt_params_install_result res;
	char why[512] = "", when[32];
	int r = ykt_params_install(c->params, c->package, &res, why, sizeof(why));

	if (r < 0 && r != -EALREADY) {
		fprintf(stderr, "ykt: refused %s: %s\n", c->package,
			why[0] ? why : ykt_strerror(r));
		return 1;
	}
	cst_text(res.effective_unix_s, when);
	printf("%s %s version %u: %llu entries, %s%s\n",
	       r == -EALREADY ? "already installed:" : "installed", ykt_pkg_kind_name(res.kind),
	       res.version, (unsigned long long)res.entries,
	       res.pending ? "pending until " : "active", res.pending ? when : "");
	return 0;
}

struct listing {
	bool seen[YKT_PARAM__COUNT];
};

static int print_version(const struct ykt_params_version *v, void *userdata)
{
	struct listing *l = userdata;
	char when[32];

	l->seen[v->set] = true;
	cst_text(v->effective_unix_s, when);
	printf("%-16s %-8u %-8s %s  %-9llu %s", ykt_param_set_name(v->set), v->version,
	       v->active ? "active" : "pending", when, (unsigned long long)v->entries,
	       ykt_pkg_kind_name(v->kind));
	if (v->kind == YKT_PKG_BLACKLIST_DELTA)
		printf(" on %u", v->base_version);
	printf("\n");
	return 0;
}

static int cmd_list(struct params_cli *c)
{
	struct listing l = { { false } };
	int r;

	printf("%-16s %-8s %-8s %-19s  %-9s %s\n", "SET", "VERSION", "STATE", "EFFECTIVE (CST)",
	       "ENTRIES", "PACKAGE");
	r = ykt_params_list(c->params, print_version, &l);
	if (r < 0) {
		fprintf(stderr, "ykt: parameter index: %s\n", ykt_strerror(r));
		return 1;
	}
	for (int s = 0; s < YKT_PARAM__COUNT; s++)
		if (!l.seen[s])
			printf("%-16s %-8s %s\n", ykt_param_set_name((enum ykt_param_set)s), "-",
			       "none");
	return 0;
}

int ykt_params_command(int argc, char **argv, const char *default_config)
{
	struct params_cli c = { .config_path = default_config };
	char err[512];
	int r;

	if (parse(argc, argv, &c) < 0)
		return params_usage();
	ykt_log_set_level(c.verbose >= 2 ? YKT_LOG_DEBUG : c.verbose ? YKT_LOG_INFO : YKT_LOG_ERR);
	if (ykt_config_load(c.config_path, &c.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "ykt: %s\n", err);
		return 2;
	}
	if (!c.cfg.params_dir[0]) {
		fprintf(stderr, "ykt: %s: no [params] dir: parameter packages are not in use\n",
			c.config_path);
		return 2;
	}
	r = open_all(&c);
	if (r == 0)
		r = c.package ? cmd_install(&c) : cmd_list(&c);
	else
		r = 1;
	ykt_params_free(c.params);
	store_close(c.store);
	ykt_clock_free(c.clock);
	return r;
}
