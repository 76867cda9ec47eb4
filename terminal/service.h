/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The validator as a systemd service (Type=notify): READY=1 once the
 * reader loop can take a tap, WATCHDOG=1 from the loop itself (so a hung
 * loop is restarted, not merely a hung process), STATUS= lines a crew sees
 * in `systemctl status`, STOPPING=1 on the way out.  Outside systemd
 * (no NOTIFY_SOCKET) every call is a no-op.
 */
#ifndef YKT_SERVICE_H
#define YKT_SERVICE_H

struct ykt_loop;

/* Tell the service manager the loop is ready and, when it asked for a
 * watchdog (WATCHDOG_USEC), ping it from a loop timer at half the period.
 * 0, or a negative errno when the timer could not be added. */
int ykt_service_ready(struct ykt_loop *loop);
void ykt_service_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ykt_service_stopping(void);

#endif
