/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Output lines (buzzer, LEDs, gate relay): an opaque handle over one driver
 * ops table, picked by URI scheme:
 *
 *   sim:          record every change in memory (tests, selftest dry runs)
 *   sim:PATH      ... and append each change to PATH ("t_ms name value")
 *   gpiod:        libgpiod 1.6 character-device lines (a later driver)
 *
 * A line has a product name ("buzzer") and a place: chip, offset on the
 * chip, and active level, the three things libgpiod 1.6 needs
 * (gpiod_chip_open_lookup(), gpiod_chip_get_line(), the ACTIVE_LOW request
 * flag). Values given here are logical: 1 = active (buzzer sounding, LED
 * lit, relay energised); the driver applies the active level.
 *
 * Lines are requested once at start-up; ykt_gpio_set() then comes from one
 * thread at a time (the feedback player). Driver-specific inspection (the
 * sim: timeline) is in gpio_sim.h.
 */
#ifndef YKT_GPIO_H
#define YKT_GPIO_H

#include <stdbool.h>
#include <stddef.h>

#define YKT_GPIO_MAX_LINES 8
#define YKT_GPIO_CHIP_MAX  32 /* "gpiochip0", a label, or /dev/gpiochipN */
#define YKT_GPIO_NAME_MAX  16

struct ykt_clock;
struct ykt_gpio;

/* Where a line is: "gpiochip0:17" or "gpiochip0:17:active-low". */
struct ykt_gpio_line_spec {
	char chip[YKT_GPIO_CHIP_MAX]; /* empty: the line is not fitted */
	unsigned offset;
	bool active_low;
};

struct ykt_gpio_env {
	struct ykt_clock *clock; /* sim: stamps its timeline with it; NULL: monotonic */
};

struct ykt_gpio_ops {
	const char *scheme;
	size_t priv_size; /* the core allocates this much private data */
	int (*open)(struct ykt_gpio *g, const char *args);
	void (*close)(struct ykt_gpio *g); /* leaves every requested line inactive */
	/* claim line number `line` (0..YKT_GPIO_MAX_LINES-1) as an output, inactive */
	int (*request)(struct ykt_gpio *g, int line, const struct ykt_gpio_line_spec *spec);
	/* drive it: value 0 inactive, 1 active */
	int (*set)(struct ykt_gpio *g, int line, int value);
};

/* Open by URI. -ENOENT: no driver for the scheme (message in errbuf). The
 * caller frees with ykt_gpio_free(). */
int ykt_gpio_open(const char *uri, const struct ykt_gpio_env *env, struct ykt_gpio **ret_gpio,
		  char *errbuf, size_t errbuf_len);
/* Releases every line, inactive. Accepts NULL. */
void ykt_gpio_free(struct ykt_gpio *g);

/* Claim an output line by product name; returns its line number (>= 0), or
 * -E2BIG when YKT_GPIO_MAX_LINES are taken, -EINVAL for an empty spec, or
 * the driver's error (the line stays unclaimed). */
int ykt_gpio_request(struct ykt_gpio *g, const char *name, const struct ykt_gpio_line_spec *spec);
/* Logical value; -EINVAL for a line never requested. Does not block beyond
 * one driver call (an ioctl for gpiod:). */
int ykt_gpio_set(struct ykt_gpio *g, int line, int value);
/* Last value set (0 after the request); -EINVAL for an unknown line. */
int ykt_gpio_get(const struct ykt_gpio *g, int line);
const char *ykt_gpio_line_name(const struct ykt_gpio *g, int line);
int ykt_gpio_line_count(const struct ykt_gpio *g);

/* Parse "CHIP:OFFSET[:active-low|:active-high]". -EINVAL when malformed. */
int ykt_gpio_line_parse(const char *text, struct ykt_gpio_line_spec *ret_spec);

/* true when a driver for the URI's scheme is built in */
int ykt_gpio_scheme_known(const char *uri);
/* "sim, gpiod" of this build, for messages */
const char *ykt_gpio_schemes(void);

/* for drivers */
void *ykt_gpio_priv(struct ykt_gpio *g);
const struct ykt_gpio_ops *ykt_gpio_ops_of(const struct ykt_gpio *g);
const struct ykt_gpio_env *ykt_gpio_env(const struct ykt_gpio *g);
void ykt_gpio_set_error(struct ykt_gpio *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
