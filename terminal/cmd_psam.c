/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ykt psam: the PSAM slots, their terminal numbers and state; and a
 * guided swap.
 *
 * A running validator owns its slot (PC/SC readers are opened exclusively
 * and a PSAM answers one host at a time), so while it runs this command
 * reads the validator's snapshot and never opens the slot itself.  When no
 * validator runs (its lock in the state directory is free) it opens the
 * configured slot and starts the PSAM to read its numbers.
 *
 * ykt psam swap, validator running:
 *   1. writes an out-of-service request (control file) naming itself;
 *      the validator stops taking cards, releases the slot and says so
 *   2. asks the crew to swap the PSAM and press Enter
 *   3. asks for service again; the validator opens the slot, starts the
 *      new PSAM and reports its terminal number
 * If this command dies between 1 and 3 (Ctrl-C, a lost session), the
 * validator notices (it watches this process) and comes back by itself.
 */
#include "cli.h"

#include "bytes.h"
#include "config.h"
#include "psam.h"
#include "runstate.h"
#include "sam.h"
#include "ykt_error.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SWAP_ANSWER_TIMEOUT_MS 10000 /* the validator acknowledges within a tap or two */

struct psam_args {
	struct cli_common common;
	const char *action;
	bool json;
	int timeout_ms;
};

static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *text_of(json_object *o, const char *key)
{
	json_object *v = field(o, key);

	return v ? json_object_get_string(v) : "-";
}

/* Open the configured slot and start its PSAM: a JSON slot description. */
static json_object *probe_slot(const struct ykt_config *cfg)
{
	json_object *o = json_object_new_object();
	struct ykt_sam_env env = { 0 };
	struct ykt_sam *sam = NULL;
	struct ykt_psam *psam = NULL;
	char err[256] = "", hex[21];
	const char *uri = ykt_config_sam_uri(cfg, cfg->tunion_slot);
	int r = ykt_sam_open(uri, &env, &sam, err, sizeof(err));

	if (r == 0)
		r = psam_new(sam, PSAM_DF_MOT, &psam);
	if (r == 0)
		r = psam_start(psam);
	json_object_object_add(o, "slot", json_object_new_int(0));
	json_object_object_add(o, "uri", json_object_new_string(uri));
	json_object_object_add(o, "state",
			       json_object_new_string(r == 0 ? "ready"
						      : sam  ? "error"
							     : "absent"));
	if (r == 0) {
		ykt_hex_encode(psam_terminal_no(psam), 6, hex, sizeof(hex));
		json_object_object_add(o, "terminal_no", json_object_new_string(hex));
		ykt_hex_encode(psam_serial_no(psam), 10, hex, sizeof(hex));
		json_object_object_add(o, "serial", json_object_new_string(hex));
	} else {
		json_object_object_add(o, "error",
				       json_object_new_string(err[0] ? err : ykt_strerror(r)));
	}
	psam_free(psam);
	ykt_sam_free(sam);
	return o;
}

json_object *cli_psam_slots(const struct ykt_config *cfg, pid_t *ret_pid)
{
	json_object *snap = NULL, *arr;
	pid_t pid = 0;

	ykt_runstate_running(cfg->state_dir, &pid);
	*ret_pid = pid;
	if (pid > 0 && ykt_runstate_read(cfg->state_dir, &snap) == 0 && field(snap, "psams")) {
		arr = json_object_get(field(snap, "psams"));
		json_object_put(snap);
		return arr;
	}
	json_object_put(snap);
	if (pid > 0)
		return json_object_new_array(); /* running, no snapshot: never touch its slot */
	arr = json_object_new_array();
	json_object_array_add(arr, probe_slot(cfg));
	return arr;
}

static void print_slot(json_object *s)
{
	printf("slot %s  %-8s  terminal %s  serial %s  %s\n", text_of(s, "slot"),
	       text_of(s, "state"), text_of(s, "terminal_no"), text_of(s, "serial"),
	       text_of(s, "uri"));
	if (field(s, "error"))
		printf("        %s\n", text_of(s, "error"));
}

static int psam_list(const struct ykt_config *cfg, bool json)
{
	pid_t pid;
	json_object *arr = cli_psam_slots(cfg, &pid);
	size_t n = json_object_array_length(arr);
	bool ready = n > 0;

	for (size_t i = 0; i < n; i++)
		ready &= strcmp(text_of(json_object_array_get_idx(arr, i), "state"), "ready") == 0;
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(
				   arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		if (pid > 0)
			printf("(as seen by the running validator, pid %ld)\n", (long)pid);
		for (size_t i = 0; i < n; i++)
			print_slot(json_object_array_get_idx(arr, i));
		if (!n)
			printf("the running validator (pid %ld) has published no PSAM state\n",
			       (long)pid);
	}
	json_object_put(arr);
	return ready ? 0 : -ENODEV;
}

/* ---- the guided swap ---- */

static void wait_for_crew(const char *what)
{
	char line[64];

	printf("%s\nSwap the PSAM now, then press Enter.\n", what);
	fflush(stdout);
	/* Enter or end of input: either way the slot is opened again */
	if (!fgets(line, sizeof(line), stdin))
		clearerr(stdin);
}

static int ask(const struct ykt_config *cfg, bool out_of_service, const char *id, int timeout_ms,
	       json_object **ret)
{
	struct runstate_request req = { .out_of_service = out_of_service, .pid = getpid() };
	int r;

	snprintf(req.id, sizeof(req.id), "%s", id);
	if (out_of_service)
		snprintf(req.reason, sizeof(req.reason), "psam-swap");
	r = ykt_runstate_request(cfg->state_dir, &req);
	if (r == 0)
		r = ykt_runstate_wait_done(cfg->state_dir, id, timeout_ms, ret);
	if (r == -ETIMEDOUT)
		fprintf(stderr, "ykt psam swap: the validator did not answer within %d s\n",
			timeout_ms / 1000);
	else if (r == -ESRCH)
		fprintf(stderr, "ykt psam swap: the validator stopped\n");
	else if (r < 0)
		fprintf(stderr, "ykt psam swap: %s: %s\n", cfg->state_dir, ykt_strerror(r));
	return r;
}

static json_object *first_slot(json_object *snap)
{
	json_object *arr = field(snap, "psams");

	return arr && json_object_array_length(arr) ? json_object_array_get_idx(arr, 0) : NULL;
}

static int swap_running(const struct ykt_config *cfg, pid_t pid, int timeout_ms)
{
	json_object *before = NULL, *after = NULL;
	char id[32], id_back[RUNSTATE_ID_MAX + 1], what[200];
	bool ready;
	int r;

	snprintf(id, sizeof(id), "swap-%ld-%lld", (long)getpid(), (long long)time(NULL));
	snprintf(id_back, sizeof(id_back), "%s-back", id);
	r = ask(cfg, true, id, timeout_ms, &before);
	if (r < 0)
		return r;
	snprintf(what, sizeof(what),
		 "Validator (pid %ld) is OUT OF SERVICE and has released the PSAM slot.\n"
		 "PSAM in the slot until now: terminal %s",
		 (long)pid, text_of(first_slot(before), "terminal_no"));
	wait_for_crew(what);
	r = ask(cfg, false, id_back, timeout_ms, &after);
	if (r == 0) {
		ready = !strcmp(text_of(first_slot(after), "state"), "ready");
		printf("PSAM now: %s, terminal %s (was %s)\n", text_of(first_slot(after), "state"),
		       text_of(first_slot(after), "terminal_no"),
		       text_of(first_slot(before), "terminal_no"));
		if (json_object_get_boolean(field(after, "in_service")))
			printf("Validator back IN SERVICE.\n");
		else
			printf("Validator still OUT OF SERVICE: %s\n",
			       text_of(after, "out_of_service_reason"));
		r = ready ? 0 : -ENODEV;
	}
	json_object_put(before);
	json_object_put(after);
	return r;
}

static int swap_offline(const struct ykt_config *cfg)
{
	json_object *slot;
	int r;

	wait_for_crew("No validator is running: nothing to put out of service.");
	slot = probe_slot(cfg);
	print_slot(slot);
	r = strcmp(text_of(slot, "state"), "ready") == 0 ? 0 : -ENODEV;
	json_object_put(slot);
	return r;
}

static int psam_usage(FILE *out, int code)
{
	fprintf(out, "Usage: ykt psam [-c FILE] [--json]           slots, terminal numbers, state\n"
		     "       ykt psam swap [-c FILE] [--timeout S]  guided PSAM swap\n");
	return code;
}

static int parse_args(int argc, char **argv, struct psam_args *a)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "h", opts, NULL)) != -1) {
		if (cli_common_option(c, optarg, &a->common))
			continue;
		if (c == 'j') {
			a->json = true;
		} else if (c == 't') {
			v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 1 || v > 3600)
				return psam_usage(stderr, CLI_USAGE);
			a->timeout_ms = (int)v * 1000;
		} else {
			return psam_usage(c == 'h' ? stdout : stderr,
					  c == 'h' ? CLI_OK : CLI_USAGE);
		}
	}
	if (optind < argc)
		a->action = argv[optind++];
	if (optind < argc || (a->action && strcmp(a->action, "swap")))
		return psam_usage(stderr, CLI_USAGE);
	return 0;
}

int cmd_psam(int argc, char **argv)
{
	struct psam_args a = { .common = { .config_path = YKT_DEFAULT_CONFIG },
			       .timeout_ms = SWAP_ANSWER_TIMEOUT_MS };
	struct ykt_config cfg;
	pid_t pid = 0;
	int r = parse_args(argc, argv, &a);

	if (r)
		return r;
	cli_apply_common(&a.common);
	if (cli_load_config(a.common.config_path, &cfg) < 0)
		return CLI_USAGE;
	if (!a.action)
		return psam_list(&cfg, a.json) < 0 ? CLI_FAILED : CLI_OK;
	ykt_runstate_running(cfg.state_dir, &pid);
	r = pid > 0 ? swap_running(&cfg, pid, a.timeout_ms) : swap_offline(&cfg);
	return r < 0 ? CLI_FAILED : CLI_OK;
}
