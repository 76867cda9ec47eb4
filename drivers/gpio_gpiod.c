/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gpiod: outputs — buzzer, LEDs and gate relay on GPIO character-device
 * lines through libgpiod 1.6 (Debian 12's libgpiod2 package).
 *
 *   gpiod:                     consumer "ykt-validator"
 *   gpiod:consumer=NAME        the consumer label `gpioinfo` shows
 *
 * Each line of [outputs] ("gpiochip0:17:active-low") is requested once, as
 * an output driven inactive, with libgpiod's ACTIVE_LOW flag for an
 * active-low line: the values given here stay logical (1 = sounding, lit,
 * energised) and the kernel applies the level. Chips are opened by name,
 * number, label or path (gpiod_chip_open_lookup) and shared between their
 * lines. Setting a line is one ioctl; the feedback player (ui/feedback.c)
 * does it from its own thread, so a pattern never holds up a tap. At close
 * every line is left inactive, then released.
 *
 * libgpiod 2.x has another API (no line objects, request configs); this
 * file is built only against 1.6 (meson: libgpiod < 2).
 */
#include "gpio.h"

#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <string.h>

#define GPIOD_CONSUMER_MAX 32

struct gpiod_chip_slot {
	char name[YKT_GPIO_CHIP_MAX];
	struct gpiod_chip *chip;
};

struct gpiod_outputs {
	char consumer[GPIOD_CONSUMER_MAX];
	struct gpiod_chip_slot chips[YKT_GPIO_MAX_LINES];
	size_t n_chips;
	struct gpiod_line *lines[YKT_GPIO_MAX_LINES];
};

static int gpiod_out_open(struct ykt_gpio *g, const char *args)
{
	struct gpiod_outputs *o = ykt_gpio_priv(g);
	const char *name = "ykt-validator";

	if (strncmp(args, "consumer=", 9) == 0)
		name = args + 9;
	else if (args[0]) {
		ykt_gpio_set_error(g, "gpiod: option '%s': expected consumer=NAME", args);
		return -EINVAL;
	}
	if (!name[0] || strlen(name) >= sizeof(o->consumer)) {
		ykt_gpio_set_error(g, "gpiod: the consumer name must be 1 to %d characters",
				   GPIOD_CONSUMER_MAX - 1);
		return -EINVAL;
	}
	snprintf(o->consumer, sizeof(o->consumer), "%s", name);
	return 0;
}

static void gpiod_out_close(struct ykt_gpio *g)
{
	struct gpiod_outputs *o = ykt_gpio_priv(g);

	for (size_t i = 0; i < YKT_GPIO_MAX_LINES; i++) {
		if (!o->lines[i])
			continue;
		gpiod_line_set_value(o->lines[i], 0); /* silent, dark, gate closed */
		gpiod_line_release(o->lines[i]);
		o->lines[i] = NULL;
	}
	for (size_t i = 0; i < o->n_chips; i++)
		gpiod_chip_close(o->chips[i].chip);
	o->n_chips = 0;
}

/* The chip of that name, opened on first use. NULL with errno. */
static struct gpiod_chip *gpiod_out_chip(struct gpiod_outputs *o, const char *name)
{
	struct gpiod_chip *chip;

	for (size_t i = 0; i < o->n_chips; i++)
		if (strcmp(o->chips[i].name, name) == 0)
			return o->chips[i].chip;
	if (o->n_chips == YKT_GPIO_MAX_LINES) {
		errno = E2BIG;
		return NULL;
	}
	chip = gpiod_chip_open_lookup(name);
	if (!chip)
		return NULL;
	snprintf(o->chips[o->n_chips].name, sizeof(o->chips[0].name), "%s", name);
	o->chips[o->n_chips++].chip = chip;
	return chip;
}

static int gpiod_out_request(struct ykt_gpio *g, int line, const struct ykt_gpio_line_spec *spec)
{
	struct gpiod_outputs *o = ykt_gpio_priv(g);
	int flags = spec->active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
	struct gpiod_chip *chip;
	struct gpiod_line *l;

	if (line < 0 || line >= YKT_GPIO_MAX_LINES || o->lines[line])
		return -EINVAL;
	chip = gpiod_out_chip(o, spec->chip);
	if (!chip)
		return errno ? -errno : -ENODEV;
	l = gpiod_chip_get_line(chip, spec->offset);
	if (!l)
		return errno ? -errno : -EINVAL;
	/* EBUSY: another program (or the kernel) holds the line */
	if (gpiod_line_request_output_flags(l, o->consumer, flags, 0) < 0)
		return errno ? -errno : -EIO;
	o->lines[line] = l;
	return 0;
}

static int gpiod_out_set(struct ykt_gpio *g, int line, int value)
{
	struct gpiod_outputs *o = ykt_gpio_priv(g);

	if (line < 0 || line >= YKT_GPIO_MAX_LINES || !o->lines[line])
		return -EINVAL;
	if (gpiod_line_set_value(o->lines[line], value ? 1 : 0) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

const struct ykt_gpio_ops ykt_gpio_gpiod_ops = {
	.scheme = "gpiod",
	.priv_size = sizeof(struct gpiod_outputs),
	.open = gpiod_out_open,
	.close = gpiod_out_close,
	.request = gpiod_out_request,
	.set = gpiod_out_set,
};
