/* SPDX-License-Identifier: GPL-2.0-or-later */
/* T-Union QR codes: valid codes of both versions verify; each kind of bad
 * code is refused with its own verdict; the parser refuses every length
 * and fixed byte out of form (and every truncation of a good code); the
 * scan guard tells a scanner bounce from a replay and an account's repeat. */
#include "check.h"
#include "qr.h"
#include "qr_gen.h"
#include "ykt_error.h"

#include <stdlib.h>
#include <string.h>

#define NOW 1795217400 /* 2026-11-20 23:30:00 UTC = 2026-11-21 07:30 CST */

static struct qr_gen_keys keys;
static struct qr_root_key roots[3];

static enum qr_verdict check_code(const struct qr_gen_opts *o, int64_t now, uint32_t fare)
{
	struct qr_policy p = { .now_utc = now, .future_tolerance_s = 20, .fare_fen = fare };
	uint8_t buf[QR_MAX_LEN];
	struct qr_code c;
	char why[128];
	int n = qr_gen_build(&keys, o, buf);

	if (n < 0)
		return QR__VERDICT_COUNT;
	if (qr_parse(buf, (size_t)n, &c, why, sizeof(why)) < 0) {
		fprintf(stderr, "parse: %s\n", why);
		return QR_MALFORMED;
	}
	return qr_verify(buf, &c, roots, 3, &p);
}

static void valid_codes(void)
{
	struct qr_gen_opts o;
	uint8_t buf[QR_MAX_LEN];
	struct qr_code c;
	char why[128];
	int n;

	for (int v = 0; v < 2; v++) {
		qr_gen_defaults(&o, NOW - 5);
		o.version = v ? QR_VERSION_LOCAL : QR_VERSION_INTERCONNECT;
		CHECK_INT(check_code(&o, NOW, 200), QR_OK);
		o.custom_len = 32;
		CHECK_INT(check_code(&o, NOW, 200), QR_OK);
		o.custom_len = 7;
		CHECK_INT(check_code(&o, NOW, 200), QR_OK);
	}
	/* the parsed fields are the ones put in */
	qr_gen_defaults(&o, NOW - 5);
	o.custom_len = 3;
	o.account_type = QR_ACCOUNT_STUDENT;
	n = qr_gen_build(&keys, &o, buf);
	CHECK_INT(n, QR_MIN_LEN + 3);
	CHECK_INT(qr_parse(buf, (size_t)n, &c, why, sizeof(why)), 0);
	CHECK_INT(c.version, 0x80);
	CHECK_INT(c.ca_index, 1);
	CHECK_INT(c.cert_expiry_month, 12);
	CHECK_INT(c.cert_expiry_year, 30);
	CHECK_INT(c.account_type, QR_ACCOUNT_STUDENT);
	CHECK_INT(c.single_limit_fen, 5000);
	CHECK_INT(c.generated_utc, NOW - 5);
	CHECK_INT(c.validity_s, 60);
	CHECK_INT(c.custom_len, 3);
	CHECK_INT(c.custom[2], 0xA2);
	CHECK(!memcmp(c.user_account, o.user_account, 10), "user account");
}

static void bad_codes(void)
{
	struct qr_gen_opts o;

	qr_gen_defaults(&o, NOW - 5);
	o.spoil = 1;
	CHECK_INT(check_code(&o, NOW, 200), QR_BAD_CERT_SIG);
	o.spoil = 2;
	CHECK_INT(check_code(&o, NOW, 200), QR_BAD_ISSUER_SIG);
	o.spoil = 3;
	CHECK_INT(check_code(&o, NOW, 200), QR_BAD_USER_SIG);
	/* signed by the wrong key: the right bytes, the wrong signer */
	qr_gen_defaults(&o, NOW - 5);
	o.cert_signed_by_issuer = true;
	CHECK_INT(check_code(&o, NOW, 200), QR_BAD_CERT_SIG);
	/* a version 81 code's signatures do not verify as version 80: the SM2
	 * user ids differ */
	for (int spoil = 1; spoil <= 3; spoil++) {
		qr_gen_defaults(&o, NOW - 5);
		o.version = QR_VERSION_LOCAL;
		o.spoil = spoil;
		CHECK_INT(check_code(&o, NOW, 200),
			  spoil == 1 ? QR_BAD_CERT_SIG
				     : (spoil == 2 ? QR_BAD_ISSUER_SIG : QR_BAD_USER_SIG));
	}
	qr_gen_defaults(&o, NOW - 5);
	o.ca_index = 9;
	CHECK_INT(check_code(&o, NOW, 200), QR_UNKNOWN_ROOT);
	qr_gen_defaults(&o, NOW - 5);
	o.ca_index = 2; /* the root key of index 2 expired in 2025 */
	CHECK_INT(check_code(&o, NOW, 200), QR_ROOT_EXPIRED);
	qr_gen_defaults(&o, NOW - 5);
	o.cert_mm = 0x10;
	o.cert_yy = 0x26; /* through October 2026 */
	CHECK_INT(check_code(&o, NOW, 200), QR_CERT_EXPIRED);
	o.cert_mm = 0x11; /* through November 2026: still good */
	CHECK_INT(check_code(&o, NOW, 200), QR_OK);
	qr_gen_defaults(&o, NOW - 5);
	o.auth_expiry_utc = NOW - 1;
	CHECK_INT(check_code(&o, NOW, 200), QR_AUTH_EXPIRED);
	qr_gen_defaults(&o, NOW - 61);
	CHECK_INT(check_code(&o, NOW, 200), QR_CODE_EXPIRED);
	qr_gen_defaults(&o, NOW - 60);
	CHECK_INT(check_code(&o, NOW, 200), QR_OK);
	qr_gen_defaults(&o, NOW + 21);
	CHECK_INT(check_code(&o, NOW, 200), QR_CODE_FUTURE);
	qr_gen_defaults(&o, NOW + 20);
	CHECK_INT(check_code(&o, NOW, 200), QR_OK);
	qr_gen_defaults(&o, NOW - 5);
	o.limit_fen = 199;
	CHECK_INT(check_code(&o, NOW, 200), QR_OVER_LIMIT);
	o.limit_fen = 200;
	CHECK_INT(check_code(&o, NOW, 200), QR_OK);
	qr_gen_defaults(&o, NOW - 5);
	o.account_type = QR_ACCOUNT_TEST;
	CHECK_INT(check_code(&o, NOW, 200), QR_ACCOUNT_REFUSED);
	o.account_type = 0x06;
	CHECK_INT(check_code(&o, NOW, 200), QR_ACCOUNT_REFUSED);
	for (int v = 0; v < QR__VERDICT_COUNT; v++)
		CHECK(strcmp(qr_verdict_key((enum qr_verdict)v), "?") != 0, "key of %d", v);
}

static void malformed(void)
{
	struct qr_gen_opts o;
	uint8_t buf[QR_MAX_LEN + 8], copy[QR_MAX_LEN + 8];
	struct qr_code c;
	char why[128];
	int n;

	qr_gen_defaults(&o, NOW - 5);
	o.custom_len = 5;
	n = qr_gen_build(&keys, &o, buf);
	CHECK(n > 0, "built");
	/* every truncation is refused */
	for (int len = 0; len < n; len++)
		CHECK_INT(qr_parse(buf, (size_t)len, &c, why, sizeof(why)), YKT_E_PARSE);
	/* oversized: trailing bytes, and a code beyond the maximum */
	memcpy(copy, buf, (size_t)n);
	copy[n] = 0;
	CHECK_INT(qr_parse(copy, (size_t)n + 1, &c, why, sizeof(why)), YKT_E_PARSE);
	CHECK(strstr(why, "length field") != NULL, "%s", why);
	CHECK_INT(qr_parse(copy, QR_MAX_LEN + 1, &c, why, sizeof(why)), YKT_E_PARSE);
	CHECK(strstr(why, "at most") != NULL, "%s", why);
	/* each fixed byte and length */
	static const struct {
		int off;
		uint8_t val;
		const char *why;
	} bad[] = {
		{ 0, 0x82, "version" },
		{ 3, 0x25, "header" },
		{ 4, 0x02, "service id" },
		{ 9, 0x13, "format" },
		{ 19, 0x05, "algorithms" },
		{ 21, 0x01, "curve" },
		{ 22, 0x41, "key length" },
		{ 14, 0x13, "MMYY" },
		{ 14, 0x00, "MMYY" },
		{ 15, 0x3A, "MMYY" },
		{ 23, 0x04, "compressed" },
		{ 158, 0x05, "compressed" },
		{ 197, 33, "issuer data" },
		{ 197, 4, "fields make" },
		{ 203, 0x41, "signature length" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(copy, buf, (size_t)n);
		copy[bad[i].off] = bad[i].val;
		CHECK_INT(qr_parse(copy, (size_t)n, &c, why, sizeof(why)), YKT_E_PARSE);
		CHECK(strstr(why, bad[i].why) != NULL, "byte %d: '%s' lacks '%s'", bad[i].off, why,
		      bad[i].why);
	}
	CHECK_INT(qr_parse(NULL, 0, &c, why, sizeof(why)), YKT_E_PARSE);
}

static void guard(void)
{
	struct qr_guard *g = calloc(1, sizeof(*g));
	struct qr_gen_opts o;
	uint8_t a[QR_MAX_LEN], b[QR_MAX_LEN], other[QR_MAX_LEN];
	struct qr_code ca, cb, co;
	int na, nb, no;

	qr_guard_init(g, 2, 300, 3600);
	qr_gen_defaults(&o, NOW - 5);
	na = qr_gen_build(&keys, &o, a);
	qr_gen_defaults(&o, NOW - 1); /* the same account, a fresh code */
	nb = qr_gen_build(&keys, &o, b);
	qr_gen_defaults(&o, NOW - 1);
	o.user_account[9] = 0x02; /* another passenger */
	no = qr_gen_build(&keys, &o, other);
	CHECK(na > 0 && nb > 0 && no > 0, "built");
	qr_parse(a, (size_t)na, &ca, NULL, 0);
	qr_parse(b, (size_t)nb, &cb, NULL, 0);
	qr_parse(other, (size_t)no, &co, NULL, 0);

	CHECK_INT(qr_guard_check(g, a, (size_t)na, &ca, NOW), QR_OK);
	/* nothing remembered before the record is durable */
	CHECK_INT(qr_guard_check(g, a, (size_t)na, &ca, NOW), QR_OK);
	qr_guard_commit(g, a, (size_t)na, &ca, NOW);
	CHECK_INT(qr_guard_check(g, a, (size_t)na, &ca, NOW + 1), QR_BOUNCE);
	CHECK_INT(qr_guard_check(g, a, (size_t)na, &ca, NOW + 2), QR_BOUNCE);
	CHECK_INT(qr_guard_check(g, a, (size_t)na, &ca, NOW + 3), QR_REPLAYED);
	CHECK_INT(qr_guard_check(g, b, (size_t)nb, &cb, NOW + 10), QR_REPEAT_ACCOUNT);
	CHECK_INT(qr_guard_check(g, other, (size_t)no, &co, NOW + 10), QR_OK);
	CHECK_INT(qr_guard_check(g, b, (size_t)nb, &cb, NOW + 300), QR_OK);
	/* window off: only replays count */
	qr_guard_init(g, 2, 0, 3600);
	qr_guard_commit(g, a, (size_t)na, &ca, NOW);
	CHECK_INT(qr_guard_check(g, b, (size_t)nb, &cb, NOW + 10), QR_OK);
	free(g);
}

int main(void)
{
	if (qr_gen_keys_new(&keys) < 0) {
		fprintf(stderr, "cannot make SM2 test keys\n");
		return 1;
	}
	CHECK_INT(qr_gen_root(&keys, QR_VERSION_INTERCONNECT, 1, NOW + 86400 * 365, &roots[0]), 0);
	CHECK_INT(qr_gen_root(&keys, QR_VERSION_INTERCONNECT, 2, 1767225600, &roots[1]), 0);
	/* version 81 codes: the same root key, listed for version 81 */
	CHECK_INT(qr_gen_root(&keys, QR_VERSION_LOCAL, 1, NOW + 86400 * 365, &roots[2]), 0);
	valid_codes();
	bad_codes();
	malformed();
	guard();
	qr_gen_keys_free(&keys);
	return check_result();
}
