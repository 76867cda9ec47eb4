/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * text: each screen as one line ("screen: paid | 交易成功 / Paid | ..."),
 * on standard output (the console the validator runs on) or appended to a
 * file. No pixels are rendered for it.
 */
#include "display.h"

#include "screen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct text_display {
	FILE *out;
	bool own;
};

static int text_open(struct ykt_display *d, const char *args)
{
	struct text_display *t = ykt_display_priv(d);

	if (!args[0]) {
		t->out = stdout;
		return 0;
	}
	t->out = fopen(args, "ae");
	if (!t->out) {
		int err = errno;

		ykt_display_set_error(d, "text display %s: %s", args, strerror(err));
		return -err;
	}
	t->own = true;
	return 0;
}

static void text_close(struct ykt_display *d)
{
	struct text_display *t = ykt_display_priv(d);

	if (t->own)
		fclose(t->out);
}

static int text_present(struct ykt_display *d, const struct ui_screen *s,
			const struct ui_canvas *canvas)
{
	struct text_display *t = ykt_display_priv(d);
	char line[1024];

	ui_screen_describe(s, line, sizeof(line));
	if (fprintf(t->out, "screen: %s\n", line) < 0 || fflush(t->out) != 0)
		return -EIO;
	return 0;
}

const struct ykt_display_ops ykt_display_text_ops = {
	.scheme = "text",
	.priv_size = sizeof(struct text_display),
	.open = text_open,
	.close = text_close,
	.present = text_present,
};
