/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The framebuffer path against a file laid out as a framebuffer:
 *   - RGB565, RGB888 and XRGB8888 pixels land at y * line_length + x * bytes, with
 *     the right value, and padding at the end of each line is untouched;
 *   - a rendered screen shown through fbfile: is the canvas, pixel for
 *     pixel (32 bpp) or converted (16 bpp);
 *   - malformed fbfile: arguments, and fb: on something that is not a
 *     framebuffer, are refused with a reason;
 *   - the display URIs: none, text:, png: open and show; unknown ones do not.
 */
#include "check.h"
#include "display.h"
#include "fb.h"
#include "render.h"
#include "screen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[512];

/* A 8x4 test image: each pixel's colour is a function of x and y. */
#define TW 8
#define TH 4

static uint32_t test_colour(int x, int y)
{
	static const uint32_t palette[] = { 0xFF0000, 0x00FF00, 0x0000FF, 0xFFFFFF,
					    0x000000, 0x123456, 0x80C0E0, 0xF8FCF8 };

	return palette[(x + 3 * y) % 8];
}

static void test_pixels(uint32_t *buf, struct ui_pixels *px)
{
	for (int y = 0; y < TH; y++)
		for (int x = 0; x < TW; x++)
			buf[y * TW + x] = test_colour(x, y);
	*px = (struct ui_pixels){ (const uint8_t *)buf, TW, TH, TW * 4 };
}

static uint16_t rgb565(uint32_t rgb)
{
	return (uint16_t)(((rgb >> 8) & 0xF800) | ((rgb >> 5) & 0x07E0) | ((rgb >> 3) & 0x001F));
}

static size_t file_read(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* bpp 16 or 32; stride 0 = packed */
static void check_layout(int bpp, int stride)
{
	int bytes = bpp / 8, line = stride ? stride : TW * bytes;
	char args[768], err[256], path[600];
	struct ui_fb_file_spec spec;
	struct ui_fb *fb = NULL;
	uint32_t src[TW * TH];
	static uint8_t file[1 << 16];
	struct ui_pixels px;
	int fd;

	snprintf(path, sizeof(path), "%s/fb%d-%d", dir, bpp, stride);
	/* the file starts filled with 0xAA: what the blit must not touch stays so */
	memset(file, 0xAA, (size_t)line * TH);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, file, (size_t)line * TH) == line * TH, "prefill");
	close(fd);
	if (stride)
		snprintf(args, sizeof(args), "%s,%dx%d,%d,%d", path, TW, TH, bpp, stride);
	else
		snprintf(args, sizeof(args), "%s,%dx%d,%d", path, TW, TH, bpp);
	CHECK_INT(ui_fb_parse_file_spec(args, &spec, err, sizeof(err)), 0);
	CHECK_INT(ui_fb_open_file(&spec, &fb, err, sizeof(err)), 0);
	if (!fb)
		return;
	CHECK_INT(ui_fb_bpp(fb), bpp);
	CHECK_INT(ui_fb_offset_of(fb, 3, 2), 2 * line + 3 * bytes);
	CHECK_INT(ui_fb_offset_of(fb, TW, 0), -1);
	test_pixels(src, &px);
	ui_fb_blit(fb, &px);
	ui_fb_free(fb);

	CHECK_INT(file_read(path, file, sizeof(file)), line * TH);
	for (int y = 0; y < TH; y++) {
		for (int x = 0; x < TW; x++) {
			const uint8_t *p = file + y * line + x * bytes;
			uint32_t want = test_colour(x, y), got32;
			uint16_t got16;

			if (bpp == 16) {
				memcpy(&got16, p, 2);
				CHECK(got16 == rgb565(want), "565 (%d,%d): %04X, want %04X", x, y,
				      got16, rgb565(want));
			} else if (bpp == 24) { /* little-endian: blue, green, red */
				got32 = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
				CHECK(got32 == want, "888 (%d,%d): %06X, want %06X", x, y, got32,
				      want);
			} else {
				memcpy(&got32, p, 4);
				CHECK((got32 & 0xFFFFFF) == want, "8888 (%d,%d): %08X, want %06X",
				      x, y, got32, want);
			}
		}
		for (int b = TW * bytes; b < line; b++)
			CHECK(file[y * line + b] == 0xAA, "padding of line %d byte %d written", y,
			      b);
	}
}

static void check_bad_specs(void)
{
	static const char *const bad[] = {
		"",
		"/x",
		"/x,800x480",
		"/x,800x480,12",
		"/x,0x480,16",
		"/x,800x0,32",
		"/x,800x480,16,100",
		"/x,99999x1,32",
		"/x,800x480,32,3200,9",
	};
	struct ui_fb_file_spec spec;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(ui_fb_parse_file_spec(bad[i], &spec, err, sizeof(err)) == -EINVAL && err[0],
		      "'%s' accepted", bad[i]);
	}
	CHECK_INT(ui_fb_parse_file_spec("/x,800x480,16", &spec, err, sizeof(err)), 0);
	CHECK_INT(spec.stride, 1600);
}

/* fb: reads the kernel's screeninfo: a regular file has none */
static void check_not_a_framebuffer(void)
{
	struct ykt_display *d = NULL;
	char uri[600], path[560], err[256] = "";

	snprintf(path, sizeof(path), "%s/plain", dir);
	check_write_file(dir, "plain", "not a framebuffer", path, sizeof(path));
	snprintf(uri, sizeof(uri), "fb:%s", path);
	CHECK(ykt_display_open(uri, &d, err, sizeof(err)) < 0, "fb: opened a regular file");
	CHECK(strstr(err, "not a framebuffer") != NULL, "reason: '%s'", err);
	snprintf(uri, sizeof(uri), "fb:%s/missing", dir);
	CHECK_INT(ykt_display_open(uri, &d, err, sizeof(err)), -ENOENT);
}

/* a rendered screen through the display API lands as the canvas's pixels */
static void check_display_fbfile(int bpp)
{
	struct ykt_display *d = NULL;
	struct ui_canvas *c = NULL;
	struct ui_screen s;
	struct ui_pixels px;
	const char *name;
	char uri[600], path[560], err[256];
	int w, h, bytes = bpp / 8, bad = 0;
	uint8_t *file = malloc(480 * 272 * 4);

	snprintf(path, sizeof(path), "%s/panel%d", dir, bpp);
	snprintf(uri, sizeof(uri), "fbfile:%s,480x272,%d", path, bpp);
	CHECK_INT(ykt_display_open(uri, &d, err, sizeof(err)), 0);
	if (!d || !file) {
		free(file);
		return;
	}
	CHECK(ykt_display_wants_pixels(d), "fbfile: wants no pixels");
	ykt_display_size(d, &w, &h);
	CHECK(w == 480 && h == 272, "size %dx%d", w, h);
	ui_screen_sample(2, &s, &name);
	CHECK_INT(ui_canvas_new(w, h, &c), 0);
	CHECK_INT(ui_canvas_render(c, &s, NULL), 0);
	CHECK_INT(ykt_display_present(d, &s, c), 0);
	ykt_display_free(d);
	ui_canvas_pixels(c, &px);
	CHECK_INT(file_read(path, file, 480 * 272 * 4), 480 * 272 * bytes);
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			uint32_t want, got = 0;

			memcpy(&want, px.data + y * px.stride + x * 4, 4);
			memcpy(&got, file + (y * w + x) * bytes, bytes);
			want &= 0xFFFFFF;
			bad += bpp == 32 ? (got & 0xFFFFFF) != want : got != rgb565(want);
		}
	}
	CHECK(bad == 0, "%d of %d pixels differ at %d bpp", bad, w * h, bpp);
	ui_canvas_free(c);
	free(file);
}

static void check_uris(void)
{
	static const char *const good[] = { "none", "text:", "png:/tmp", "fb:", "fbfile:/x" };
	static const char *const unknown[] = { "", "nothing", "lcd:/dev/fb0", "text", "PNG:/tmp" };
	struct ykt_display *d = NULL;
	char uri[600], err[256];
	struct ui_screen s;
	const char *name;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(ykt_display_scheme_known(good[i]), "'%s' unknown", good[i]);
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		CHECK(!ykt_display_scheme_known(unknown[i]), "'%s' known", unknown[i]);
		CHECK_INT(ykt_display_open(unknown[i], &d, err, sizeof(err)), -ENOENT);
	}
	CHECK_INT(ykt_display_open("none", &d, err, sizeof(err)), 0);
	CHECK(d && ykt_display_is_none(d) && !ykt_display_wants_pixels(d), "none");
	ykt_display_free(d);
	snprintf(uri, sizeof(uri), "png:%s,320x240", dir);
	CHECK_INT(ykt_display_open(uri, &d, err, sizeof(err)), 0);
	if (d) {
		int w, h;
		struct ui_canvas *c;

		ykt_display_size(d, &w, &h);
		CHECK(w == 320 && h == 240, "png size %dx%d", w, h);
		ui_screen_sample(0, &s, &name);
		CHECK_INT(ui_canvas_new(w, h, &c), 0);
		CHECK_INT(ui_canvas_render(c, &s, NULL), 0);
		CHECK_INT(ykt_display_present(d, &s, c), 0);
		snprintf(uri, sizeof(uri), "%s/screen.png", dir);
		CHECK(access(uri, R_OK) == 0, "no %s", uri);
		ui_canvas_free(c);
		ykt_display_free(d);
	}
	snprintf(uri, sizeof(uri), "png:%s,big", dir);
	CHECK_INT(ykt_display_open(uri, &d, err, sizeof(err)), -EINVAL);
	CHECK_INT(ykt_display_open("png:/nonexistent-dir", &d, err, sizeof(err)), -ENOTDIR);
}

int main(void)
{
	check_tmpdir(dir, sizeof(dir));
	check_layout(16, 0);
	check_layout(32, 0);
	check_layout(24, 0);	      /* the general conversion, by the screeninfo's bit fields */
	check_layout(16, TW * 2 + 6); /* line_length with padding, as panels have */
	check_layout(32, TW * 4 + 16);
	check_bad_specs();
	check_not_a_framebuffer();
	check_display_fbfile(16);
	check_display_fbfile(32);
	check_uris();
	check_rm_rf(dir);
	return check_result();
}
