/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "render_private.h"

#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ui_draw {
	cairo_t *cr;
	PangoLayout *layout;
	PangoFontDescription *font;
	int width, height;
	struct ui_render_report *report;
};

struct ui_canvas {
	cairo_surface_t *surface;
	PangoFontMap *font_map;
	PangoContext *pango;
	struct ui_draw draw;
};

static void canvas_font_options(struct ui_canvas *c)
{
	cairo_font_options_t *opts = cairo_font_options_create();

	/* unhinted metrics: a layout scales with the canvas and measures the
	 * same at every size; grey antialiasing suits any panel's subpixels */
	cairo_font_options_set_hint_metrics(opts, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(opts, CAIRO_HINT_STYLE_SLIGHT);
	cairo_font_options_set_antialias(opts, CAIRO_ANTIALIAS_GRAY);
	pango_cairo_context_set_font_options(c->pango, opts);
	cairo_font_options_destroy(opts);
}

int ui_canvas_new(int width, int height, struct ui_canvas **ret_canvas)
{
	struct ui_canvas *c;

	if (width < 1 || height < 1 || width > UI_CANVAS_MAX_W || height > UI_CANVAS_MAX_H)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
	c->draw.cr = cairo_create(c->surface);
	c->font_map = pango_cairo_font_map_new();
	c->pango = pango_font_map_create_context(c->font_map);
	c->draw.font = pango_font_description_new();
	if (cairo_status(c->draw.cr) != CAIRO_STATUS_SUCCESS || !c->pango || !c->draw.font) {
		ui_canvas_free(c);
		return -ENOMEM;
	}
	pango_cairo_update_context(c->draw.cr, c->pango);
	canvas_font_options(c);
	c->draw.layout = pango_layout_new(c->pango);
	pango_layout_set_single_paragraph_mode(c->draw.layout, TRUE);
	pango_font_description_set_family(c->draw.font, UI_FONT_FAMILY);
	c->draw.width = width;
	c->draw.height = height;
	*ret_canvas = c;
	return 0;
}

void ui_canvas_free(struct ui_canvas *c)
{
	if (!c)
		return;
	if (c->draw.layout)
		g_object_unref(c->draw.layout);
	if (c->draw.font)
		pango_font_description_free(c->draw.font);
	if (c->pango)
		g_object_unref(c->pango);
	if (c->font_map)
		g_object_unref(c->font_map);
	cairo_destroy(c->draw.cr);
	cairo_surface_destroy(c->surface);
	free(c);
}

int ui_canvas_render(struct ui_canvas *c, const struct ui_screen *s,
		     struct ui_render_report *report)
{
	if (report)
		memset(report, 0, sizeof(*report));
	c->draw.report = report;
	cairo_save(c->draw.cr);
	ui_layout_draw(&c->draw, s);
	cairo_restore(c->draw.cr);
	c->draw.report = NULL;
	cairo_surface_flush(c->surface);
	return cairo_status(c->draw.cr) == CAIRO_STATUS_SUCCESS ? 0 : -EIO;
}

void ui_canvas_pixels(const struct ui_canvas *c, struct ui_pixels *ret)
{
	cairo_surface_t *s = c->surface;

	ret->data = cairo_image_surface_get_data(s);
	ret->width = cairo_image_surface_get_width(s);
	ret->height = cairo_image_surface_get_height(s);
	ret->stride = cairo_image_surface_get_stride(s);
}

int ui_canvas_write_png(const struct ui_canvas *c, const char *path)
{
	return cairo_surface_write_to_png(c->surface, path) == CAIRO_STATUS_SUCCESS ? 0 : -EIO;
}

int ui_draw_width(const struct ui_draw *d)
{
	return d->width;
}

int ui_draw_height(const struct ui_draw *d)
{
	return d->height;
}

static void set_rgb(cairo_t *cr, uint32_t rgb, double alpha)
{
	cairo_set_source_rgba(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
			      (rgb & 0xff) / 255.0, alpha);
}

void ui_draw_fill(struct ui_draw *d, struct ui_rect r, uint32_t rgb, double alpha)
{
	set_rgb(d->cr, rgb, alpha);
	cairo_rectangle(d->cr, r.x, r.y, r.w, r.h);
	cairo_fill(d->cr);
}

void ui_draw_round(struct ui_draw *d, struct ui_rect r, double radius, uint32_t rgb)
{
	cairo_t *cr = d->cr;

	radius = fmin(radius, fmin(r.w, r.h) / 2);
	cairo_new_sub_path(cr);
	cairo_arc(cr, r.x + r.w - radius, r.y + radius, radius, -M_PI / 2, 0);
	cairo_arc(cr, r.x + r.w - radius, r.y + r.h - radius, radius, 0, M_PI / 2);
	cairo_arc(cr, r.x + radius, r.y + r.h - radius, radius, M_PI / 2, M_PI);
	cairo_arc(cr, r.x + radius, r.y + radius, radius, M_PI, 3 * M_PI / 2);
	cairo_close_path(cr);
	set_rgb(cr, rgb, 1);
	cairo_fill(cr);
}

void ui_draw_hline(struct ui_draw *d, double x0, double x1, double y, double width, uint32_t rgb)
{
	set_rgb(d->cr, rgb, 1);
	cairo_set_line_width(d->cr, width);
	cairo_move_to(d->cr, x0, y);
	cairo_line_to(d->cr, x1, y);
	cairo_stroke(d->cr);
}

/* icon strokes, in a unit square centred on 0,0 (radius 1) */
static void icon_path(cairo_t *cr, enum ui_icon icon)
{
	switch (icon) {
	case UI_ICON_CHECK:
		cairo_move_to(cr, -0.48, 0.02);
		cairo_line_to(cr, -0.14, 0.38);
		cairo_line_to(cr, 0.50, -0.34);
		break;
	case UI_ICON_CROSS:
		cairo_move_to(cr, -0.38, -0.38);
		cairo_line_to(cr, 0.38, 0.38);
		cairo_move_to(cr, 0.38, -0.38);
		cairo_line_to(cr, -0.38, 0.38);
		break;
	case UI_ICON_RETRY: /* three quarters of a circle; the arrowhead is filled below */
		cairo_arc(cr, 0, 0, 0.48, -M_PI * 0.25, M_PI * 1.3);
		break;
	case UI_ICON_STOP:
		cairo_move_to(cr, -0.52, 0);
		cairo_line_to(cr, 0.52, 0);
		break;
	case UI_ICON_DOT:
		break;
	}
}

/* at the end of the retry arc, pointing along it (clockwise on screen) */
static void retry_arrowhead(cairo_t *cr)
{
	double a = M_PI * 1.3, ex = 0.48 * cos(a), ey = 0.48 * sin(a);
	double tx = -sin(a), ty = cos(a); /* tangent, direction of travel */
	double nx = cos(a), ny = sin(a);  /* outward normal */

	cairo_move_to(cr, ex + 0.30 * tx, ey + 0.30 * ty);
	cairo_line_to(cr, ex + 0.24 * nx - 0.05 * tx, ey + 0.24 * ny - 0.05 * ty);
	cairo_line_to(cr, ex - 0.24 * nx - 0.05 * tx, ey - 0.24 * ny - 0.05 * ty);
	cairo_close_path(cr);
	cairo_fill(cr);
}

void ui_draw_icon(struct ui_draw *d, enum ui_icon icon, struct ui_rect r, uint32_t fg, uint32_t bg)
{
	cairo_t *cr = d->cr;
	double side = fmin(r.w, r.h), radius = side / 2;

	cairo_save(cr);
	cairo_translate(cr, r.x + r.w / 2, r.y + r.h / 2);
	cairo_arc(cr, 0, 0, radius, 0, 2 * M_PI);
	set_rgb(cr, bg, 1);
	cairo_fill(cr);
	cairo_scale(cr, radius, radius);
	cairo_set_line_width(cr, icon == UI_ICON_STOP ? 0.26 : 0.18);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	icon_path(cr, icon);
	set_rgb(cr, fg, 1);
	cairo_stroke(cr);
	if (icon == UI_ICON_RETRY)
		retry_arrowhead(cr);
	cairo_restore(cr);
}

/* The extent a text occupies: the union of its logical and ink rectangles,
 * in pixels relative to the layout's origin. */
static struct ui_rect text_extent(PangoLayout *layout, struct ui_rect *ret_logical,
				  struct ui_rect *ret_ink)
{
	PangoRectangle ink, logical;
	double x0, y0, x1, y1;

	pango_layout_get_extents(layout, &ink, &logical);
	*ret_logical =
	    (struct ui_rect){ (double)logical.x / PANGO_SCALE, (double)logical.y / PANGO_SCALE,
			      (double)logical.width / PANGO_SCALE,
			      (double)logical.height / PANGO_SCALE };
	*ret_ink =
	    (struct ui_rect){ (double)ink.x / PANGO_SCALE, (double)ink.y / PANGO_SCALE,
			      (double)ink.width / PANGO_SCALE, (double)ink.height / PANGO_SCALE };
	x0 = ret_logical->x;
	y0 = ret_logical->y;
	x1 = ret_logical->x + ret_logical->w;
	y1 = ret_logical->y + ret_logical->h;
	if (ink.width > 0 && ink.height > 0) {
		x0 = fmin(x0, ret_ink->x);
		y0 = fmin(y0, ret_ink->y);
		x1 = fmax(x1, ret_ink->x + ret_ink->w);
		y1 = fmax(y1, ret_ink->y + ret_ink->h);
	}
	return (struct ui_rect){ x0, y0, x1 - x0, y1 - y0 };
}

static void text_set_size(struct ui_draw *d, double px)
{
	pango_font_description_set_absolute_size(d->font, px * PANGO_SCALE);
	pango_layout_set_font_description(d->layout, d->font);
}

/* Shrink the text towards UI_MIN_SHRINK of its size until it fits r; then,
 * if it still does not, let pango ellipsize it to r's width (at the
 * smallest size, still shrunk for height). Returns the size used. */
static double text_fit(struct ui_draw *d, struct ui_rect r, double px, struct ui_rect *ret_ext)
{
	double min_px = px * UI_MIN_SHRINK;
	struct ui_rect logical, ink, ext;

	pango_layout_set_width(d->layout, -1);
	pango_layout_set_ellipsize(d->layout, PANGO_ELLIPSIZE_NONE);
	text_set_size(d, px);
	ext = text_extent(d->layout, &logical, &ink);
	for (int i = 0; i < 6 && (ext.w > r.w || ext.h > r.h) && px > min_px; i++) {
		px = fmax(min_px, px * fmin(r.w / ext.w, r.h / ext.h) * 0.98);
		text_set_size(d, px);
		ext = text_extent(d->layout, &logical, &ink);
	}
	if (ext.w > r.w) {
		/* pango measures the width it may use without the ink overhang */
		double overhang = ext.w - logical.w;

		pango_layout_set_ellipsize(d->layout, PANGO_ELLIPSIZE_END);
		pango_layout_set_width(d->layout, (int)((r.w - overhang) * PANGO_SCALE));
		ext = text_extent(d->layout, &logical, &ink);
	}
	*ret_ext = ext;
	return px;
}

static void text_report(struct ui_draw *d, const char *name, struct ui_rect r, const char *text,
			double wanted, double px, double ox, double oy)
{
	struct ui_text_report *t;
	struct ui_rect logical, ink;

	if (!d->report)
		return;
	if (d->report->n == UI_REPORT_MAX) {
		d->report->dropped++;
		return;
	}
	t = &d->report->texts[d->report->n++];
	text_extent(d->layout, &logical, &ink);
	snprintf(t->name, sizeof(t->name), "%s", name);
	ui_copy_text(t->text, sizeof(t->text), text);
	t->box = r;
	t->logical = (struct ui_rect){ ox + logical.x, oy + logical.y, logical.w, logical.h };
	t->ink = (struct ui_rect){ ox + ink.x, oy + ink.y, ink.w, ink.h };
	t->wanted_px = wanted;
	t->size_px = px;
	t->ellipsized = pango_layout_is_ellipsized(d->layout);
	t->unknown_glyphs = pango_layout_get_unknown_glyphs_count(d->layout);
}

void ui_draw_text(struct ui_draw *d, const char *name, struct ui_rect r, const char *text,
		  const struct ui_text_style *style)
{
	PangoWeight weight = style->bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL;
	struct ui_rect ext;
	double px, ox, oy;

	pango_font_description_set_weight(d->font, weight);
	pango_layout_set_text(d->layout, text, -1);
	px = text_fit(d, r, style->px, &ext);
	/* the layout origin that puts the extent where the alignment says,
	 * vertically centred */
	oy = r.y + (r.h - ext.h) / 2 - ext.y;
	if (style->align == UI_LEFT)
		ox = r.x - ext.x;
	else if (style->align == UI_RIGHT)
		ox = r.x + r.w - ext.w - ext.x;
	else
		ox = r.x + (r.w - ext.w) / 2 - ext.x;
	set_rgb(d->cr, style->rgb, 1);
	cairo_move_to(d->cr, ox, oy);
	pango_cairo_show_layout(d->cr, d->layout);
	text_report(d, name, r, text, style->px, px, ox, oy);
}

static bool inside(struct ui_rect in, struct ui_rect box)
{
	const double eps = 0.01;

	return in.x >= box.x - eps && in.y >= box.y - eps && in.x + in.w <= box.x + box.w + eps &&
	       in.y + in.h <= box.y + box.h + eps;
}

bool ui_text_fits(const struct ui_text_report *t, char *why, size_t why_len)
{
	const struct ui_rect *b = &t->box;

	if (t->unknown_glyphs) {
		snprintf(why, why_len, "%d characters have no glyph (CJK font missing?)",
			 t->unknown_glyphs);
		return false;
	}
	if (!inside(t->logical, *b) || (t->ink.w > 0 && !inside(t->ink, *b))) {
		snprintf(why, why_len,
			 "text %.1f,%.1f %.1fx%.1f (ink %.1f,%.1f %.1fx%.1f) leaves its box "
			 "%.1f,%.1f %.1fx%.1f",
			 t->logical.x, t->logical.y, t->logical.w, t->logical.h, t->ink.x, t->ink.y,
			 t->ink.w, t->ink.h, b->x, b->y, b->w, b->h);
		return false;
	}
	return true;
}
