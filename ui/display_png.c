/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * png:DIR[,WxH][,all] — the screen as a PNG file: DIR/screen.png, written
 * aside and renamed over the old one so a viewer never reads half a file;
 * with ",all" every screen is also kept as DIR/NNNNNN-KIND.png.
 */
#include "display.h"

#include "render.h"
#include "screen.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct png_display {
	char dir[PATH_MAX - 32];
	bool all;
	unsigned long count;
};

static int png_options(struct ykt_display *d, struct png_display *p, char *opts)
{
	int w = 800, h = 480;

	for (char *save = NULL, *o = strtok_r(opts, ",", &save); o;
	     o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "all") == 0) {
			p->all = true;
		} else if (ykt_display_parse_size(o, &w, &h) < 0) {
			ykt_display_set_error(d, "png: '%s' is neither WIDTHxHEIGHT nor all", o);
			return -EINVAL;
		}
	}
	ykt_display_set_size(d, w, h);
	return 0;
}

static int png_open(struct ykt_display *d, const char *args)
{
	struct png_display *p = ykt_display_priv(d);
	size_t dir_len = strcspn(args, ",");
	char opts[64];
	struct stat st;

	if (dir_len == 0 || dir_len >= sizeof(p->dir) ||
	    snprintf(opts, sizeof(opts), "%s", args + dir_len) >= (int)sizeof(opts)) {
		ykt_display_set_error(d, "png: expected DIR[,WIDTHxHEIGHT][,all]");
		return -EINVAL;
	}
	memcpy(p->dir, args, dir_len);
	p->dir[dir_len] = '\0';
	if (stat(p->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		ykt_display_set_error(d, "png: %s is not a directory", p->dir);
		return -ENOTDIR;
	}
	return png_options(d, p, opts);
}

static const char *kind_word(enum ui_screen_kind kind)
{
	static const char *const words[] = { "idle",	       "paid",	 "refused",
					     "out-of-service", "driver", "maintenance" };

	return (unsigned)kind < UI_SCREEN_KIND_COUNT ? words[kind] : "screen";
}

static int png_present(struct ykt_display *d, const struct ui_screen *s,
		       const struct ui_canvas *canvas)
{
	struct png_display *p = ykt_display_priv(d);
	char tmp[PATH_MAX], path[PATH_MAX];
	int r;

	p->count++;
	if (p->all) {
		snprintf(path, sizeof(path), "%s/%06lu-%s.png", p->dir, p->count % 1000000,
			 kind_word(s->kind));
		r = ui_canvas_write_png(canvas, path);
		if (r < 0)
			return r;
	}
	snprintf(tmp, sizeof(tmp), "%s/.screen.png.tmp", p->dir);
	snprintf(path, sizeof(path), "%s/screen.png", p->dir);
	r = ui_canvas_write_png(canvas, tmp);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	return r;
}

const struct ykt_display_ops ykt_display_png_ops = {
	.scheme = "png",
	.priv_size = sizeof(struct png_display),
	.pixels = true,
	.open = png_open,
	.present = png_present,
};
