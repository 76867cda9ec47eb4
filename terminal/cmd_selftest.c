/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ykt selftest: open each configured device and check the store and the
 * clock, one PASS / FAIL / SKIP line per item with its reason.  Exit 1 when
 * a required item fails.
 *
 * While a validator runs it owns the reader and the PSAM slot: their items
 * come from its snapshot instead of being opened a second time.  The store
 * is opened read-only (integrity check, free space, writable directory):
 * a self-test never creates or migrates it.
 */
#include "cli.h"

#include "clock.h"
#include "config.h"
#include "loop.h"
#include "reader.h"
#include "runstate.h"
#include "store.h"
#include "ykt_config.h"
#include "ykt_error.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

enum result { PASS, FAIL, SKIP };

struct selftest {
	json_object *items;
	bool failed;
	const struct ykt_config *cfg;
	pid_t validator_pid;
	json_object *snapshot;
};

static const char *const result_names[] = { "pass", "fail", "skip" };

static void item(struct selftest *t, const char *name, bool required, enum result res,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void item(struct selftest *t, const char *name, bool required, enum result res,
		 const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "required", json_object_new_boolean(required));
	json_object_object_add(o, "result", json_object_new_string(result_names[res]));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	json_object_array_add(t->items, o);
	if (res == FAIL && required)
		t->failed = true;
}

static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void check_reader_snapshot(struct selftest *t)
{
	json_object *readers = field(t->snapshot, "readers");
	json_object *r = readers && json_object_array_length(readers)
			     ? json_object_array_get_idx(readers, 0)
			     : NULL;
	const char *state = r ? json_object_get_string(field(r, "state")) : "unknown";

	item(t, "reader", true, state && !strcmp(state, "running") ? PASS : FAIL,
	     "%s: %s (in use by the running validator, pid %ld)", t->cfg->reader_uri, state,
	     (long)t->validator_pid);
}

static void check_reader(struct selftest *t)
{
	struct ykt_reader_env env = { 0 };
	struct ykt_reader *reader = NULL;
	struct ykt_clock *clock = NULL;
	struct ykt_loop *loop = NULL;
	char err[512] = "";
	int r;

	if (t->validator_pid > 0) {
		check_reader_snapshot(t);
		return;
	}
	r = ykt_clock_new(t->cfg->clock_uri, &clock);
	if (r == 0)
		r = ykt_loop_new(NULL, NULL, &loop);
	if (r == 0) {
		env = (struct ykt_reader_env){ .loop = loop, .clock = clock };
		r = ykt_reader_open(t->cfg->reader_uri, &env, &reader, err, sizeof(err));
	}
	item(t, "reader", true, r == 0 ? PASS : FAIL, "%s: %s", t->cfg->reader_uri,
	     r == 0   ? "opened"
	     : err[0] ? err
		      : ykt_strerror(r));
	ykt_reader_free(reader);
	ykt_loop_free(loop);
	ykt_clock_free(clock);
}

static void check_psam(struct selftest *t)
{
	pid_t pid;
	json_object *slots = cli_psam_slots(t->cfg, &pid);
	size_t n = json_object_array_length(slots);

	if (n == 0)
		item(t, "psam", true, FAIL, "%s: no state published by the running validator",
		     t->cfg->sam_uri);
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(slots, i);
		const char *state = json_object_get_string(field(s, "state"));
		bool ready = state && !strcmp(state, "ready");

		item(t, "psam", true, ready ? PASS : FAIL, "%s: %s%s%s%s%s",
		     json_object_get_string(field(s, "uri")), state, ready ? ", terminal " : "",
		     ready ? json_object_get_string(field(s, "terminal_no")) : "",
		     field(s, "error") ? ": " : "",
		     field(s, "error") ? json_object_get_string(field(s, "error")) : "");
	}
	json_object_put(slots);
}

static int dir_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return snprintf(out, cap, ".") < 0 ? -EINVAL : 0;
	return snprintf(out, cap, "%.*s", slash == path ? 1 : (int)(slash - path), path) < 0
		   ? -EINVAL
		   : 0;
}

/* Room and write access where the database and its WAL live. */
static const char *store_room(const struct ykt_config *cfg, char *why, size_t n)
{
	char dir[PATH_MAX];
	struct statvfs vfs;
	uint64_t avail;

	dir_of(cfg->store_path, dir, sizeof(dir));
	if (access(dir, W_OK) < 0) {
		snprintf(why, n, "%.200s: not writable: %s", dir, strerror(errno));
		return why;
	}
	if (statvfs(dir, &vfs) < 0) {
		snprintf(why, n, "%.200s: %s", dir, strerror(errno));
		return why;
	}
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (avail < cfg->min_free_bytes) {
		snprintf(why, n, "%llu bytes free, %llu needed", (unsigned long long)avail,
			 (unsigned long long)cfg->min_free_bytes);
		return why;
	}
	return NULL;
}

static int64_t check_store(struct selftest *t)
{
	struct store_options so = { .busy_timeout_ms = 1000, .read_only = true };
	struct ykt_store *store = NULL;
	char err[512] = "", room[300];
	const char *no_room = store_room(t->cfg, room, sizeof(room));
	int64_t last = 0;
	int r;

	if (access(t->cfg->store_path, F_OK) < 0) {
		item(t, "store", true, no_room ? FAIL : PASS, "%s: absent; %s", t->cfg->store_path,
		     no_room ? no_room : "the validator creates it at start (directory writable)");
		return 0;
	}
	r = store_open(t->cfg->store_path, &so, &store, err, sizeof(err));
	if (r == 0)
		r = store_check_integrity(store, err, sizeof(err));
	if (r == 0)
		r = store_last_txn_time(store, &last);
	if (r == 0 && access(t->cfg->store_path, W_OK) < 0) {
		snprintf(err, sizeof(err), "file not writable: %s", strerror(errno));
		r = -EACCES;
	}
	store_close(store);
	if (r == YKT_E_STORE_SCHEMA && strstr(err, "older"))
		r = 0; /* the validator migrates it at start */
	item(t, "store", true, r == 0 && !no_room ? PASS : FAIL, "%s: %s", t->cfg->store_path,
	     r < 0     ? (err[0] ? err : ykt_strerror(r))
	     : no_room ? no_room
		       : "integrity ok, room to record");
	return last;
}

static void check_clock(struct selftest *t, int64_t last)
{
	struct ykt_clock *clock;
	int64_t now, floor = t->cfg->clock_floor_unix_s;
	char text[20];

	if (ykt_clock_new(t->cfg->clock_uri, &clock) < 0) {
		item(t, "clock", true, FAIL, "%s: cannot be read", t->cfg->clock_uri);
		return;
	}
	now = ykt_clock_now_s(clock);
	ykt_clock_free(clock);
	if (!floor && ykt_parse_cst_iso(YKT_BUILD_DATE_UTC, &floor) == 0)
		floor += 8 * 3600; /* the build date is UTC */
	cli_format_cst(now, text);
	if (now < floor)
		item(t, "clock", true, FAIL, "%s: %s is before the build date (or clock_floor)",
		     t->cfg->clock_uri, text);
	else if (last && now + t->cfg->clock_tolerance_s < last)
		item(t, "clock", true, FAIL, "%s: %s is earlier than the last record",
		     t->cfg->clock_uri, text);
	else
		item(t, "clock", true, PASS, "%s: %s", t->cfg->clock_uri, text);
}

static void check_state_dir(struct selftest *t)
{
	const char *dir = t->cfg->state_dir;

	if (!dir[0])
		item(t, "state", false, SKIP, "no state_dir: no status snapshot");
	else if (t->validator_pid > 0)
		item(t, "state", false, PASS, "%s: validator pid %ld publishes there", dir,
		     (long)t->validator_pid);
	else
		item(t, "state", false, access(dir, W_OK) == 0 || errno == ENOENT ? PASS : FAIL,
		     "%s: %s", dir, access(dir, W_OK) == 0 ? "writable" : strerror(errno));
}

static void print_text(const struct selftest *t)
{
	for (size_t i = 0; i < json_object_array_length(t->items); i++) {
		json_object *o = json_object_array_get_idx(t->items, i);
		const char *res = json_object_get_string(field(o, "result"));
		char upper[8];

		for (size_t k = 0; k < sizeof(upper) - 1; k++)
			upper[k] = (char)(res[k] >= 'a' && res[k] <= 'z' ? res[k] - 32 : res[k]);
		upper[4] = '\0';
		printf("%s %-8s %s%s\n", upper, json_object_get_string(field(o, "name")),
		       json_object_get_string(field(o, "detail")),
		       json_object_get_boolean(field(o, "required")) ? "" : " (optional)");
	}
	printf("%s\n", t->failed ? "selftest FAILED" : "selftest passed");
}

static int selftest_usage(FILE *out, int code)
{
	fprintf(out, "Usage: ykt selftest [-c FILE] [--json]\n"
		     "Exit 0 when every required item passes, 1 otherwise.\n");
	return code;
}

static void run_checks(struct selftest *t, const char *config_path)
{
	static struct ykt_config cfg;
	char err[512] = "";
	int64_t last;

	if (ykt_config_load(config_path, &cfg, err, sizeof(err)) < 0) {
		item(t, "config", true, FAIL, "%s", err);
		return;
	}
	t->cfg = &cfg;
	item(t, "config", true, PASS, "%s", config_path);
	if (cfg.state_dir[0]) {
		ykt_runstate_running(cfg.state_dir, &t->validator_pid);
		if (t->validator_pid > 0)
			ykt_runstate_read(cfg.state_dir, &t->snapshot);
	}
	check_reader(t);
	check_psam(t);
	last = check_store(t);
	check_clock(t, last);
	check_state_dir(t);
	/* no display driver exists in this build yet */
	item(t, "display", false, SKIP, "not configured");
}

int cmd_selftest(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_LONG,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common common = { .config_path = YKT_DEFAULT_CONFIG };
	struct selftest t = { .items = json_object_new_array() };
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, CLI_COMMON_SHORT "h", opts, NULL)) != -1) {
		if (cli_common_option(c, optarg, &common))
			continue;
		if (c == 'j')
			json = true;
		else
			return selftest_usage(c == 'h' ? stdout : stderr, c == 'h' ? 0 : CLI_USAGE);
	}
	if (optind < argc)
		return selftest_usage(stderr, CLI_USAGE);
	cli_apply_common(&common);
	run_checks(&t, common.config_path);
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "passed", json_object_new_boolean(!t.failed));
		json_object_object_add(o, "items", json_object_get(t.items));
		printf("%s\n", json_object_to_json_string_ext(
				   o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		print_text(&t);
	}
	json_object_put(t.items);
	json_object_put(t.snapshot);
	return t.failed ? CLI_FAILED : CLI_OK;
}
