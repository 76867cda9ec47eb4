/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "display.h"

#include "render.h"
#include "uri.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct ykt_display_ops ykt_display_none_ops;
extern const struct ykt_display_ops ykt_display_text_ops;
extern const struct ykt_display_ops ykt_display_png_ops;
extern const struct ykt_display_ops ykt_display_fb_ops;
extern const struct ykt_display_ops ykt_display_fbfile_ops;

static const void *const display_drivers[] = {
	&ykt_display_none_ops, &ykt_display_text_ops,	&ykt_display_png_ops,
	&ykt_display_fb_ops,   &ykt_display_fbfile_ops, NULL,
};
#define N_DISPLAY_DRIVERS (sizeof(display_drivers) / sizeof(display_drivers[0]) - 1)

struct ykt_display {
	const struct ykt_display_ops *ops;
	int width, height;
	char *errbuf;
	size_t errbuf_len;
	_Alignas(max_align_t) unsigned char priv[];
};

/* "none" is written without a colon */
static int display_lookup(const char *uri, const char **ret_args)
{
	if (strcmp(uri, "none") == 0) {
		*ret_args = "";
		return 0;
	}
	return ykt_uri_lookup(uri, display_drivers, N_DISPLAY_DRIVERS, ret_args);
}

int ykt_display_scheme_known(const char *uri)
{
	const char *args;

	return display_lookup(uri, &args) >= 0;
}

const char *ykt_display_schemes(void)
{
	static char list[128];

	ykt_uri_schemes(display_drivers, N_DISPLAY_DRIVERS, list, sizeof(list));
	return list;
}

int ykt_display_open(const char *uri, struct ykt_display **ret_display, char *errbuf,
		     size_t errbuf_len)
{
	const struct ykt_display_ops *ops;
	struct ykt_display *d;
	const char *args;
	int i = display_lookup(uri, &args);

	if (i < 0) {
		snprintf(errbuf, errbuf_len, "unknown display driver in '%s' (this build has: %s)",
			 uri, ykt_display_schemes());
		return -ENOENT;
	}
	ops = display_drivers[i];
	d = calloc(1, sizeof(*d) + ops->priv_size);
	if (!d)
		return -ENOMEM;
	d->ops = ops;
	d->errbuf = errbuf;
	d->errbuf_len = errbuf_len;
	i = ops->open(d, args);
	d->errbuf = NULL;
	if (i == 0 && ops->pixels && (d->width < 1 || d->height < 1))
		i = -EINVAL;
	if (i < 0) {
		free(d);
		return i;
	}
	*ret_display = d;
	return 0;
}

void ykt_display_free(struct ykt_display *d)
{
	if (!d)
		return;
	if (d->ops->close)
		d->ops->close(d);
	free(d);
}

bool ykt_display_wants_pixels(const struct ykt_display *d)
{
	return d->ops->pixels;
}

void ykt_display_size(const struct ykt_display *d, int *ret_width, int *ret_height)
{
	*ret_width = d->width;
	*ret_height = d->height;
}

bool ykt_display_is_none(const struct ykt_display *d)
{
	return d->ops == &ykt_display_none_ops;
}

const char *ykt_display_scheme(const struct ykt_display *d)
{
	return d->ops->scheme;
}

int ykt_display_present(struct ykt_display *d, const struct ui_screen *s,
			const struct ui_canvas *canvas)
{
	if (!d->ops->present)
		return -EOPNOTSUPP;
	return d->ops->present(d, s, canvas);
}

void *ykt_display_priv(struct ykt_display *d)
{
	return d->priv;
}

void ykt_display_set_size(struct ykt_display *d, int width, int height)
{
	d->width = width;
	d->height = height;
}

void ykt_display_set_error(struct ykt_display *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->errbuf)
		return;
	va_start(ap, fmt);
	vsnprintf(d->errbuf, d->errbuf_len, fmt, ap);
	va_end(ap);
}

int ykt_display_parse_size(const char *text, int *ret_width, int *ret_height)
{
	int w, h, used = 0;

	if (sscanf(text, "%dx%d%n", &w, &h, &used) != 2 || text[used] != '\0' || w < 1 || h < 1 ||
	    w > UI_CANVAS_MAX_W || h > UI_CANVAS_MAX_H)
		return -EINVAL;
	*ret_width = w;
	*ret_height = h;
	return 0;
}
