/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ykt — the validator's command: the reader loop and the operator commands
 * (docs/commands.md).  Each command lives in its own file; this table is
 * the only place that lists them.
 */
#include "cli.h"
#include "params_cli.h"
#include "config.h"
#include "log.h"
#include "uplink.h"
#include "validator.h"
#include "ykt_config.h"
#include "ykt_error.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmd_run(int argc, char **argv);
static int cmd_config(int argc, char **argv);
static int cmd_version(int argc, char **argv);

struct ykt_command {
	const char *name;
	cli_command_fn run;
	const char *synopsis;
	const char *summary;
};

static int cmd_params(int argc, char **argv)
{
	return ykt_params_command(argc, argv, YKT_DEFAULT_CONFIG);
}

static const struct ykt_command commands[] = {
	{ "run", cmd_run, "[-c FILE] [--realtime]", "run the reader loop" },
	{ "status", cmd_status, "[-c FILE] [--json]", "what this validator has and lacks" },
	{ "records", cmd_records, "[-c FILE] [FILTERS] [--csv FILE]", "list or export records" },
	{ "shift", cmd_shift, "[start --driver ID | end | report]", "driver sign-on and off" },
	{ "selftest", cmd_selftest, "[-c FILE] [--json]", "check drivers, store, clock" },
	{ "psam", cmd_psam, "[-c FILE] [swap]", "PSAM slots; a guided swap" },
	{ "params", cmd_params, "[install PACKAGE] [-c FILE]", "parameter versions; install one" },
	{ "sync", ykt_sync_main, "[-c FILE] [--daemon]", "upload records, fetch parameters" },
	{ "config", cmd_config, "check FILE", "check a configuration file" },
	{ "version", cmd_version, "", "print the version" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static int usage(FILE *out, int code)
{
	fprintf(out, "Usage: ykt COMMAND [OPTIONS]\n\nCommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-9s %-34s %s\n", commands[i].name, commands[i].synopsis,
			commands[i].summary);
	fprintf(out, "\nCommon options:\n"
		     "  -c, --config FILE   configuration (default " YKT_DEFAULT_CONFIG ")\n"
		     "  -v, --verbose       more log detail (repeat for debug)\n"
		     "      --unmasked      show full card numbers\n"
		     "'ykt COMMAND --help' describes a command; docs/commands.md all of them.\n");
	return code;
}

static void report_tap(int n, const struct tap_result *res, void *userdata)
{
	ykt_tap_print(stdout, n, res);
	fflush(stdout);
}

static int run_usage(FILE *out, int code)
{
	fprintf(out, "Usage: ykt run [-c FILE] [-v] [--realtime]\n"
		     "  --realtime   simulated card field and PSAM take as long as the link\n"
		     "               model says; each tap prints its time and the model's\n");
	return code;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "realtime", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common common = { .config_path = YKT_DEFAULT_CONFIG };
	struct ykt_config cfg;
	struct ykt_validator *v;
	bool realtime = false;
	char err[512];
	int c, r;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "h", opts, NULL)) != -1) {
		if (cli_common_option(c, optarg, &common))
			continue;
		if (c == 'r')
			realtime = true;
		else
			return run_usage(c == 'h' ? stdout : stderr, c == 'h' ? 0 : CLI_USAGE);
	}
	cli_apply_common(&common);
	if (cli_load_config(common.config_path, &cfg) < 0)
		return CLI_USAGE;
	cfg.realtime = realtime;
	r = ykt_validator_new(&cfg, &v, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ykt: %s\n", err);
		return CLI_FAILED;
	}
	r = ykt_validator_run(v, report_tap, NULL);
	ykt_validator_free(v);
	if (r < 0)
		fprintf(stderr, "ykt: %s\n", ykt_strerror(r));
	return r < 0 ? CLI_FAILED : CLI_OK;
}

static int cmd_config(int argc, char **argv)
{
	struct ykt_config cfg;

	if (argc != 3 || strcmp(argv[1], "check") != 0) {
		fprintf(stderr, "Usage: ykt config check FILE\n");
		return CLI_USAGE;
	}
	if (cli_load_config(argv[2], &cfg) < 0)
		return CLI_FAILED;
	printf("%s: OK (device %s, reader %s, sam %s)\n", argv[2], cfg.device_id, cfg.reader_uri,
	       cfg.sam_uri);
	return CLI_OK;
}

static int cmd_version(int argc, char **argv)
{
	printf("ykt %s%s\n", YKT_VERSION, YKT_WITH_SIM ? " (with simulator)" : "");
	return CLI_OK;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd)
		return usage(stderr, CLI_USAGE);
	if (strcmp(cmd, "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
		return usage(stdout, CLI_OK);
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ykt: unknown command '%s'\n", cmd);
	return usage(stderr, CLI_USAGE);
}
