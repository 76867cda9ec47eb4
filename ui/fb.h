/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A Linux framebuffer as memory: its layout comes from the kernel's
 * fb_var_screeninfo and fb_fix_screeninfo (FBIOGET_VSCREENINFO /
 * FBIOGET_FSCREENINFO on /dev/fbN), or, for tests and machines without a
 * panel, from a geometry given for a regular file laid out the same way.
 * Either way the same code maps it and writes pixels: any 16, 24 or 32 bit
 * packed-RGB format the screeninfo describes (RGB565 and XRGB8888 take a
 * fast path), at the visible offset (xoffset, yoffset) and line_length.
 *
 * One writer at a time (the render thread).
 */
#ifndef YKT_FB_H
#define YKT_FB_H

#include "render.h"

#include <stddef.h>

struct ui_fb;

/* A file-backed framebuffer: "PATH,WIDTHxHEIGHT,BPP[,STRIDE]" with BPP 16
 * (RGB565), 24 (RGB888, blue byte first) or 32 (XRGB8888); STRIDE is
 * line_length in bytes (default WIDTH * BPP / 8). */
struct ui_fb_file_spec {
	char path[256];
	int width, height, bpp, stride;
};

/* -EINVAL with a reason in errbuf when malformed. */
int ui_fb_parse_file_spec(const char *args, struct ui_fb_file_spec *ret, char *errbuf,
			  size_t errbuf_len);

/* Open a framebuffer device (reads its screeninfo) or a file of the given
 * layout (created or grown to fit, never shrunk). Caller frees with
 * ui_fb_free(). Errors are negative errno with a reason in errbuf. */
int ui_fb_open_device(const char *path, struct ui_fb **ret_fb, char *errbuf, size_t errbuf_len);
int ui_fb_open_file(const struct ui_fb_file_spec *spec, struct ui_fb **ret_fb, char *errbuf,
		    size_t errbuf_len);
void ui_fb_free(struct ui_fb *fb);

/* The visible resolution. */
void ui_fb_size(const struct ui_fb *fb, int *ret_width, int *ret_height);
int ui_fb_bpp(const struct ui_fb *fb);
/* Byte offset of visible pixel (x, y) in the mapping; -1 outside. */
long ui_fb_offset_of(const struct ui_fb *fb, int x, int y);

/* Copy px into the visible area, converting to the framebuffer's format;
 * what does not overlap is left alone. */
void ui_fb_blit(struct ui_fb *fb, const struct ui_pixels *px);

#endif
