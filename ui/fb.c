/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct ui_fb {
	int fd;
	uint8_t *map;
	size_t map_len;
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	size_t origin; /* byte offset of the visible area's first pixel */
};

int ui_fb_parse_file_spec(const char *args, struct ui_fb_file_spec *ret, char *errbuf,
			  size_t errbuf_len)
{
	struct ui_fb_file_spec s = { 0 };
	size_t path_len = strcspn(args, ",");
	char extra;
	int n;

	if (path_len == 0 || path_len >= sizeof(s.path) || args[path_len] != ',') {
		snprintf(errbuf, errbuf_len, "expected PATH,WIDTHxHEIGHT,BPP[,STRIDE], got '%s'",
			 args);
		return -EINVAL;
	}
	memcpy(s.path, args, path_len);
	n = sscanf(args + path_len + 1, "%dx%d,%d,%d%c", &s.width, &s.height, &s.bpp, &s.stride,
		   &extra);
	if (n == 3)
		s.stride = s.width * (s.bpp / 8);
	if ((n != 3 && n != 4) || s.width < 1 || s.height < 1 || s.width > UI_CANVAS_MAX_W ||
	    s.height > UI_CANVAS_MAX_H || (s.bpp != 16 && s.bpp != 24 && s.bpp != 32) ||
	    s.stride < s.width * (s.bpp / 8) || s.stride > 4 * UI_CANVAS_MAX_W + 4096) {
		snprintf(errbuf, errbuf_len,
			 "'%s': need WIDTHxHEIGHT (1..4096), BPP 16, 24 or 32, STRIDE >= a row",
			 args + path_len + 1);
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

static void bitfield(struct fb_bitfield *f, unsigned offset, unsigned length)
{
	f->offset = offset;
	f->length = length;
	f->msb_right = 0;
}

/* the screeninfo a kernel driver would report for such a panel */
static void file_screeninfo(const struct ui_fb_file_spec *s, struct fb_var_screeninfo *var,
			    struct fb_fix_screeninfo *fix)
{
	memset(var, 0, sizeof(*var));
	memset(fix, 0, sizeof(*fix));
	var->xres = var->xres_virtual = (unsigned)s->width;
	var->yres = var->yres_virtual = (unsigned)s->height;
	var->bits_per_pixel = (unsigned)s->bpp;
	if (s->bpp == 16) {
		bitfield(&var->red, 11, 5);
		bitfield(&var->green, 5, 6);
		bitfield(&var->blue, 0, 5);
	} else {
		bitfield(&var->red, 16, 8);
		bitfield(&var->green, 8, 8);
		bitfield(&var->blue, 0, 8);
	}
	snprintf(fix->id, sizeof(fix->id), "ykt-file");
	fix->type = FB_TYPE_PACKED_PIXELS;
	fix->visual = FB_VISUAL_TRUECOLOR;
	fix->line_length = (unsigned)s->stride;
	fix->smem_len = (unsigned)s->stride * (unsigned)s->height;
}

static bool field_ok(const struct fb_bitfield *f, unsigned bpp)
{
	return f->length >= 1 && f->length <= 8 && f->offset + f->length <= bpp && !f->msb_right;
}

/* Check the layout is one we can write and fits the mapping. */
static int fb_check(struct ui_fb *fb, char *errbuf, size_t errbuf_len)
{
	const struct fb_var_screeninfo *v = &fb->var;
	unsigned bpp = v->bits_per_pixel;
	size_t bytes = bpp / 8, end;

	if ((bpp != 16 && bpp != 24 && bpp != 32) || fb->fix.type != FB_TYPE_PACKED_PIXELS ||
	    !field_ok(&v->red, bpp) || !field_ok(&v->green, bpp) || !field_ok(&v->blue, bpp)) {
		snprintf(errbuf, errbuf_len, "unsupported pixel format (%u bpp, type %u)", bpp,
			 fb->fix.type);
		return -ENOTSUP;
	}
	if (v->xres < 1 || v->yres < 1 || v->xres > UI_CANVAS_MAX_W || v->yres > UI_CANVAS_MAX_H ||
	    fb->fix.line_length < v->xres * bytes) {
		snprintf(errbuf, errbuf_len, "bad geometry %ux%u, line length %u", v->xres, v->yres,
			 fb->fix.line_length);
		return -EINVAL;
	}
	fb->origin = (size_t)v->yoffset * fb->fix.line_length + (size_t)v->xoffset * bytes;
	end = fb->origin + (size_t)(v->yres - 1) * fb->fix.line_length + (size_t)v->xres * bytes;
	if (end > fb->map_len) {
		snprintf(errbuf, errbuf_len, "visible area (%zu bytes) beyond memory (%zu)", end,
			 fb->map_len);
		return -EINVAL;
	}
	return 0;
}

static int fb_map(struct ui_fb *fb, size_t len, char *errbuf, size_t errbuf_len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fb->fd, 0);

	if (p == MAP_FAILED) {
		int err = errno;

		snprintf(errbuf, errbuf_len, "mmap: %s", strerror(err));
		return -err;
	}
	fb->map = p;
	fb->map_len = len;
	return fb_check(fb, errbuf, errbuf_len);
}

static int fb_new(const char *path, int flags, struct ui_fb **ret, char *errbuf, size_t n)
{
	struct ui_fb *fb = calloc(1, sizeof(*fb));
	int err;

	if (!fb)
		return -ENOMEM;
	fb->fd = open(path, flags | O_CLOEXEC, 0644);
	if (fb->fd < 0) {
		err = errno;
		snprintf(errbuf, n, "%s: %s", path, strerror(err));
		free(fb);
		return -err;
	}
	*ret = fb;
	return 0;
}

int ui_fb_open_device(const char *path, struct ui_fb **ret_fb, char *errbuf, size_t errbuf_len)
{
	struct ui_fb *fb;
	int r = fb_new(path, O_RDWR, &fb, errbuf, errbuf_len);

	if (r < 0)
		return r;
	if (ioctl(fb->fd, FBIOGET_VSCREENINFO, &fb->var) < 0 ||
	    ioctl(fb->fd, FBIOGET_FSCREENINFO, &fb->fix) < 0) {
		r = -errno;
		snprintf(errbuf, errbuf_len, "%s is not a framebuffer: %s", path, strerror(-r));
	} else {
		r = fb_map(fb, fb->fix.smem_len, errbuf, errbuf_len);
	}
	if (r < 0) {
		ui_fb_free(fb);
		return r;
	}
	*ret_fb = fb;
	return 0;
}

int ui_fb_open_file(const struct ui_fb_file_spec *spec, struct ui_fb **ret_fb, char *errbuf,
		    size_t errbuf_len)
{
	struct ui_fb *fb;
	struct stat st;
	int r = fb_new(spec->path, O_RDWR | O_CREAT, &fb, errbuf, errbuf_len);

	if (r < 0)
		return r;
	file_screeninfo(spec, &fb->var, &fb->fix);
	if (fstat(fb->fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (st.st_size < (off_t)fb->fix.smem_len && ftruncate(fb->fd, fb->fix.smem_len) < 0)
		r = -errno;
	if (r < 0)
		snprintf(errbuf, errbuf_len, "%s: not a regular file of %u bytes: %s", spec->path,
			 fb->fix.smem_len, strerror(-r));
	else
		r = fb_map(fb, fb->fix.smem_len, errbuf, errbuf_len);
	if (r < 0) {
		ui_fb_free(fb);
		return r;
	}
	*ret_fb = fb;
	return 0;
}

void ui_fb_free(struct ui_fb *fb)
{
	if (!fb)
		return;
	if (fb->map)
		munmap(fb->map, fb->map_len);
	close(fb->fd);
	free(fb);
}

void ui_fb_size(const struct ui_fb *fb, int *ret_width, int *ret_height)
{
	*ret_width = (int)fb->var.xres;
	*ret_height = (int)fb->var.yres;
}

int ui_fb_bpp(const struct ui_fb *fb)
{
	return (int)fb->var.bits_per_pixel;
}

long ui_fb_offset_of(const struct ui_fb *fb, int x, int y)
{
	if (x < 0 || y < 0 || (unsigned)x >= fb->var.xres || (unsigned)y >= fb->var.yres)
		return -1;
	return (long)(fb->origin + (size_t)y * fb->fix.line_length +
		      (size_t)x * (fb->var.bits_per_pixel / 8));
}

/* 8-bit channel c into a field of the screeninfo */
static uint32_t pack(unsigned c, const struct fb_bitfield *f)
{
	return (uint32_t)(c >> (8 - f->length)) << f->offset;
}

static uint32_t convert(uint32_t xrgb, const struct fb_var_screeninfo *v)
{
	return pack((xrgb >> 16) & 0xff, &v->red) | pack((xrgb >> 8) & 0xff, &v->green) |
	       pack(xrgb & 0xff, &v->blue);
}

static bool is_format(const struct fb_var_screeninfo *v, unsigned bpp, unsigned r, unsigned g,
		      unsigned b, unsigned rl, unsigned gl, unsigned bl)
{
	return v->bits_per_pixel == bpp && v->red.offset == r && v->green.offset == g &&
	       v->blue.offset == b && v->red.length == rl && v->green.length == gl &&
	       v->blue.length == bl;
}

static void blit_row_565(uint8_t *dst, const uint32_t *src, int n)
{
	for (int x = 0; x < n; x++) {
		uint32_t p = src[x];
		uint16_t q =
		    (uint16_t)(((p >> 8) & 0xF800) | ((p >> 5) & 0x07E0) | ((p >> 3) & 0x1F));

		memcpy(dst + 2 * x, &q, 2);
	}
}

static void blit_row(const struct ui_fb *fb, uint8_t *dst, const uint32_t *src, int n)
{
	const struct fb_var_screeninfo *v = &fb->var;

	if (is_format(v, 32, 16, 8, 0, 8, 8, 8)) {
		memcpy(dst, src, (size_t)n * 4); /* XRGB8888 is cairo's own layout */
		return;
	}
	if (is_format(v, 16, 11, 5, 0, 5, 6, 5)) {
		blit_row_565(dst, src, n);
		return;
	}
	for (int x = 0; x < n; x++) {
		uint32_t p = convert(src[x], v);

		if (v->bits_per_pixel == 16) {
			uint16_t q = (uint16_t)p;

			memcpy(dst + 2 * x, &q, 2);
		} else if (v->bits_per_pixel == 32) {
			memcpy(dst + 4 * x, &p, 4);
		} else { /* 24 bpp, little-endian byte order */
			dst[3 * x] = (uint8_t)p;
			dst[3 * x + 1] = (uint8_t)(p >> 8);
			dst[3 * x + 2] = (uint8_t)(p >> 16);
		}
	}
}

void ui_fb_blit(struct ui_fb *fb, const struct ui_pixels *px)
{
	int w = px->width < (int)fb->var.xres ? px->width : (int)fb->var.xres;
	int h = px->height < (int)fb->var.yres ? px->height : (int)fb->var.yres;

	for (int y = 0; y < h; y++)
		blit_row(fb, fb->map + fb->origin + (size_t)y * fb->fix.line_length,
			 (const uint32_t *)(px->data + (size_t)y * px->stride), w);
}
