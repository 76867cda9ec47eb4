/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A display: an opaque handle over one driver ops table, picked by URI:
 *
 *   none                       nothing is shown (the default)
 *   text:                      one line per screen on standard output
 *   text:PATH                  ... appended to PATH
 *   png:DIR[,WxH][,all]        DIR/screen.png, replaced atomically at each
 *                              screen (800x480 unless WxH); with ",all" also
 *                              DIR/NNNNNN-KIND.png for every screen
 *   fb:[/dev/fbN]              a Linux framebuffer (default /dev/fb0); its
 *                              size and pixel format come from the kernel
 *   fbfile:PATH,WxH,BPP[,STRIDE]  a regular file laid out as a framebuffer
 *                              (BPP 16 RGB565, 24 RGB888, 32 XRGB8888): tests, and
 *                              boards whose panel is fed from a file
 *
 * Drivers that show pixels get a canvas already rendered at their size;
 * the others (text) get the screen model. Everything here runs on the
 * render thread (ui.h), never on the tap.
 */
#ifndef YKT_DISPLAY_H
#define YKT_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>

struct ui_canvas;
struct ui_screen;
struct ykt_display;

struct ykt_display_ops {
	const char *scheme;
	size_t priv_size;
	bool pixels; /* present() wants the rendered canvas */
	/* parse args, open the device, call ykt_display_set_size() (pixels) */
	int (*open)(struct ykt_display *d, const char *args);
	void (*close)(struct ykt_display *d);
	/* show s; canvas is s rendered at the display's size, or NULL when
	 * the driver does not want pixels */
	int (*present)(struct ykt_display *d, const struct ui_screen *s,
		       const struct ui_canvas *canvas);
};

/* Open by URI. -ENOENT for an unknown scheme; errors carry a one-line
 * reason in errbuf. The caller frees with ykt_display_free(). */
int ykt_display_open(const char *uri, struct ykt_display **ret_display, char *errbuf,
		     size_t errbuf_len);
void ykt_display_free(struct ykt_display *d);

/* true when the driver shows pixels (a canvas must be rendered for it) */
bool ykt_display_wants_pixels(const struct ykt_display *d);
/* pixel size; 0 x 0 for drivers without pixels */
void ykt_display_size(const struct ykt_display *d, int *ret_width, int *ret_height);
/* true for "none": nothing to render or show */
bool ykt_display_is_none(const struct ykt_display *d);
const char *ykt_display_scheme(const struct ykt_display *d);

/* Show a screen. Blocks for as long as the device takes (file writes, a
 * PNG encode): call it from the render thread. */
int ykt_display_present(struct ykt_display *d, const struct ui_screen *s,
			const struct ui_canvas *canvas);

/* true when a driver for the URI's scheme is built in ("none" included) */
int ykt_display_scheme_known(const char *uri);
/* "none, text, png, fb, fbfile", for messages */
const char *ykt_display_schemes(void);

/* for drivers */
void *ykt_display_priv(struct ykt_display *d);
void ykt_display_set_size(struct ykt_display *d, int width, int height);
void ykt_display_set_error(struct ykt_display *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "WxH" -> width, height (1..4096); -EINVAL */
int ykt_display_parse_size(const char *text, int *ret_width, int *ret_height);

#endif
