/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wall clock as an interface, so tests and the simulated field control time.
 *
 *   system:                  the board's real-time clock (CLOCK_REALTIME)
 *   sim:2026-11-21T07:30:00  a clock that stands still at that China Standard
 *                            Time until ykt_clock_advance() moves it
 *   file:PATH                test-only (simulator builds): the Unix
 *                            milliseconds written in PATH by an emulator
 *                            in another process, read at every use
 *
 * The clock is read from the reader loop and from simulator threads; every
 * operation is thread-safe.
 */
#ifndef YKT_CLOCK_H
#define YKT_CLOCK_H

#include <stdint.h>

struct ykt_clock;

/* Open a clock by URI. The caller frees it with ykt_clock_free().
 * -ENOENT for an unknown scheme, -EINVAL for a malformed time. */
int ykt_clock_new(const char *uri, struct ykt_clock **ret_clock);
void ykt_clock_free(struct ykt_clock *clock);

/* Current time in milliseconds since the Unix epoch. */
int64_t ykt_clock_now_ms(struct ykt_clock *clock);

static inline int64_t ykt_clock_now_s(struct ykt_clock *clock)
{
	return ykt_clock_now_ms(clock) / 1000;
}

/* Move a controllable clock forward (or set it). -EOPNOTSUPP on the system
 * clock. */
int ykt_clock_advance(struct ykt_clock *clock, int64_t delta_ms);
int ykt_clock_set(struct ykt_clock *clock, int64_t unix_ms);

/* Monotonic time in nanoseconds, for measuring how long things take. */
int64_t ykt_monotonic_ns(void);

/* Sleep ns nanoseconds (simulators keeping real time), restarting after
 * signals. */
void ykt_sleep_ns(uint64_t ns);

/* Parse "YYYY-MM-DDThh:mm:ss" (China Standard Time) into Unix seconds.
 * -EINVAL when malformed or not a real date. */
int ykt_parse_cst_iso(const char *text, int64_t *ret_unix_s);

#endif
