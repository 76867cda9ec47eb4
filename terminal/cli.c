/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli.h"

#include "bytes.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "store.h"
#include "ykt_error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A command waits this long for the reader loop's short write
 * transactions; the reader loop itself never waits on a command longer
 * than its own busy timeout, since commands write one row at a time. */
#define CLI_BUSY_TIMEOUT_MS 2000

bool cli_common_option(int c, const char *arg, struct cli_common *common)
{
	switch (c) {
	case 'c':
		common->config_path = arg;
		return true;
	case 'v':
		common->verbose++;
		return true;
	case 'u':
		common->unmasked = true;
		return true;
	default:
		return false;
	}
}

void cli_apply_common(const struct cli_common *common)
{
	ykt_log_set_level(common->verbose >= 2 ? YKT_LOG_DEBUG
			  : common->verbose    ? YKT_LOG_INFO
					       : YKT_LOG_WARN);
	ykt_log_set_unmasked(common->unmasked);
}

int cli_load_config(const char *path, struct ykt_config *cfg)
{
	char err[512];
	int r = ykt_config_load(path, cfg, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "ykt: %s\n", err);
	return r;
}

int cli_open_store(const struct ykt_config *cfg, bool read_only, struct ykt_store **ret)
{
	struct store_options so = { .busy_timeout_ms = CLI_BUSY_TIMEOUT_MS,
				    .min_free_bytes = cfg->min_free_bytes,
				    .read_only = read_only };
	char err[512] = "";
	int r;

	r = store_open(cfg->store_path, &so, ret, err, sizeof(err));
	if (r < 0 && !err[0])
		snprintf(err, sizeof(err), "%s", ykt_strerror(r));
	if (r < 0)
		fprintf(stderr, "ykt: store %s: %s\n", cfg->store_path, err);
	return r;
}

int cli_parse_time(const char *text, bool end_of_day, int64_t *ret_unix_s)
{
	char full[24];

	if (strlen(text) == 10) {
		snprintf(full, sizeof(full), "%sT%s", text, end_of_day ? "23:59:59" : "00:00:00");
		return ykt_parse_cst_iso(full, ret_unix_s);
	}
	return ykt_parse_cst_iso(text, ret_unix_s);
}

void cli_format_cst(int64_t unix_s, char out[20])
{
	struct ykt_cst t;

	ykt_cst_from_unix(unix_s, &t);
	snprintf(out, 20, "%04u-%02u-%02u %02u:%02u:%02u", (unsigned)t.year % 10000u,
		 (unsigned)t.month % 100u, (unsigned)t.day % 100u, (unsigned)t.hour % 100u,
		 (unsigned)t.minute % 100u, (unsigned)t.second % 100u);
}

const char *cli_yuan(int64_t fen, char out[24])
{
	snprintf(out, 24, "%s%lld.%02lld", fen < 0 ? "-" : "", llabs(fen) / 100, llabs(fen) % 100);
	return out;
}

static const char *const state_names[] = { "intent", "complete", "grey", "void" };
static const char *const upload_names[] = { "pending", "accepted", "duplicate", "rejected" };

static const char *name_of(const char *const *names, int n, int v)
{
	return v >= 0 && v < n ? names[v] : "?";
}

static int from_name(const char *const *names, int n, const char *text)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], text) == 0)
			return i;
	return -1;
}

const char *cli_state_name(int state)
{
	return name_of(state_names, 4, state);
}

const char *cli_upload_state_name(int state)
{
	return name_of(upload_names, 4, state);
}

int cli_state_from_name(const char *text)
{
	return from_name(state_names, 4, text);
}

int cli_upload_state_from_name(const char *text)
{
	return from_name(upload_names, 4, text);
}

int cli_fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, r = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}
