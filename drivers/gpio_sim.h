/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a sim: output driver saw, for tests of the feedback patterns. */
#ifndef YKT_GPIO_SIM_H
#define YKT_GPIO_SIM_H

#include <stddef.h>
#include <stdint.h>

struct ykt_gpio;

struct ykt_gpio_sim_event {
	int64_t t_ms; /* the env clock's time (Unix ms), or ms since open without one */
	int line;     /* as returned by ykt_gpio_request() */
	int value;    /* logical: 1 active */
};

/* Copy the first events (at most cap) into out. Returns how many changes
 * were recorded in all (may exceed cap and the kept maximum of 4096), or
 * -EINVAL when g is not a sim: driver. Thread-safe against ykt_gpio_set(). */
int ykt_gpio_sim_timeline(struct ykt_gpio *g, struct ykt_gpio_sim_event *out, size_t cap);

/* Forget what was recorded so far. -EINVAL when g is not a sim: driver. */
int ykt_gpio_sim_clear(struct ykt_gpio *g);

#endif
