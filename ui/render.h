/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Drawing a screen model into pixels: cairo for shapes, pango for text
 * (shaped, so Chinese and Latin mix on one line) with the CJK font
 * WenQuanYi Micro Hei (Debian fonts-wqy-microhei).
 *
 * Every text sits in a box of the layout. A text that does not fit its box
 * at its size is shrunk (down to 60 %), then ellipsized ("…"); it is never
 * clipped. Each drawn text can be reported with its box and its pango
 * extents, so tests can prove that.
 *
 * A canvas is used by one thread at a time; it owns its own pango font map
 * (pango's default map is per thread).
 */
#ifndef YKT_RENDER_H
#define YKT_RENDER_H

#include "screen.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UI_FONT_FAMILY	"WenQuanYi Micro Hei"
#define UI_MIN_SHRINK	0.6 /* a text may be drawn at 60 % of its size before "…" */
#define UI_REPORT_MAX	64
#define UI_CANVAS_MAX_W 4096
#define UI_CANVAS_MAX_H 4096

struct ui_canvas;

/* The canvas's pixels: 32 bits per pixel in native byte order, 0x00RRGGBB
 * (cairo's RGB24), rows stride bytes apart. Owned by the canvas. */
struct ui_pixels {
	const uint8_t *data;
	int width, height, stride;
};

struct ui_rect {
	double x, y, w, h;
};

/* One drawn text: its box in the layout, where pango put it (logical and
 * ink extents in pixels, canvas coordinates), the size it wanted and got,
 * whether pango ellipsized it, and how many characters had no glyph in the
 * font (0 unless the CJK font is missing). */
struct ui_text_report {
	char name[24];
	char text[UI_TEXT_MAX];
	struct ui_rect box, logical, ink;
	double wanted_px, size_px;
	bool ellipsized;
	int unknown_glyphs;
};

struct ui_render_report {
	int n;
	int dropped; /* texts beyond UI_REPORT_MAX (a layout bug) */
	struct ui_text_report texts[UI_REPORT_MAX];
};

/* A width x height canvas (both 1..4096). Caller frees with
 * ui_canvas_free(). -EINVAL for a bad size, -ENOMEM. */
int ui_canvas_new(int width, int height, struct ui_canvas **ret_canvas);
void ui_canvas_free(struct ui_canvas *c);

/* Draw s over the whole canvas. report (may be NULL) receives every text.
 * Returns 0, or -EIO when cairo failed. Takes a few milliseconds: call it
 * from the render thread, never from the tap. */
int ui_canvas_render(struct ui_canvas *c, const struct ui_screen *s,
		     struct ui_render_report *report);

void ui_canvas_pixels(const struct ui_canvas *c, struct ui_pixels *ret);

/* Write the canvas as a PNG file. -EIO (cairo could not write it). */
int ui_canvas_write_png(const struct ui_canvas *c, const char *path);

/* true when t lies wholly inside its box, logical and ink extents both,
 * and every character had a glyph; otherwise false and why. */
bool ui_text_fits(const struct ui_text_report *t, char *why, size_t why_len);

#endif
