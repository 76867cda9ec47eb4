/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ykt status: what this validator has and lacks, at a glance, for a
 * maintenance crew (text) or a fleet monitor (--json, docs/status.schema.json).
 *
 * Read-only and safe anywhere: no device is opened, the store is opened
 * read-only or not at all, nothing is created.  What only the running
 * validator knows (PSAM terminal numbers, reader state, last errors, why it
 * is out of service) comes from its snapshot in the state directory.
 * Exit 0 whenever the report was made, however much is missing.
 */
#include "cli.h"

#include "clock.h"
#include "config.h"
#include "params.h"
#include "runstate.h"
#include "store.h"
#include "ykt_config.h"
#include "ykt_error.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define STATUS_FORMAT 1

struct status {
	json_object *root, *missing;
	bool have_config;
	struct ykt_config cfg;
	json_object *snapshot; /* the validator's status.json, NULL if none */
	bool running;
	int64_t last_record_unix_s;
	json_object *param_sets; /* from the store's parameter index; NULL: unreadable */
};

static void missing(struct status *st, const char *text)
{
	json_object_array_add(st->missing, json_object_new_string(text));
}

static json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static json_object *snap_get(const struct status *st, const char *key)
{
	json_object *v = NULL;

	if (st->snapshot)
		json_object_object_get_ex(st->snapshot, key, &v);
	return v;
}

static void status_config(struct status *st, const char *path)
{
	json_object *o = json_object_new_object();
	char err[512] = "";

	st->have_config = ykt_config_load(path, &st->cfg, err, sizeof(err)) == 0;
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "loaded", json_object_new_boolean(st->have_config));
	json_object_object_add(o, "error", st->have_config ? NULL : json_object_new_string(err));
	json_object_object_add(st->root, "config", o);
	json_object_object_add(st->root, "device_id",
			       st->have_config ? json_object_new_string(st->cfg.device_id) : NULL);
	if (!st->have_config)
		missing(st, access(path, F_OK) == 0 ? "configuration (does not load)"
						    : "configuration file");
}

static const char *state_dir(const struct status *st)
{
	return st->have_config ? st->cfg.state_dir : YKT_DEFAULT_STATE_DIR;
}

static void status_validator(struct status *st)
{
	json_object *o = json_object_new_object();
	const char *dir = state_dir(st);
	pid_t pid = 0;
	int r;

	if (dir[0])
		ykt_runstate_running(dir, &pid);
	st->running = pid > 0;
	r = dir[0] ? ykt_runstate_read(dir, &st->snapshot) : -ENOENT;
	json_object_object_add(o, "running", json_object_new_boolean(st->running));
	json_object_object_add(o, "pid", st->running ? json_object_new_int((int)pid) : NULL);
	json_object_object_add(o, "state_dir", json_object_new_string(dir));
	json_object_object_add(o, "snapshot",
			       r == 0	      ? json_object_new_string("present")
			       : r == -ENOENT ? json_object_new_string("none")
					      : json_object_new_string(ykt_strerror(r)));
	json_object_object_add(o, "snapshot_unix_s",
			       json_object_get(snap_get(st, "updated_unix_s")));
	/* a stopped validator's last word is history, not its state now */
	json_object_object_add(o, "in_service",
			       st->running ? json_object_get(snap_get(st, "in_service")) : NULL);
	json_object_object_add(o, "out_of_service_reason",
			       st->running ? json_object_get(snap_get(st, "out_of_service_reason"))
					   : NULL);
	json_object_object_add(o, "maintenance",
			       st->running ? json_object_get(snap_get(st, "maintenance")) : NULL);
	json_object_object_add(o, "taps", json_object_get(snap_get(st, "taps")));
	json_object_object_add(st->root, "validator", o);
	if (!st->running)
		missing(st, "running validator");
}

/* Devices as the validator saw them, or else as configured (not opened). */
static void status_devices(struct status *st, const char *key, const char *uri)
{
	json_object *arr = json_object_new_array(), *seen = snap_get(st, key);
	size_t n = seen ? json_object_array_length(seen) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_get(json_object_array_get_idx(seen, i));

		json_object_object_add(
		    d, "source", json_object_new_string(st->running ? "validator" : "last-run"));
		json_object_array_add(arr, d);
	}
	if (n == 0 && st->have_config) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "uri", json_object_new_string(uri));
		json_object_object_add(d, "state", json_object_new_string("not-checked"));
		json_object_object_add(d, "source", json_object_new_string("config"));
		json_object_array_add(arr, d);
	}
	json_object_object_add(st->root, key, arr);
	if (json_object_array_length(arr) == 0)
		missing(st, strcmp(key, "psams") == 0 ? "PSAM (nothing configured or seen)"
						      : "reader (nothing configured or seen)");
}

static void file_facts(json_object *o, const char *path)
{
	char wal[PATH_MAX + 8], dir[PATH_MAX];
	struct statvfs vfs;
	struct stat sb;
	int64_t size = 0;
	const char *slash = strrchr(path, '/');

	if (stat(path, &sb) == 0)
		size = sb.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) == 0)
		size += sb.st_size;
	json_object_object_add(o, "size_bytes", json_object_new_int64(size));
	snprintf(dir, sizeof(dir), "%.*s",
		 !slash		 ? 1
		 : slash == path ? 1
				 : (int)(slash - path),
		 !slash ? "." : path);
	json_object_object_add(o, "free_bytes",
			       statvfs(dir, &vfs) == 0
				   ? json_object_new_int64((int64_t)vfs.f_bavail * vfs.f_frsize)
				   : NULL);
}

static json_object *store_counts_json(struct ykt_store *store, int64_t *ret_last)
{
	json_object *o = json_object_new_object();
	struct store_counts c;

	if (store_count(store, &c) < 0 || store_last_txn_time(store, ret_last) < 0) {
		json_object_put(o);
		return NULL;
	}
	json_object_object_add(o, "purchases", json_object_new_int64(c.total));
	json_object_object_add(o, "complete", json_object_new_int64(c.complete));
	json_object_object_add(o, "grey", json_object_new_int64(c.grey));
	json_object_object_add(o, "intent", json_object_new_int64(c.intent));
	json_object_object_add(o, "void",
			       json_object_new_int64(c.total - c.complete - c.grey - c.intent));
	json_object_object_add(o, "events", json_object_new_int64(c.events));
	json_object_object_add(o, "pending_upload",
			       json_object_new_int64(c.pending_upload + c.events_pending_upload));
	json_object_object_add(o, "pending_upload_purchases",
			       json_object_new_int64(c.pending_upload));
	json_object_object_add(o, "pending_upload_events",
			       json_object_new_int64(c.events_pending_upload));
	return o;
}

static int param_set_json(const struct ykt_params_version *v, void *userdata)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(ykt_param_set_name(v->set)));
	json_object_object_add(o, "version", json_object_new_int64(v->version));
	json_object_object_add(o, "effective_unix_s", json_object_new_int64(v->effective_unix_s));
	json_object_object_add(o, "state",
			       json_object_new_string(v->active ? "in-force" : "pending"));
	json_object_object_add(o, "entries", json_object_new_int64((int64_t)v->entries));
	json_object_array_add(userdata, o);
	return 0;
}

/* Versions in force and pending, from the store's index: read-only, at
 * the configured clock's time (the system clock when it cannot be read). */
static void status_param_sets(struct status *st, struct ykt_store *store)
{
	struct ykt_clock *clock = NULL;
	int64_t now = time(NULL);
	json_object *sets = json_object_new_array();

	if (ykt_clock_new(st->cfg.clock_uri, &clock) == 0)
		now = ykt_clock_now_s(clock);
	ykt_clock_free(clock);
	if (ykt_params_list_index(store, now, param_set_json, sets) < 0) {
		json_object_put(sets);
		return;
	}
	st->param_sets = sets;
}

static void status_store(struct status *st)
{
	json_object *o = json_object_new_object(), *counts = NULL;
	struct store_options so = { .busy_timeout_ms = 200, .read_only = true };
	struct ykt_store *store = NULL;
	char err[512] = "";
	const char *path = st->have_config ? st->cfg.store_path : NULL;
	bool present = path && access(path, F_OK) == 0;
	int r = -ENOENT;

	json_object_object_add(o, "path", str_or_null(path));
	json_object_object_add(o, "present", json_object_new_boolean(present));
	json_object_object_add(o, "schema_expected", json_object_new_int(store_schema_version()));
	if (present) {
		r = store_open(path, &so, &store, err, sizeof(err));
		file_facts(o, path);
	}
	if (r == 0)
		counts = store_counts_json(store, &st->last_record_unix_s);
	if (counts)
		status_param_sets(st, store);
	json_object_object_add(o, "readable", json_object_new_boolean(counts != NULL));
	json_object_object_add(
	    o, "error",
	    present && !counts ? json_object_new_string(err[0] ? err : ykt_strerror(r)) : NULL);
	json_object_object_add(o, "schema",
			       counts ? json_object_new_int(store_schema_version()) : NULL);
	json_object_object_add(o, "records", counts);
	store_close(store);
	json_object_object_add(st->root, "store", o);
	if (!present)
		missing(st, path ? "record store (the validator creates it at start)"
				 : "record store (no configuration names one)");
	else if (!counts)
		missing(st, "readable record store");
}

/* Parameter sets (blacklist, whitelist, fares, card-type rules): each
 * entry {"name", "version", "effective_unix_s"} once the parameter store
 * exists; until then the section says so. */
static void status_parameters(struct status *st)
{
	json_object *o = json_object_new_object();
	size_t n = st->param_sets ? json_object_array_length(st->param_sets) : 0;
	char note[256] = "";

	json_object_object_add(o, "installed", json_object_new_boolean(n > 0));
	json_object_object_add(o, "sets",
			       st->param_sets ? st->param_sets : json_object_new_array());
	st->param_sets = NULL;
	for (size_t i = 0; i < n && strlen(note) < sizeof(note) - 64; i++) {
		json_object *e = json_object_array_get_idx(json_object_object_get(o, "sets"), i);
		size_t used = strlen(note);

		snprintf(note + used, sizeof(note) - used, "%s%s v%lld%s", i ? ", " : "",
			 json_object_get_string(json_object_object_get(e, "name")),
			 (long long)json_object_get_int64(json_object_object_get(e, "version")),
			 strcmp(json_object_get_string(json_object_object_get(e, "state")),
				"pending") == 0
			     ? " (pending)"
			     : "");
	}
	json_object_object_add(o, "note", json_object_new_string(n ? note : "not installed"));
	json_object_object_add(st->root, "parameters", o);
	if (!n)
		missing(st, "parameters (not installed)");
}

static json_object *time_json(int64_t unix_s)
{
	char text[20];

	cli_format_cst(unix_s, text);
	return json_object_new_string(text);
}

static int64_t clock_floor(const struct status *st)
{
	int64_t floor = 0;

	if (st->have_config && st->cfg.clock_floor_unix_s)
		return st->cfg.clock_floor_unix_s;
	if (ykt_parse_cst_iso(YKT_BUILD_DATE_UTC, &floor) == 0)
		floor += 8 * 3600; /* the build date is UTC */
	return floor;
}

/* The same test as a tap's: not before the build date (or clock_floor), not
 * before the last record beyond the tolerance. */
static void status_clock(struct status *st)
{
	const char *uri = st->have_config ? st->cfg.clock_uri : "system:";
	int tolerance = st->have_config ? st->cfg.clock_tolerance_s : 300;
	json_object *o = json_object_new_object();
	struct ykt_clock *clock = NULL;
	int64_t now, floor = clock_floor(st);
	const char *why = NULL;

	json_object_object_add(o, "source", json_object_new_string(uri));
	if (ykt_clock_new(uri, &clock) < 0) {
		json_object_object_add(o, "valid", json_object_new_boolean(false));
		json_object_object_add(o, "reason", json_object_new_string("clock cannot be read"));
		json_object_object_add(st->root, "clock", o);
		return;
	}
	now = ykt_clock_now_s(clock);
	ykt_clock_free(clock);
	if (now < floor)
		why = "before the build date (or clock_floor)";
	else if (st->last_record_unix_s && now + tolerance < st->last_record_unix_s)
		why = "earlier than the last record";
	json_object_object_add(o, "now", time_json(now));
	json_object_object_add(o, "now_unix_s", json_object_new_int64(now));
	json_object_object_add(o, "valid", json_object_new_boolean(!why));
	json_object_object_add(o, "reason", str_or_null(why));
	json_object_object_add(o, "floor", time_json(floor));
	json_object_object_add(o, "last_record",
			       st->last_record_unix_s ? time_json(st->last_record_unix_s) : NULL);
	json_object_object_add(st->root, "clock", o);
}

static void status_build(struct status *st, const char *config_path)
{
	json_object_object_add(st->root, "format", json_object_new_int(STATUS_FORMAT));
	json_object_object_add(st->root, "ykt_version", json_object_new_string(YKT_VERSION));
	status_config(st, config_path);
	status_validator(st);
	status_devices(st, "psams", st->have_config ? st->cfg.sam_uri : "");
	status_devices(st, "readers", st->have_config ? st->cfg.reader_uri : "");
	status_store(st);
	status_parameters(st);
	status_clock(st);
	json_object_object_add(st->root, "last_errors",
			       snap_get(st, "last_errors")
				   ? json_object_get(snap_get(st, "last_errors"))
				   : json_object_new_array());
	json_object_object_add(st->root, "missing", json_object_get(st->missing));
}

/* ---- text ---- */

static const char *text_of(json_object *o, const char *key, const char *dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return dflt;
	return json_object_get_string(v);
}

static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void print_validator(json_object *r)
{
	json_object *v = field(r, "validator"), *taps = field(v, "taps");

	printf("device     %s   (config %s%s)\n", text_of(r, "device_id", "-"),
	       text_of(field(r, "config"), "path", "?"),
	       json_object_get_boolean(field(field(r, "config"), "loaded")) ? "" : ": not loaded");
	if (!json_object_get_boolean(field(v, "running")))
		printf("validator  not running (state dir %s)\n", text_of(v, "state_dir", "?"));
	else if (json_object_get_boolean(field(v, "in_service")))
		printf("validator  running, pid %s, IN SERVICE\n", text_of(v, "pid", "?"));
	else
		printf("validator  running, pid %s, OUT OF SERVICE: %s\n", text_of(v, "pid", "?"),
		       text_of(v, "out_of_service_reason", "?"));
	if (taps)
		printf("taps       %s since start (last: %s)\n", text_of(taps, "total", "0"),
		       text_of(field(taps, "last"), "outcome", "-"));
}

static void print_devices(json_object *r, const char *key, const char *label)
{
	json_object *arr = field(r, key);
	size_t n = arr ? json_object_array_length(arr) : 0;

	if (n == 0)
		printf("%-10s none configured\n", label);
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(arr, i);

		printf("%-10s %s  %s", label, text_of(d, "state", "?"), text_of(d, "uri", "?"));
		if (field(d, "terminal_no"))
			printf("  terminal %s", text_of(d, "terminal_no", ""));
		printf("  (%s)\n", text_of(d, "source", "?"));
	}
}

static void print_store(json_object *r)
{
	json_object *s = field(r, "store"), *c = field(s, "records");

	if (!json_object_get_boolean(field(s, "present"))) {
		printf("store      missing %s\n", text_of(s, "path", "(not configured)"));
		return;
	}
	printf("store      %s  %s bytes, %s bytes free\n", text_of(s, "path", "?"),
	       text_of(s, "size_bytes", "?"), text_of(s, "free_bytes", "?"));
	if (!c) {
		printf("           not readable: %s\n", text_of(s, "error", "?"));
		return;
	}
	printf("           schema %s; %s purchases (%s complete, %s grey, %s void), %s events\n",
	       text_of(s, "schema", "?"), text_of(c, "purchases", "0"), text_of(c, "complete", "0"),
	       text_of(c, "grey", "0"), text_of(c, "void", "0"), text_of(c, "events", "0"));
	printf("           backlog: %s records awaiting upload\n",
	       text_of(c, "pending_upload", "0"));
}

static void print_rest(json_object *r)
{
	json_object *c = field(r, "clock"), *errs = field(r, "last_errors"),
		    *m = field(r, "missing");

	printf("parameters %s\n", text_of(field(r, "parameters"), "note", "?"));
	printf("clock      %s  %s  %s%s%s\n", text_of(c, "source", "?"), text_of(c, "now", "?"),
	       json_object_get_boolean(field(c, "valid")) ? "valid" : "NOT VALID",
	       field(c, "reason") ? ": " : "", text_of(c, "reason", ""));
	for (size_t i = 0; errs && i < json_object_array_length(errs); i++)
		printf("error      %s\n", text_of(json_object_array_get_idx(errs, i), "text", "?"));
	for (size_t i = 0; m && i < json_object_array_length(m); i++)
		printf("missing    %s\n", json_object_get_string(json_object_array_get_idx(m, i)));
}

static int status_usage(FILE *out, int code)
{
	fprintf(out, "Usage: ykt status [-c FILE] [--json]\n"
		     "Reads only: opens no device, never creates or migrates the store.\n");
	return code;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common common = { .config_path = YKT_DEFAULT_CONFIG };
	struct status st = { .root = json_object_new_object(), .missing = json_object_new_array() };
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "h", opts, NULL)) != -1) {
		if (cli_common_option(c, optarg, &common))
			continue;
		if (c == 'j')
			json = true;
		else
			return status_usage(c == 'h' ? stdout : stderr, c == 'h' ? 0 : CLI_USAGE);
	}
	if (optind < argc)
		return status_usage(stderr, CLI_USAGE);
	cli_apply_common(&common);
	status_build(&st, common.config_path);
	if (json) {
		printf("%s\n",
		       json_object_to_json_string_ext(st.root, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		print_validator(st.root);
		print_devices(st.root, "psams", "psam");
		print_devices(st.root, "readers", "reader");
		print_store(st.root);
		print_rest(st.root);
	}
	json_object_put(st.root);
	json_object_put(st.missing);
	json_object_put(st.snapshot);
	return CLI_OK;
}
