/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The operator commands of `ykt` (docs/commands.md), one file each, and
 * what they share: options, the configuration, opening the store, times
 * and amounts as operators read them.
 *
 * Exit codes, for every command: 0 done, 1 what was asked failed (or, for
 * selftest, a required check failed), 2 usage or configuration error.
 */
#ifndef YKT_CLI_H
#define YKT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct json_object;
struct ykt_config;
struct ykt_store;

#define YKT_DEFAULT_CONFIG "/etc/ykt/ykt.conf"

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

/* A command: argv[0] is its name, options follow. Returns the exit code. */
typedef int (*cli_command_fn)(int argc, char **argv);

int cmd_status(int argc, char **argv);
int cmd_records(int argc, char **argv);
int cmd_shift(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_psam(int argc, char **argv);

/* Options every command takes: -c FILE, -v, --unmasked. */
struct cli_common {
	const char *config_path;
	int verbose;
	bool unmasked;
};

#define CLI_COMMON_SHORT "c:v"
/* the long options for struct option tables; 'c', 'v', 'u' */
#define CLI_COMMON_LONG                                                                            \
	{ "config", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' },         \
	{                                                                                          \
		"unmasked", no_argument, NULL, 'u'                                                 \
	}

/* Handle one getopt result if it is a common option: true when it was. */
bool cli_common_option(int c, const char *arg, struct cli_common *common);
/* Logging level and card masking from the common options. */
void cli_apply_common(const struct cli_common *common);

/* Load the configuration, printing the reason on failure ("ykt: ..."). */
int cli_load_config(const char *path, struct ykt_config *cfg);

/* Open the configured store, read-only (nothing created or migrated) or
 * for writing; prints the reason on failure.  A command's busy timeout is
 * longer than the reader loop's: it waits for a tap to finish. */
int cli_open_store(const struct ykt_config *cfg, bool read_only, struct ykt_store **ret);

/* "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ss", China Standard Time.  A bare
 * date means its first second, or with end_of_day its last. */
int cli_parse_time(const char *text, bool end_of_day, int64_t *ret_unix_s);
/* "YYYY-MM-DD hh:mm:ss" China Standard Time; out needs 20 bytes. */
void cli_format_cst(int64_t unix_s, char out[20]);
/* "12.30", "-0.50"; out needs 24 bytes. */
const char *cli_yuan(int64_t fen, char out[24]);

const char *cli_state_name(int state);	      /* enum store_record_state */
const char *cli_upload_state_name(int state); /* enum store_upload_state */
/* -1 when text names no state */
int cli_state_from_name(const char *text);
int cli_upload_state_from_name(const char *text);

/* The PSAM slots as a JSON array of {slot, uri, state, terminal_no,
 * serial[, error]}: from the running validator's snapshot when one runs
 * (ret_pid > 0; its slot is never opened then), else by opening the
 * configured slot and starting the PSAM.  Caller puts the array. */
struct json_object *cli_psam_slots(const struct ykt_config *cfg, pid_t *ret_pid);

/* fsync a file's directory, so that a new name survives a power cut or
 * the USB stick being pulled. */
int cli_fsync_dir_of(const char *path);

#endif
