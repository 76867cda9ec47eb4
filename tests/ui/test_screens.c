/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every example screen (ui_screen_sample: every kind, every refusal, long
 * texts) rendered at 480x272 and 800x480:
 *   - each text lies inside its box, by pango's logical and ink extents,
 *     and every character has a glyph (the CJK font is there);
 *   - an overlong line name is shrunk and ellipsized, not cut;
 *   - the check itself fails on a text that leaves its box;
 *   - the whole screen says the result by colour: green paid, red
 *     refused, amber tap again;
 *   - the layout (every box, size used, ellipsis) equals the one recorded
 *     in docs/screens/layout.txt, and docs/screens/ holds a PNG of every
 *     screen at every size: the docs show what the code draws.
 * The PNGs go to OUTDIR (the build directory).
 *
 *   test_screens OUTDIR DOCSDIR            check
 *   test_screens --regen DOCSDIR           rewrite docs/screens (PNGs, layout.txt)
 */
#include "check.h"
#include "render.h"
#include "screen.h"

#include <cairo.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const int sizes[][2] = { { 480, 272 }, { 800, 480 } };
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

static struct ui_render_report report;

/* one line per text: what a layout change would change */
static void layout_lines(FILE *out, const char *name, int w, int h)
{
	for (int i = 0; i < report.n; i++) {
		const struct ui_text_report *t = &report.texts[i];

		fprintf(out, "%s %dx%d %s box=%.0f,%.0f,%.0fx%.0f px=%.1f/%.1f%s \"%s\"\n", name, w,
			h, t->name, t->box.x, t->box.y, t->box.w, t->box.h, t->size_px,
			t->wanted_px, t->ellipsized ? " ellipsized" : "", t->text);
	}
}

static void check_texts(const char *name, int w)
{
	char why[256];

	CHECK(report.dropped == 0, "%s: %d texts beyond the report", name, report.dropped);
	CHECK(report.n >= 5, "%s at %d: only %d texts drawn", name, w, report.n);
	for (int i = 0; i < report.n; i++) {
		const struct ui_text_report *t = &report.texts[i];

		CHECK(ui_text_fits(t, why, sizeof(why)), "%s at %d, %s '%s': %s", name, w, t->name,
		      t->text, why);
		CHECK(t->ink.w > 0 && t->ink.h > 0, "%s at %d, %s: nothing drawn", name, w,
		      t->name);
		CHECK(t->size_px >= t->wanted_px * UI_MIN_SHRINK - 0.01,
		      "%s at %d, %s shrunk below the minimum", name, w, t->name);
	}
}

static const struct ui_text_report *find_text(const char *name)
{
	for (int i = 0; i < report.n; i++)
		if (strcmp(report.texts[i].name, name) == 0)
			return &report.texts[i];
	return NULL;
}

/* the overlong line name: shrunk to the minimum, then ellipsized */
static void check_long_line(int w)
{
	const struct ui_text_report *t = find_text("line");

	CHECK(t != NULL, "no line text");
	if (!t)
		return;
	CHECK(t->ellipsized, "at %d the long line name was not ellipsized", w);
	CHECK(t->size_px < t->wanted_px, "at %d the long line name was not shrunk", w);
}

static void pixel_rgb(const struct ui_pixels *px, int x, int y, int rgb[3])
{
	uint32_t p;

	memcpy(&p, px->data + (size_t)y * px->stride + (size_t)x * 4, 4);
	rgb[0] = (p >> 16) & 0xff;
	rgb[1] = (p >> 8) & 0xff;
	rgb[2] = p & 0xff;
}

/* the background, left of the icon, says the result at a glance */
static void check_colour(const struct ui_canvas *c, const struct ui_screen *s, const char *name)
{
	struct ui_pixels px;
	int rgb[3];

	ui_canvas_pixels(c, &px);
	pixel_rgb(&px, px.width / 100, px.height / 2, rgb);
	if (s->kind == UI_SCREEN_PAID)
		CHECK(rgb[1] > 100 && rgb[0] < 60 && rgb[2] < 100, "%s: not green (%d,%d,%d)", name,
		      rgb[0], rgb[1], rgb[2]);
	if (s->kind == UI_SCREEN_REFUSED && !ui_outcome_tap_again(s->u.refused.outcome))
		CHECK(rgb[0] > 150 && rgb[1] < 60 && rgb[2] < 60, "%s: not red (%d,%d,%d)", name,
		      rgb[0], rgb[1], rgb[2]);
	if (s->kind == UI_SCREEN_REFUSED && ui_outcome_tap_again(s->u.refused.outcome))
		CHECK(rgb[0] > 200 && rgb[1] > 140 && rgb[2] < 60, "%s: not amber (%d,%d,%d)", name,
		      rgb[0], rgb[1], rgb[2]);
}

/* Each refusal's Chinese and English are on its screen and in its text. */
static void check_words(const struct ui_screen *s, const char *name)
{
	const struct outcome_text *t;
	const struct ui_text_report *zh = find_text("title-zh"), *en = find_text("title-en");
	char line[1024];

	if (s->kind != UI_SCREEN_REFUSED)
		return;
	t = tap_outcome_text(s->u.refused.outcome);
	CHECK(zh && strcmp(zh->text, t->zh) == 0, "%s: Chinese title missing", name);
	CHECK(en && strcmp(en->text, t->en) == 0, "%s: English title missing", name);
	CHECK(zh && en && zh->size_px > en->size_px && zh->box.y < en->box.y,
	      "%s: Chinese is not large with English beneath", name);
	ui_screen_describe(s, line, sizeof(line));
	CHECK(strstr(line, t->zh) && strstr(line, t->en) && strstr(line, t->key),
	      "%s: text form '%s'", name, line);
}

/* A text placed outside its box must fail the check. */
static void check_negative(void)
{
	struct ui_text_report t = { .box = { 10, 10, 100, 20 },
				    .logical = { 10, 10, 100, 20 },
				    .ink = { 11, 12, 98, 16 } };
	char why[256];

	CHECK(ui_text_fits(&t, why, sizeof(why)), "a fitting text failed: %s", why);
	t.logical.w = 101;
	CHECK(!ui_text_fits(&t, why, sizeof(why)), "a wide text passed");
	t.logical.w = 100;
	t.ink.y = 9;
	CHECK(!ui_text_fits(&t, why, sizeof(why)), "ink above the box passed");
	t.ink.y = 12;
	t.unknown_glyphs = 1;
	CHECK(!ui_text_fits(&t, why, sizeof(why)), "a missing glyph passed");
}

static void check_doc_png(const char *docs, const char *file, int w, int h)
{
	char path[1024];
	cairo_surface_t *png;

	snprintf(path, sizeof(path), "%s/%s", docs, file);
	png = cairo_image_surface_create_from_png(path);
	CHECK(cairo_surface_status(png) == CAIRO_STATUS_SUCCESS,
	      "%s missing: regenerate docs/screens (meson compile screens)", path);
	if (cairo_surface_status(png) == CAIRO_STATUS_SUCCESS)
		CHECK(cairo_image_surface_get_width(png) == w &&
			  cairo_image_surface_get_height(png) == h,
		      "%s is not %dx%d", path, w, h);
	cairo_surface_destroy(png);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	static char buf[1 << 20];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* the layout drawn now against the one recorded next to the PNGs */
static void compare_layout(const char *got_path, const char *docs)
{
	char want_path[1024], *want, *got;
	static char got_copy[1 << 20];

	got = read_all(got_path);
	CHECK(got != NULL, "cannot read %s", got_path);
	if (!got)
		return;
	snprintf(got_copy, sizeof(got_copy), "%s", got);
	snprintf(want_path, sizeof(want_path), "%s/layout.txt", docs);
	want = read_all(want_path);
	CHECK(want != NULL, "%s missing", want_path);
	if (!want)
		return;
	for (int line = 1; *want || *got_copy; line++) {
		size_t a = strcspn(want, "\n"), b = strcspn(got_copy, "\n");

		if (a != b || strncmp(want, got_copy, a) != 0) {
			CHECK(0,
			      "layout differs from %s at line %d:\n  recorded: %.*s\n  drawn:    "
			      "%.*s\n"
			      "(if intended: meson compile -C BUILD screens)",
			      want_path, line, (int)a, want, (int)b, got_copy);
			return;
		}
		want += a + (want[a] == '\n');
		memmove(got_copy, got_copy + b + (got_copy[b] == '\n'),
			strlen(got_copy + b + (got_copy[b] == '\n')) + 1);
	}
}

static void render_all(const char *outdir, const char *docs, bool regen)
{
	char path[1024], layout_path[1024];
	FILE *layout;

	snprintf(layout_path, sizeof(layout_path), "%s/layout.txt", outdir);
	layout = fopen(layout_path, "we");
	CHECK(layout != NULL, "cannot write %s: %s", layout_path, strerror(errno));
	if (!layout)
		return;
	for (size_t z = 0; z < N_SIZES; z++) {
		int w = sizes[z][0], h = sizes[z][1];
		struct ui_canvas *c;
		struct ui_screen s;
		const char *name;

		CHECK_INT(ui_canvas_new(w, h, &c), 0);
		for (size_t i = 0; ui_screen_sample(i, &s, &name); i++) {
			char file[256];

			CHECK_INT(ui_canvas_render(c, &s, &report), 0);
			snprintf(file, sizeof(file), "%s-%dx%d.png", name, w, h);
			snprintf(path, sizeof(path), "%s/%s", outdir, file);
			CHECK_INT(ui_canvas_write_png(c, path), 0);
			layout_lines(layout, name, w, h);
			check_texts(name, w);
			check_colour(c, &s, name);
			check_words(&s, name);
			if (strcmp(name, "idle-long-line") == 0)
				check_long_line(w);
			if (!regen)
				check_doc_png(docs, file, w, h);
		}
		ui_canvas_free(c);
	}
	fclose(layout);
	if (!regen)
		compare_layout(layout_path, docs);
}

int main(int argc, char **argv)
{
	bool regen = argc == 3 && strcmp(argv[1], "--regen") == 0;
	char tmp[512];

	if (argc != 3) {
		fprintf(stderr, "usage: test_screens OUTDIR DOCSDIR | --regen DOCSDIR\n");
		return 2;
	}
	check_negative();
	if (regen) {
		snprintf(tmp, sizeof(tmp), "%s", argv[2]);
		render_all(tmp, argv[2], true);
		printf("wrote %s\n", argv[2]);
	} else {
		if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		render_all(argv[1], argv[2], false);
	}
	return check_result();
}
