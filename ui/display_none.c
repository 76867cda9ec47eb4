/* SPDX-License-Identifier: GPL-2.0-or-later */
/* none: a validator without a display (or a test that does not look). */
#include "display.h"

#include <errno.h>

static int none_open(struct ykt_display *d, const char *args)
{
	if (args[0]) {
		ykt_display_set_error(d, "none takes no arguments");
		return -EINVAL;
	}
	return 0;
}

static int none_present(struct ykt_display *d, const struct ui_screen *s,
			const struct ui_canvas *canvas)
{
	return 0;
}

const struct ykt_display_ops ykt_display_none_ops = {
	.scheme = "none",
	.open = none_open,
	.present = none_present,
};
