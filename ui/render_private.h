/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The drawing primitives the screen layouts (layout.c) are written in:
 * boxes in pixels, colours as 0xRRGGBB. Only render.c touches cairo and
 * pango.
 */
#ifndef YKT_RENDER_PRIVATE_H
#define YKT_RENDER_PRIVATE_H

#include "render.h"

struct ui_draw;

enum ui_align { UI_LEFT, UI_CENTER, UI_RIGHT };

enum ui_icon {
	UI_ICON_CHECK, /* paid */
	UI_ICON_CROSS, /* refused */
	UI_ICON_RETRY, /* tap again */
	UI_ICON_STOP,  /* out of service */
	UI_ICON_DOT,   /* a status light */
};

struct ui_text_style {
	double px; /* wanted size, pixels */
	bool bold;
	enum ui_align align;
	uint32_t rgb;
};

/* canvas size */
int ui_draw_width(const struct ui_draw *d);
int ui_draw_height(const struct ui_draw *d);

void ui_draw_fill(struct ui_draw *d, struct ui_rect r, uint32_t rgb, double alpha);
void ui_draw_round(struct ui_draw *d, struct ui_rect r, double radius, uint32_t rgb);
void ui_draw_hline(struct ui_draw *d, double x0, double x1, double y, double width, uint32_t rgb);
/* icon drawn in the largest square centred in r; fg on a disc of bg */
void ui_draw_icon(struct ui_draw *d, enum ui_icon icon, struct ui_rect r, uint32_t fg, uint32_t bg);
/* text fitted into r (shrunk, then ellipsized; never clipped), reported
 * under name */
void ui_draw_text(struct ui_draw *d, const char *name, struct ui_rect r, const char *text,
		  const struct ui_text_style *style);

/* layout.c: the screens */
void ui_layout_draw(struct ui_draw *d, const struct ui_screen *s);

#endif
