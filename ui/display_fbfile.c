/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fbfile:PATH,WxH,BPP[,STRIDE] — a regular file laid out exactly as a
 * framebuffer of that geometry (fb.h): the same mapping and pixel writes as
 * fb:, for tests and machines without a panel.
 */
#include "display.h"

#include "fb.h"

struct fbfile_display {
	struct ui_fb *fb;
};

static int fbfile_open(struct ykt_display *d, const char *args)
{
	struct fbfile_display *f = ykt_display_priv(d);
	struct ui_fb_file_spec spec;
	char err[256];
	int w, h, r = ui_fb_parse_file_spec(args, &spec, err, sizeof(err));

	if (r == 0)
		r = ui_fb_open_file(&spec, &f->fb, err, sizeof(err));
	if (r < 0) {
		ykt_display_set_error(d, "fbfile: %s", err);
		return r;
	}
	ui_fb_size(f->fb, &w, &h);
	ykt_display_set_size(d, w, h);
	return 0;
}

static void fbfile_close(struct ykt_display *d)
{
	struct fbfile_display *f = ykt_display_priv(d);

	ui_fb_free(f->fb);
}

static int fbfile_present(struct ykt_display *d, const struct ui_screen *s,
			  const struct ui_canvas *canvas)
{
	struct fbfile_display *f = ykt_display_priv(d);
	struct ui_pixels px;

	ui_canvas_pixels(canvas, &px);
	ui_fb_blit(f->fb, &px);
	return 0;
}

const struct ykt_display_ops ykt_display_fbfile_ops = {
	.scheme = "fbfile",
	.priv_size = sizeof(struct fbfile_display),
	.pixels = true,
	.open = fbfile_open,
	.close = fbfile_close,
	.present = fbfile_present,
};
