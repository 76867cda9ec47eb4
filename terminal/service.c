/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "service.h"

#include "log.h"
#include "loop.h"
#include "ykt_config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#if YKT_WITH_SYSTEMD
#include <systemd/sd-daemon.h>

static void watchdog_ping(struct ykt_loop *loop, void *userdata)
{
	sd_notify(0, "WATCHDOG=1");
}

int ykt_service_ready(struct ykt_loop *loop)
{
	uint64_t usec = 0;
	int r;

	sd_notify(0, "READY=1\nSTATUS=ready for taps");
	/* > 0 only when the manager set WATCHDOG_USEC for this very process */
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	r = ykt_loop_add_timer(loop, (int64_t)(usec / 2000 > 0 ? usec / 2000 : 1), watchdog_ping,
			       NULL);
	if (r < 0) {
		log_err("service", "cannot arm the watchdog timer: %d", r);
		return r;
	}
	log_info("service", "watchdog every %llu ms", (unsigned long long)(usec / 2000));
	return 0;
}

void ykt_service_status(const char *fmt, ...)
{
	char text[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* one line: a newline would start another assignment */
	for (char *p = text; *p; p++)
		if (*p == '\n')
			*p = ' ';
	sd_notifyf(0, "STATUS=%s", text);
}

void ykt_service_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}
#else
int ykt_service_ready(struct ykt_loop *loop)
{
	return 0;
}

void ykt_service_status(const char *fmt, ...)
{
}

void ykt_service_stopping(void)
{
}
#endif
