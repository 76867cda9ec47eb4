/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ykt — the validator's command.
 *
 *   ykt run [-c FILE] [-v]        the reader loop
 *   ykt records [-c FILE] [--unmasked]   list stored records
 *   ykt sync [-c FILE] [--daemon]  upload records, fetch parameters (uplink/)
 *   ykt config check FILE          validate a configuration
 *   ykt version
 */
#include "cardno.h"
#include "config.h"
#include "log.h"
#include "store.h"
#include "uplink.h"
#include "validator.h"
#include "ykt_config.h"
#include "ykt_error.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONFIG "/etc/ykt/ykt.conf"

struct cli {
	const char *config_path;
	int verbose;
	int unmasked;
	int realtime;
};

static int usage(FILE *out, int code)
{
	fprintf(out,
		"Usage: ykt COMMAND [OPTIONS]\n\n"
		"Commands:\n"
		"  run [-c FILE] [--realtime]       run the reader loop\n"
		"  records [-c FILE] [--unmasked]   list the stored records\n"
		"  sync [-c FILE] [--daemon]        upload records, fetch parameters\n"
		"  config check FILE                check a configuration file\n"
		"  version                          print the version\n\n"
		"Options:\n"
		"  -c, --config FILE   configuration (default " DEFAULT_CONFIG ")\n"
		"  -v, --verbose       more log detail (repeat for debug)\n"
		"      --unmasked      show full card numbers\n"
		"      --realtime      simulated card field and PSAM take as long as the link\n"
		"                      model says; each tap prints its time and the model's\n");
	return code;
}

static int parse_options(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' },
		{ "unmasked", no_argument, NULL, 'u' },	    { "realtime", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli->config_path = optarg;
			break;
		case 'v':
			cli->verbose++;
			break;
		case 'u':
			cli->unmasked = 1;
			break;
		case 'r':
			cli->realtime = 1;
			break;
		case 'h':
			exit(usage(stdout, 0));
		default:
			return -1;
		}
	}
	return 0;
}

static int load_config(const char *path, struct ykt_config *cfg)
{
	char err[512];
	int r = ykt_config_load(path, cfg, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "ykt: %s\n", err);
	return r;
}

static void report_tap(int n, const struct tap_result *res, void *userdata)
{
	ykt_tap_print(stdout, n, res);
	fflush(stdout);
}

static int cmd_run(const struct cli *cli)
{
	struct ykt_config cfg;
	struct ykt_validator *v;
	char err[512];
	int r;

	if (load_config(cli->config_path, &cfg) < 0)
		return 2;
	cfg.realtime = cli->realtime;
	r = ykt_validator_new(&cfg, &v, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ykt: %s\n", err);
		return 1;
	}
	r = ykt_validator_run(v, report_tap, NULL);
	ykt_validator_free(v);
	if (r < 0)
		fprintf(stderr, "ykt: %s\n", ykt_strerror(r));
	return r < 0 ? 1 : 0;
}

static const char *state_name(int state)
{
	static const char *const names[] = { "intent", "complete", "grey", "void" };

	return state >= 0 && state < 4 ? names[state] : "?";
}

static int print_record(const struct ykt_purchase_record *rec, void *userdata)
{
	const struct cli *cli = userdata;
	char masked[YKT_CARDNO_LEN + 1];
	char tac[9] = "-";

	ykt_cardno_mask(rec->card_serial, cli->unmasked, masked);
	if (rec->has_tac)
		snprintf(tac, sizeof(tac), "%02X%02X%02X%02X", rec->tac[0], rec->tac[1],
			 rec->tac[2], rec->tac[3]);
	printf("%6lld %-8s %s %s atc=%-5u type=%02X amount=%lld.%02lld psam=%s/%08X tac=%s%s\n",
	       (long long)rec->record_no, state_name(rec->state), rec->txn_time, masked,
	       rec->init_atc, rec->trans_type, (long long)(rec->amount_fen / 100),
	       (long long)(rec->amount_fen % 100), rec->psam_terminal_no, rec->psam_serial, tac,
	       rec->flags & STORE_FLAG_MAC2_FAILED ? " MAC2-FAILED" : "");
	return 0;
}

static int cmd_records(const struct cli *cli)
{
	struct store_options so = { 0 };
	struct ykt_config cfg;
	struct ykt_store *store;
	struct store_counts counts;
	char err[512] = "";
	int r;

	if (load_config(cli->config_path, &cfg) < 0)
		return 2;
	so.busy_timeout_ms = cfg.busy_timeout_ms;
	r = store_open(cfg.store_path, &so, &store, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ykt: %s: %s\n", cfg.store_path, err[0] ? err : ykt_strerror(r));
		return 1;
	}
	r = store_purchase_foreach(store, print_record, (void *)cli);
	if (r == 0)
		r = store_count(store, &counts);
	if (r == 0)
		printf(
		    "%lld records: %lld complete, %lld grey, %lld intent, %lld awaiting upload\n",
		    (long long)counts.total, (long long)counts.complete, (long long)counts.grey,
		    (long long)counts.intent, (long long)counts.pending_upload);
	store_close(store);
	return r < 0 ? 1 : 0;
}

static int cmd_config(int argc, char **argv)
{
	struct ykt_config cfg;

	if (argc != 3 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "Usage: ykt config check FILE\n");
		return 2;
	}
	if (load_config(argv[2], &cfg) < 0)
		return 1;
	printf("%s: OK (device %s, reader %s, sam %s)\n", argv[2], cfg.device_id, cfg.reader_uri,
	       cfg.sam_uri);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { .config_path = DEFAULT_CONFIG };
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		return usage(stderr, 2);
	if (strcmp(cmd, "config") == 0)
		return cmd_config(argc - 1, argv + 1);
	if (strcmp(cmd, "sync") == 0)
		return ykt_sync_main(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("ykt %s%s\n", YKT_VERSION, YKT_WITH_SIM ? " (with simulator)" : "");
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0)
		return usage(stdout, 0);
	if (parse_options(argc - 1, argv + 1, &cli) < 0)
		return usage(stderr, 2);
	ykt_log_set_level(cli.verbose >= 2 ? YKT_LOG_DEBUG
			  : cli.verbose	   ? YKT_LOG_INFO
					   : YKT_LOG_WARN);
	ykt_log_set_unmasked(cli.unmasked);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(&cli);
	if (strcmp(cmd, "records") == 0)
		return cmd_records(&cli);
	fprintf(stderr, "ykt: unknown command '%s'\n", cmd);
	return usage(stderr, 2);
}
