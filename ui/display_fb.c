/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fb:[/dev/fbN] — the panel behind a Linux framebuffer device (fb.h). */
#include "display.h"

#include "fb.h"

struct fb_display {
	struct ui_fb *fb;
};

static int fbdev_open(struct ykt_display *d, const char *args)
{
	struct fb_display *f = ykt_display_priv(d);
	char err[256];
	int w, h, r = ui_fb_open_device(args[0] ? args : "/dev/fb0", &f->fb, err, sizeof(err));

	if (r < 0) {
		ykt_display_set_error(d, "fb: %s", err);
		return r;
	}
	ui_fb_size(f->fb, &w, &h);
	ykt_display_set_size(d, w, h);
	return 0;
}

static void fbdev_close(struct ykt_display *d)
{
	struct fb_display *f = ykt_display_priv(d);

	ui_fb_free(f->fb);
}

static int fbdev_present(struct ykt_display *d, const struct ui_screen *s,
			 const struct ui_canvas *canvas)
{
	struct fb_display *f = ykt_display_priv(d);
	struct ui_pixels px;

	ui_canvas_pixels(canvas, &px);
	ui_fb_blit(f->fb, &px);
	return 0;
}

const struct ykt_display_ops ykt_display_fb_ops = {
	.scheme = "fb",
	.priv_size = sizeof(struct fb_display),
	.pixels = true,
	.open = fbdev_open,
	.close = fbdev_close,
	.present = fbdev_present,
};
