/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The scanner framer, byte by byte with chosen times: one code per scan
 * from whole, split and back-to-back frames; noise, suffixes and a frame
 * that began in noise; oversized frames; hex text lines; the idle time. */
#include "check.h"
#include "scan_frame.h"

#include <string.h>

#define MS 1000000LL

struct got {
	size_t n;
	size_t len[16];
	uint8_t code[16][YKT_SCAN_MAX];
};

static void collect(const uint8_t *code, size_t len, void *userdata)
{
	struct got *g = userdata;

	if (g->n == 16)
		return;
	g->len[g->n] = len;
	if (len)
		memcpy(g->code[g->n], code, len);
	g->n++;
}

/* A frame as a T-Union code starts: version, length, certificate header,
 * then payload bytes without the top bit (so it never looks like a start). */
static size_t make_frame(uint8_t *out, uint8_t version, size_t total, uint8_t seed)
{
	out[0] = version;
	out[1] = (uint8_t)((total - 3) >> 8);
	out[2] = (uint8_t)(total - 3);
	out[3] = 0x24;
	for (size_t i = 4; i < total; i++)
		out[i] = (uint8_t)((seed + i * 7) & 0x7f);
	return total;
}

static void feed(struct scan_framer *f, const void *p, size_t n, int64_t at, struct got *g)
{
	scan_framer_feed(f, p, n, at, collect, g);
}

static void whole_and_split(void)
{
	struct scan_framer f;
	struct got g = { 0 };
	uint8_t code[400];
	size_t n = make_frame(code, 0x80, 340, 1);

	scan_framer_init(&f, false, 50);
	CHECK_INT(scan_framer_deadline(&f), -1);
	feed(&f, code, n, 0, &g);
	CHECK_INT(g.n, 1);
	CHECK_INT(g.len[0], 340);
	CHECK(!memcmp(g.code[0], code, n), "the frame as sent");
	CHECK_INT(scan_framer_deadline(&f), -1);

	/* byte by byte, 1 ms apart: one code, at the last byte */
	memset(&g, 0, sizeof(g));
	for (size_t i = 0; i < n; i++) {
		feed(&f, code + i, 1, (int64_t)(10 + i) * MS, &g);
		CHECK_INT(g.n, i + 1 == n ? 1 : 0);
	}
	CHECK(g.n == 1 && !memcmp(g.code[0], code, n), "byte by byte");

	/* three reads: head split inside the length field */
	memset(&g, 0, sizeof(g));
	feed(&f, code, 2, 1000 * MS, &g);
	CHECK_INT(scan_framer_deadline(&f), 1050 * MS);
	feed(&f, code + 2, 100, 1010 * MS, &g);
	feed(&f, code + 102, n - 102, 1020 * MS, &g);
	CHECK(g.n == 1 && g.len[0] == n && !memcmp(g.code[0], code, n), "three reads");
}

static void back_to_back(void)
{
	struct scan_framer f;
	struct got g = { 0 };
	uint8_t buf[1200];
	size_t a, b;

	scan_framer_init(&f, false, 50);
	a = make_frame(buf, 0x80, 332, 2);
	buf[a] = '\r';
	buf[a + 1] = '\n';
	b = make_frame(buf + a + 2, 0x81, 364, 3);
	make_frame(buf + a + 2 + b, 0x80, 340, 4);
	feed(&f, buf, a + 2 + b + 340, 0, &g);
	CHECK_INT(g.n, 3);
	CHECK_INT(g.len[0], 332);
	CHECK_INT(g.len[1], 364);
	CHECK_INT(g.len[2], 340);
	CHECK_INT(g.code[1][0], 0x81);
	CHECK_INT(f.codes, 3);
	/* the CR LF suffix was noise, not an unreadable scan */
	scan_framer_idle(&f, collect, &g);
	CHECK_INT(g.n, 3);
}

static void garbage(void)
{
	static const uint8_t noise[] = { 0x00, 0x13, 0xff, 0x80, 0x00,
					 0x10, 0x24,		 /* total 19 */
					 0x81, 0x05, 0x00, 0x24, /* 1283 */
					 0x80, 0x01, 0x50, 0x00, /* no 24 */ 0x0d };
	struct scan_framer f;
	struct got g = { 0 };
	uint8_t buf[600], code[400];
	size_t n = make_frame(code, 0x80, 350, 5);

	scan_framer_init(&f, false, 50);
	memcpy(buf, noise, sizeof(noise));
	memcpy(buf + sizeof(noise), code, n);
	feed(&f, buf, sizeof(noise) + n, 0, &g);
	CHECK_INT(g.n, 1);
	CHECK(g.len[0] == n && !memcmp(g.code[0], code, n), "the code after the noise");
	CHECK_INT(f.dropped_bytes, sizeof(noise));

	/* a short burst of noise alone: dropped without a word */
	memset(&g, 0, sizeof(g));
	feed(&f, noise, 8, 100 * MS, &g);
	CHECK(scan_framer_deadline(&f) == 150 * MS, "noise pending");
	scan_framer_idle(&f, collect, &g);
	CHECK_INT(g.n, 0);
	CHECK_INT(scan_framer_deadline(&f), -1);

	/* a foreign code's text: one unreadable scan when the line goes quiet */
	feed(&f, "https://example.invalid/pay?id=123456", 37, 200 * MS, &g);
	CHECK_INT(g.n, 0);
	scan_framer_idle(&f, collect, &g);
	CHECK_INT(g.n, 1);
	CHECK_INT(g.len[0], 0);
	CHECK_INT(f.unreadable, 1);
}

/* A start in noise that swallows the real code's head: when the line goes
 * quiet the pending bytes are searched again and the code comes out. */
static void false_start(void)
{
	static const uint8_t fake[] = { 0x81, 0x01, 0x66, 0x24 }; /* 361 bytes */
	struct scan_framer f;
	struct got g = { 0 };
	uint8_t buf[600], code[400];
	size_t n = make_frame(code, 0x80, 340, 6);

	scan_framer_init(&f, false, 50);
	memcpy(buf, fake, sizeof(fake));
	memcpy(buf + sizeof(fake), code, n);
	feed(&f, buf, sizeof(fake) + n, 0, &g);
	CHECK_INT(g.n, 0);
	scan_framer_idle(&f, collect, &g);
	CHECK_INT(g.n, 1);
	CHECK(g.len[0] == n && !memcmp(g.code[0], code, n), "the code inside the false frame");

	/* the same, with the quiet time seen only when the next scan comes:
	 * the stale bytes are settled before the new ones count */
	memset(&g, 0, sizeof(g));
	feed(&f, buf, sizeof(fake) + 20, 1000 * MS, &g);
	feed(&f, code, n, 1200 * MS, &g);
	CHECK_INT(g.n, 2);
	CHECK_INT(g.len[0], 0); /* 24 stale bytes: more than noise */
	CHECK(g.len[1] == n && !memcmp(g.code[1], code, n), "the next scan");
}

static void oversized(void)
{
	struct scan_framer f;
	struct got g = { 0 };
	uint8_t big[1100], code[400];
	size_t n = make_frame(code, 0x81, 360, 7);

	/* declares 1003 bytes: never a frame; its bytes are noise */
	scan_framer_init(&f, false, 50);
	memset(big, 0, sizeof(big));
	big[0] = 0x80;
	big[1] = 0x03;
	big[2] = 0xe8;
	big[3] = 0x24;
	feed(&f, big, 1003, 0, &g);
	CHECK_INT(g.n, 0);
	scan_framer_idle(&f, collect, &g);
	CHECK_INT(g.n, 1);
	CHECK_INT(g.len[0], 0);

	/* followed at once by a good code: only the code */
	memset(&g, 0, sizeof(g));
	memcpy(big + 1003 - 900, code, n); /* inside the same burst */
	feed(&f, big, 1003 - 900 + n, 1000 * MS, &g);
	CHECK_INT(g.n, 1);
	CHECK(g.len[0] == n && !memcmp(g.code[0], code, n), "the code after the oversized frame");

	/* 512 bytes is the most a frame may be: delivered (the parser refuses
	 * what is longer than a T-Union code); 513 is not */
	memset(&g, 0, sizeof(g));
	n = make_frame(big, 0x80, YKT_SCAN_MAX, 8);
	feed(&f, big, n, 2000 * MS, &g);
	CHECK(g.n == 1 && g.len[0] == YKT_SCAN_MAX, "a 512-byte frame");
	n = make_frame(big, 0x80, YKT_SCAN_MAX + 1, 8);
	feed(&f, big, n, 3000 * MS, &g);
	scan_framer_idle(&f, collect, &g);
	CHECK(g.n == 2 && g.len[1] == 0, "a 513-byte frame is noise");
}

static void hex_lines(void)
{
	struct scan_framer f;
	struct got g = { 0 };
	char line[1700];

	scan_framer_init(&f, true, 50);
	feed(&f, "\r\n8001a2ff\r\n", 12, 0, &g);
	CHECK_INT(g.n, 1);
	CHECK_HEX(g.code[0], g.len[0], "80 01 A2 FF");
	/* spaces between bytes, LF only, split reads */
	feed(&f, "80 01 ", 6, 1 * MS, &g);
	feed(&f, "24\n", 3, 2 * MS, &g);
	CHECK(g.n == 2 && g.len[1] == 3, "spaced hex");
	/* not hex: unreadable */
	feed(&f, "https://example.invalid/\r\n", 26, 3 * MS, &g);
	CHECK(g.n == 3 && g.len[2] == 0, "a URL line");
	/* odd digit count: unreadable */
	feed(&f, "801\n", 4, 4 * MS, &g);
	CHECK(g.n == 4 && g.len[3] == 0, "odd hex");
	/* 513 bytes of hex: unreadable, and the next line is fine */
	memset(line, 'A', 2 * (YKT_SCAN_MAX + 1));
	line[2 * (YKT_SCAN_MAX + 1)] = '\n';
	feed(&f, line, 2 * (YKT_SCAN_MAX + 1) + 1, 5 * MS, &g);
	CHECK(g.n == 5 && g.len[4] == 0, "513 bytes of hex");
	memset(line, 'B', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	feed(&f, line, sizeof(line), 6 * MS, &g);
	CHECK(g.n == 6 && g.len[5] == 0, "a line longer than the buffer");
	feed(&f, "0102\n", 5, 7 * MS, &g);
	CHECK(g.n == 7 && g.len[6] == 2, "the line after");
	/* no suffix at all: the quiet time ends the line */
	feed(&f, "ABCD", 4, 8 * MS, &g);
	CHECK_INT(g.n, 7);
	CHECK_INT(scan_framer_deadline(&f), 58 * MS);
	scan_framer_idle(&f, collect, &g);
	CHECK(g.n == 8 && g.len[7] == 2, "a line ended by the quiet time");
}

int main(void)
{
	whole_and_split();
	back_to_back();
	garbage();
	false_start();
	oversized();
	hex_lines();
	return check_result();
}
