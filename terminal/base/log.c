/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static enum ykt_log_level log_level = YKT_LOG_WARN;
static bool log_unmasked;

void ykt_log_set_level(enum ykt_log_level level)
{
	log_level = level;
}

enum ykt_log_level ykt_log_get_level(void)
{
	return log_level;
}

void ykt_log_set_unmasked(bool unmasked)
{
	log_unmasked = unmasked;
}

bool ykt_log_unmasked(void)
{
	return log_unmasked;
}

void ykt_log(enum ykt_log_level level, const char *category, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[512];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one fputs per line so that threads never interleave inside a line */
	fprintf(stderr, "ykt[%s] %s: %s\n", category, names[level], line);
}
