/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: T-Union QR codes as a scanner delivers them.  The input
 * is what the scanner module sent:
 *   - the whole input as one code: qr_parse() returns 0 or YKT_E_PARSE with
 *     a one-line reason; a parsed code's fields and signed spans lie inside
 *     the input, and qr_verify() (against a fixed root key, the SM2
 *     generator) gives one of its verdicts whatever the points and
 *     signatures say;
 *   - the input as a byte stream, in chunks the first byte sizes, through
 *     the scanner framer in binary and in hex mode: every scan it emits
 *     fits YKT_SCAN_MAX, a binary frame is as long as its length field
 *     says, and every emitted code goes through qr_parse() too.
 */
#include "qr.h"
#include "scan_frame.h"
#include "ykt_error.h"

#include <stdlib.h>
#include <string.h>

#define MUST(cond)                                                                                 \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

/* the SM2 generator, compressed: a root key on the curve */
static const struct qr_root_key root = {
	.version = QR_VERSION_INTERCONNECT,
	.index = 1,
	.pubkey = { 0x02, 0x32, 0xC4, 0xAE, 0x2C, 0x1F, 0x19, 0x81, 0x19, 0x5F, 0x99,
		    0x04, 0x46, 0x6A, 0x39, 0xC9, 0x94, 0x8F, 0xE3, 0x0B, 0xBF, 0xF2,
		    0x66, 0x0B, 0xE1, 0x71, 0x5A, 0x45, 0x89, 0x33, 0x4C, 0x74, 0xC7 },
	.pubkey_len = 33,
	.expiry_utc = 1924963199,
};

static bool span_inside(struct qr_span s, size_t len)
{
	return (size_t)s.off + s.len <= len;
}

static void one_code(const uint8_t *p, size_t n, bool verify)
{
	struct qr_policy policy = { .now_utc = 1795217400,
				    .future_tolerance_s = 20,
				    .fare_fen = 200 };
	struct qr_code c;
	char why[128];

	why[0] = 'x';
	if (qr_parse(p, n, &c, why, sizeof(why)) != 0) {
		MUST(why[0] && why[0] != 'x' && !strchr(why, '\n'));
		return;
	}
	MUST(n >= QR_MIN_LEN && n <= QR_MAX_LEN && c.len == n);
	MUST(c.custom_len <= QR_CUSTOM_MAX && n == (size_t)QR_MIN_LEN + c.custom_len);
	MUST(c.version == QR_VERSION_INTERCONNECT || c.version == QR_VERSION_LOCAL);
	MUST(c.cert_expiry_month >= 1 && c.cert_expiry_month <= 12);
	MUST(span_inside(c.cert_signed, n) && span_inside(c.issuer_signed, n) &&
	     span_inside(c.user_signed, n));
	if (verify)
		MUST((unsigned)qr_verify(p, &c, &root, 1, &policy) < QR__VERDICT_COUNT);
}

struct stream {
	bool hex;
};

static void on_scan(const uint8_t *code, size_t len, void *userdata)
{
	const struct stream *s = userdata;

	MUST(len <= YKT_SCAN_MAX);
	MUST(len == 0 || code);
	if (len && !s->hex)
		MUST(len >= SCAN_FRAME_MIN && len == (size_t)((code[1] << 8) | code[2]) + 3 &&
		     (code[0] & 0x80) && code[3] == SCAN_FRAME_CERT_HEADER);
	/* parse only: the signatures of a framed code were the whole-input case */
	one_code(code, len, false);
}

static void framed(const uint8_t *data, size_t size, bool hex)
{
	static struct scan_framer f;
	struct stream s = { .hex = hex };
	size_t chunk = size ? (size_t)data[0] % 64 + 1 : 1;
	int64_t now = 0;

	scan_framer_init(&f, hex, 50);
	for (size_t i = 0; i < size; i += chunk) {
		size_t n = size - i < chunk ? size - i : chunk;

		/* every fifth chunk comes after a quiet spell */
		now += (i / chunk) % 5 == 4 ? 100000000 : 1000000;
		scan_framer_feed(&f, data + i, n, now, on_scan, &s);
	}
	scan_framer_idle(&f, on_scan, &s);
	MUST(scan_framer_deadline(&f) == -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_code(data, size, true);
	framed(data, size, false);
	framed(data, size, true);
	return 0;
}
