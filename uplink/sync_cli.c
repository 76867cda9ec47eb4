/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `ykt sync`: the uplink as a command.
 *
 *   ykt sync [-c FILE] [-v]            one pass, for the depot: summary line, exit status
 *   ykt sync --daemon [-c FILE] [-v]   a pass every [uplink] interval_s until SIGTERM
 *   ykt sync --quarantine [-c FILE]    list the records the platform rejected
 *   ykt sync --release RECORD|all      an operator sends rejected records again
 *
 * Exit status of a pass (docs/uplink.md): 0 done; 1 local failure (store,
 * certificate files); 2 usage or configuration; 3 done, but the
 * platform rejected records (quarantined); 4 records remain (platform
 * unreachable, failing or busy; try later); 5 refused (a certificate not
 * trusted either way, 403, a protocol the platform does not speak); 6
 * records done, a parameter package failed.
 */
#include "config.h"
#include "log.h"
#include "store.h"
#include "uplink.h"
#include "ykt_error.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONFIG "/etc/ykt/ykt.conf"

enum sync_exit {
	EXIT_DONE = 0,
	EXIT_LOCAL = 1,
	EXIT_USAGE = 2,
	EXIT_REJECTED = 3,
	EXIT_REMAINING = 4,
	EXIT_REFUSED = 5,
	EXIT_PARAMS = 6,
};

struct sync_cli {
	const char *config_path;
	int verbose;
	bool daemon, quarantine;
	const char *release;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

static int usage(FILE *out, int code)
{
	fprintf(out, "Usage: ykt sync [-c FILE] [-v] [--daemon]\n"
		     "       ykt sync --quarantine [-c FILE]\n"
		     "       ykt sync --release RECORD|all [-c FILE]\n");
	return code;
}

static int parse(int argc, char **argv, struct sync_cli *cli)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "quarantine", no_argument, NULL, 'q' },
		{ "release", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		if (c == 'c')
			cli->config_path = optarg;
		else if (c == 'v')
			cli->verbose++;
		else if (c == 'd')
			cli->daemon = true;
		else if (c == 'q')
			cli->quarantine = true;
		else if (c == 'r')
			cli->release = optarg;
		else
			return c == 'h' ? 1 : -1;
	}
	if (optind != argc || (cli->daemon + cli->quarantine + (cli->release != NULL)) > 1)
		return -1;
	return 0;
}

static int open_store(const struct ykt_config *cfg, struct ykt_store **ret)
{
	/* lazy commits: an answer lost in a power cut is asked again, and the
	 * uplink never makes a tap wait for its fsync */
	struct store_options so = { .busy_timeout_ms = cfg->uplink.busy_timeout_ms,
				    .lazy_commits = true };
	char err[512] = "";
	int r = store_open(cfg->store_path, &so, ret, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "ykt sync: %s: %s\n", cfg->store_path,
			err[0] ? err : ykt_strerror(r));
	return r;
}

static int print_quarantined(const struct store_quarantined *q, void *userdata)
{
	int *n = userdata;

	printf("%6lld %-8s %s\n", (long long)q->record_no,
	       q->kind == STORE_ITEM_PURCHASE ? "purchase"
	       : q->kind == STORE_ITEM_QR     ? "qr"
					      : "event",
	       q->reason);
	(*n)++;
	return 0;
}

static int cmd_quarantine(struct ykt_store *store)
{
	int n = 0, r = store_quarantine_foreach(store, print_quarantined, &n);

	if (r == 0)
		printf("%d records quarantined\n", n);
	return r < 0 ? EXIT_LOCAL : EXIT_DONE;
}

static int cmd_release(struct ykt_store *store, const char *what)
{
	char *end;
	long long no = strcmp(what, "all") == 0 ? 0 : strtoll(what, &end, 10);
	size_t n = 0;
	int r;

	if (strcmp(what, "all") != 0 && (*what == '\0' || *end || no <= 0)) {
		fprintf(stderr, "ykt sync: --release wants a record number or 'all'\n");
		return EXIT_USAGE;
	}
	r = store_quarantine_release(store, no, &n);
	if (r < 0) {
		fprintf(stderr, "ykt sync: %s\n", ykt_strerror(r));
		return EXIT_LOCAL;
	}
	printf("%zu records released: they go with the next sync\n", n);
	return EXIT_DONE;
}

static int exit_status(int r, const struct uplink_summary *s)
{
	switch (s->stop) {
	case UPLINK_STOP_STORE:
		return EXIT_LOCAL;
	case UPLINK_STOP_REFUSED:
		return EXIT_REFUSED;
	case UPLINK_STOP_NONE:
		break;
	default:
		return EXIT_REMAINING;
	}
	if (r < 0)
		return EXIT_LOCAL;
	if (s->params_failed)
		return EXIT_PARAMS;
	return s->rejected ? EXIT_REJECTED : EXIT_DONE;
}

static void print_summary(const struct uplink_summary *s, void *userdata)
{
	char line[512];

	ykt_uplink_summary_format(s, line, sizeof(line));
	printf("ykt sync: %s\n", line);
	if (s->error[0])
		printf("ykt sync: %s: %s\n", s->stop ? "stopped" : "failed", s->error);
	fflush(stdout);
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* no SA_RESTART: a sleep between retries ends at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static int run(const struct sync_cli *cli, const struct ykt_config *cfg, struct ykt_store *store)
{
	struct uplink_summary s;
	struct ykt_uplink *u;
	char err[512] = "";
	int r = ykt_uplink_new(cfg, store, &u, err, sizeof(err));

	if (r < 0) {
		fprintf(stderr, "ykt sync: %s\n", err[0] ? err : ykt_strerror(r));
		return r == YKT_E_CONFIG ? EXIT_USAGE : EXIT_LOCAL;
	}
	catch_signals();
	ykt_uplink_set_stop_flag(u, &stop_requested);
	if (cli->daemon) {
		r = ykt_uplink_daemon(u, print_summary, NULL);
		ykt_uplink_free(u);
		return r < 0 ? EXIT_LOCAL : EXIT_DONE;
	}
	r = ykt_uplink_sync(u, &s);
	ykt_uplink_free(u);
	print_summary(&s, NULL);
	return exit_status(r, &s);
}

int ykt_sync_main(int argc, char **argv)
{
	struct sync_cli cli = { .config_path = DEFAULT_CONFIG };
	struct ykt_config *cfg;
	struct ykt_store *store;
	char err[512];
	int r = parse(argc, argv, &cli);

	if (r != 0)
		return usage(r > 0 ? stdout : stderr, r > 0 ? EXIT_DONE : EXIT_USAGE);
	ykt_log_set_level(cli.verbose >= 2 ? YKT_LOG_DEBUG
			  : cli.verbose	   ? YKT_LOG_INFO
					   : YKT_LOG_WARN);
	/* large (256 fare percentages, URIs): not on the stack */
	cfg = malloc(sizeof(*cfg));
	if (!cfg)
		return EXIT_LOCAL;
	r = ykt_config_load(cli.config_path, cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ykt sync: %s\n", err);
		free(cfg);
		return EXIT_USAGE;
	}
	if (open_store(cfg, &store) < 0) {
		free(cfg);
		return EXIT_LOCAL;
	}
	if (cli.quarantine)
		r = cmd_quarantine(store);
	else if (cli.release)
		r = cmd_release(store, cli.release);
	else
		r = run(&cli, cfg, store);
	store_close(store);
	free(cfg);
	return r;
}
