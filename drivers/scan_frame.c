/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A scanner's byte stream into one code per scan.  See scan_frame.h. */
#include "scan_frame.h"

#include "bytes.h"

#include <string.h>

void scan_framer_init(struct scan_framer *f, bool hex, int idle_ms)
{
	memset(f, 0, sizeof(*f));
	f->hex = hex;
	f->idle_ns = (int64_t)idle_ms * 1000000;
}

static void emit_unreadable(struct scan_framer *f, scan_emit_cb emit, void *userdata)
{
	f->unreadable++;
	emit(NULL, 0, userdata);
}

/* ---- binary: version, length, certificate header ---- */

/* The frame's total length once its first three bytes are in. */
static size_t frame_total(const struct scan_framer *f)
{
	return (size_t)ykt_be16(f->buf + 1) + 3;
}

/* false when the bytes collected so far cannot start a frame */
static bool frame_start_ok(const struct scan_framer *f)
{
	size_t total;

	if (!(f->buf[0] & 0x80))
		return false;
	if (f->len < 3)
		return true;
	total = frame_total(f);
	if (total < SCAN_FRAME_MIN || total > YKT_SCAN_MAX)
		return false;
	return f->len < 4 || f->buf[3] == SCAN_FRAME_CERT_HEADER;
}

/* Drop the first byte until what is left can start a frame (at most four
 * bytes are ever examined here: a frame is checked as its head arrives). */
static void frame_hunt(struct scan_framer *f)
{
	while (f->len && !frame_start_ok(f)) {
		memmove(f->buf, f->buf + 1, f->len - 1);
		f->len--;
		f->junk++;
		f->dropped_bytes++;
	}
}

static void binary_byte(struct scan_framer *f, uint8_t b, scan_emit_cb emit, void *userdata)
{
	f->buf[f->len++] = b;
	if (f->len <= 4)
		frame_hunt(f);
	if (f->len >= 4 && f->len == frame_total(f)) {
		f->codes++;
		f->junk = 0; /* what came before was a suffix or noise */
		f->len = 0;
		emit(f->buf, frame_total(f), userdata);
	}
}

static void binary_feed(struct scan_framer *f, const uint8_t *p, size_t n, scan_emit_cb emit,
			void *userdata)
{
	for (size_t i = 0; i < n; i++)
		binary_byte(f, p[i], emit, userdata);
}

/* A frame that never completed may have started in noise: look for a
 * frame starting after its first byte, until nothing is pending. */
static void binary_idle(struct scan_framer *f, scan_emit_cb emit, void *userdata)
{
	uint8_t rest[sizeof(f->buf)];
	size_t n;

	while (f->len) {
		n = f->len - 1;
		memcpy(rest, f->buf + 1, n);
		f->len = 0;
		f->junk++;
		f->dropped_bytes++;
		binary_feed(f, rest, n, emit, userdata);
	}
	if (f->junk >= SCAN_FRAME_UNREADABLE_MIN)
		emit_unreadable(f, emit, userdata);
	f->junk = 0;
}

/* ---- hex text lines ---- */

static void hex_line_end(struct scan_framer *f, scan_emit_cb emit, void *userdata)
{
	uint8_t code[YKT_SCAN_MAX];
	int n;

	if (f->overlong) {
		f->overlong = false;
		f->len = 0;
		emit_unreadable(f, emit, userdata);
		return;
	}
	if (!f->len)
		return; /* an empty line: CR LF, or a lone suffix */
	f->buf[f->len] = '\0';
	n = ykt_hex_decode_var((const char *)f->buf, code, sizeof(code));
	f->len = 0;
	if (n <= 0) {
		emit_unreadable(f, emit, userdata);
		return;
	}
	f->codes++;
	emit(code, (size_t)n, userdata);
}

static void hex_feed(struct scan_framer *f, const uint8_t *p, size_t n, scan_emit_cb emit,
		     void *userdata)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\r' || p[i] == '\n') {
			hex_line_end(f, emit, userdata);
		} else if (f->overlong || f->len == sizeof(f->buf) - 1) {
			f->overlong = true;
			f->dropped_bytes++;
		} else {
			f->buf[f->len++] = p[i];
		}
	}
}

/* ---- both ---- */

static bool pending(const struct scan_framer *f)
{
	return f->len || f->junk || f->overlong;
}

void scan_framer_idle(struct scan_framer *f, scan_emit_cb emit, void *userdata)
{
	if (f->hex)
		hex_line_end(f, emit, userdata);
	else
		binary_idle(f, emit, userdata);
}

void scan_framer_feed(struct scan_framer *f, const uint8_t *p, size_t n, int64_t now_ns,
		      scan_emit_cb emit, void *userdata)
{
	if (!n)
		return;
	if (pending(f) && now_ns - f->last_ns > f->idle_ns)
		scan_framer_idle(f, emit, userdata);
	f->last_ns = now_ns;
	if (f->hex)
		hex_feed(f, p, n, emit, userdata);
	else
		binary_feed(f, p, n, emit, userdata);
}

int64_t scan_framer_deadline(const struct scan_framer *f)
{
	return pending(f) ? f->last_ns + f->idle_ns : -1;
}
