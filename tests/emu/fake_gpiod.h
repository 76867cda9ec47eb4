/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test double of the libgpiod 1.6 API subset the gpiod: driver uses
 * (chip open by lookup, close, get line, request output with flags, set
 * value, release), linked into test programs in place of libgpiod: this
 * machine's kernel has no GPIO at all (no gpio-sim, no gpio-mockup).
 *
 * Chips come from $GPIOD_FAKE_CHIPS ("gpiochip0:32,gpiochip1:8": name and
 * line count; found by name, /dev path or number, as
 * gpiod_chip_open_lookup does). Its state is kept in files under
 * $GPIOD_FAKE_DIR, so a process it is linked into can be watched from
 * outside:
 *   CHIP/OFFSET.value       the level the pin shows, 0 or 1 (physical:
 *                           an active-low line lit reads 0)
 *   CHIP/OFFSET.requested   "CONSUMER active-low|active-high" while held
 *   log                     "CHIP OFFSET LEVEL" for every level driven, in order
 * It behaves like the kernel where the driver could tell: a line held twice
 * is EBUSY, an offset past the chip is EINVAL, setting a line not held is
 * EPERM, closing a chip releases its lines.
 */
#ifndef YKT_EMU_FAKE_GPIOD_H
#define YKT_EMU_FAKE_GPIOD_H

#include <stdbool.h>
#include <stddef.h>

/* the level a pin shows, 0 or 1; -1 when never driven or no such line */
int fake_gpiod_level(const char *chip, unsigned offset);
/* whether the line is held, and by whom */
bool fake_gpiod_requested(const char *chip, unsigned offset, char *consumer, size_t cap,
			  bool *ret_active_low);
/* While held, gpiod_line_set_value() blocks (a slow or stuck driver). */
void fake_gpiod_hold(bool hold);
/* How many callers are blocked in gpiod_line_set_value() now; waits (up to
 * timeout_ms) until at least `at_least` are. */
int fake_gpiod_wait_blocked(int at_least, int timeout_ms);

#endif
