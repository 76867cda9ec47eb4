/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * T-Union QR codes: parser, SM2/SM3 chain verification, time and limit
 * checks, and the scan guard.  See qr.h and docs/qr.md.
 */
#include "qr.h"

#include "bytes.h"
#include "log.h"
#include "ykt_error.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Offsets of the fixed part (docs/qr.md).  The issuer-defined data (field
 * 14) has a variable length; everything after it moves by custom_len. */
enum {
	OFF_VERSION = 0,
	OFF_LENGTH = 1,
	OFF_CERT = 3,
	/* inside the certificate, from the code's start */
	OFF_CERT_HEADER = OFF_CERT,
	OFF_CERT_SERVICE = OFF_CERT + 1,
	OFF_CERT_CA_INDEX = OFF_CERT + 5,
	OFF_CERT_FORMAT = OFF_CERT + 6,
	OFF_CERT_ISSUER = OFF_CERT + 7,
	OFF_CERT_EXPIRY = OFF_CERT + 11,
	OFF_CERT_SERIAL = OFF_CERT + 13,
	OFF_CERT_SIG_ALG = OFF_CERT + 16,
	OFF_CERT_ENC_ALG = OFF_CERT + 17,
	OFF_CERT_CURVE = OFF_CERT + 18,
	OFF_CERT_KEY_LEN = OFF_CERT + 19,
	OFF_CERT_KEY = OFF_CERT + 20,
	OFF_CERT_SIG = OFF_CERT + 53,
	OFF_PAYMENT = OFF_CERT + QR_CERT_LEN, /* 120 */
	OFF_USER = OFF_PAYMENT + 16,
	OFF_INSTITUTION = OFF_USER + 10,
	OFF_PLATFORM = OFF_INSTITUTION + 4,
	OFF_ACCOUNT_TYPE = OFF_PLATFORM + 4,
	OFF_LIMIT = OFF_ACCOUNT_TYPE + 1,
	OFF_USER_KEY = OFF_LIMIT + 3,
	OFF_AUTH_EXPIRY = OFF_USER_KEY + QR_PUBKEY_LEN,
	OFF_VALIDITY = OFF_AUTH_EXPIRY + 4,
	OFF_CUSTOM_LEN = OFF_VALIDITY + 2, /* 197 */
	OFF_CUSTOM = OFF_CUSTOM_LEN + 1,
	/* relative to OFF_CUSTOM + custom_len */
	REL_ISSUER_SIG = 0,
	REL_GENERATED = 1 + QR_SIG_LEN,
	REL_USER_SIG = REL_GENERATED + 4,
	REL_END = REL_USER_SIG + 1 + QR_SIG_LEN,
};

_Static_assert(OFF_CUSTOM + REL_END == QR_MIN_LEN, "QR layout adds up to its minimum length");

#define CERT_HEADER	 0x24
#define CERT_FORMAT	 0x12
#define ALG_SM2		 0x04
#define SIG_VALUE_LENGTH 0x40 /* the byte before r || s in fields 15 and 17 */

static const uint8_t service_id_transit[4] = { 0x01, 0x01, 0x00, 0x00 };
/* GM/T 0009 default SM2 user id: version 80 uses it for every link */
static const uint8_t sm2_default_id[16] = "1234567812345678";

static int __attribute__((format(printf, 3, 4)))
refuse(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return YKT_E_PARSE;
}

static bool bcd_byte(uint8_t b, uint8_t *ret)
{
	if ((b >> 4) > 9 || (b & 0x0f) > 9)
		return false;
	*ret = (uint8_t)((b >> 4) * 10 + (b & 0x0f));
	return true;
}

static int parse_cert(const uint8_t *buf, struct qr_code *c, char *why, size_t why_len)
{
	if (buf[OFF_CERT_HEADER] != CERT_HEADER)
		return refuse(why, why_len, "certificate header %02X, expected %02X",
			      buf[OFF_CERT_HEADER], CERT_HEADER);
	if (memcmp(buf + OFF_CERT_SERVICE, service_id_transit, 4) != 0)
		return refuse(why, why_len, "certificate service id is not 01010000");
	if (buf[OFF_CERT_FORMAT] != CERT_FORMAT)
		return refuse(why, why_len, "certificate format %02X, expected %02X",
			      buf[OFF_CERT_FORMAT], CERT_FORMAT);
	if (buf[OFF_CERT_SIG_ALG] != ALG_SM2 || buf[OFF_CERT_ENC_ALG] != ALG_SM2)
		return refuse(why, why_len, "certificate algorithms %02X/%02X, expected SM2 (04)",
			      buf[OFF_CERT_SIG_ALG], buf[OFF_CERT_ENC_ALG]);
	if (buf[OFF_CERT_CURVE] != 0x00)
		return refuse(why, why_len, "certificate curve id %02X, expected 00",
			      buf[OFF_CERT_CURVE]);
	if (buf[OFF_CERT_KEY_LEN] != QR_PUBKEY_LEN)
		return refuse(why, why_len, "issuer key length %u, expected %u",
			      buf[OFF_CERT_KEY_LEN], (unsigned)QR_PUBKEY_LEN);
	if (!bcd_byte(buf[OFF_CERT_EXPIRY], &c->cert_expiry_month) ||
	    !bcd_byte(buf[OFF_CERT_EXPIRY + 1], &c->cert_expiry_year) || c->cert_expiry_month < 1 ||
	    c->cert_expiry_month > 12)
		return refuse(why, why_len, "certificate expiry %02X%02X is not a month MMYY",
			      buf[OFF_CERT_EXPIRY], buf[OFF_CERT_EXPIRY + 1]);
	memcpy(c->service_id, buf + OFF_CERT_SERVICE, 4);
	c->ca_index = buf[OFF_CERT_CA_INDEX];
	memcpy(c->issuer_id, buf + OFF_CERT_ISSUER, 4);
	memcpy(c->cert_serial, buf + OFF_CERT_SERIAL, 3);
	memcpy(c->issuer_pubkey, buf + OFF_CERT_KEY, QR_PUBKEY_LEN);
	memcpy(c->cert_sig, buf + OFF_CERT_SIG, QR_SIG_LEN);
	/* the root CA signs format .. public key (cert fields 4-12) */
	c->cert_signed = (struct qr_span){ OFF_CERT_FORMAT, OFF_CERT_SIG - OFF_CERT_FORMAT };
	return 0;
}

static bool point_prefix_ok(const uint8_t *key)
{
	return key[0] == 0x02 || key[0] == 0x03;
}

int qr_parse(const uint8_t *buf, size_t len, struct qr_code *ret, char *why, size_t why_len)
{
	struct qr_code c = { 0 };
	size_t tail;
	int r;

	if (why && why_len)
		why[0] = '\0';
	if (!buf || !ret)
		return refuse(why, why_len, "no code");
	if (len < QR_MIN_LEN)
		return refuse(why, why_len, "code of %u bytes, at least %u expected", (unsigned)len,
			      (unsigned)QR_MIN_LEN);
	if (len > QR_MAX_LEN)
		return refuse(why, why_len, "code of %u bytes, at most %u expected", (unsigned)len,
			      (unsigned)QR_MAX_LEN);
	c.version = buf[OFF_VERSION];
	if (c.version != QR_VERSION_INTERCONNECT && c.version != QR_VERSION_LOCAL)
		return refuse(why, why_len, "version %02X, expected 80 or 81", c.version);
	if (ykt_be16(buf + OFF_LENGTH) != len - OFF_CERT)
		return refuse(why, why_len, "length field %u, the code carries %u",
			      (unsigned)ykt_be16(buf + OFF_LENGTH), (unsigned)(len - OFF_CERT));
	c.custom_len = buf[OFF_CUSTOM_LEN];
	if (c.custom_len > QR_CUSTOM_MAX)
		return refuse(why, why_len, "issuer data of %u bytes, at most %u", c.custom_len,
			      (unsigned)QR_CUSTOM_MAX);
	if (len != (size_t)QR_MIN_LEN + c.custom_len)
		return refuse(why, why_len, "code of %u bytes, its fields make %u", (unsigned)len,
			      (unsigned)(QR_MIN_LEN + c.custom_len));
	r = parse_cert(buf, &c, why, why_len);
	if (r < 0)
		return r;
	memcpy(c.payment_account, buf + OFF_PAYMENT, 16);
	memcpy(c.user_account, buf + OFF_USER, 10);
	memcpy(c.institution, buf + OFF_INSTITUTION, 4);
	memcpy(c.platform, buf + OFF_PLATFORM, 4);
	c.account_type = buf[OFF_ACCOUNT_TYPE];
	c.single_limit_fen = ykt_be24(buf + OFF_LIMIT);
	memcpy(c.user_pubkey, buf + OFF_USER_KEY, QR_PUBKEY_LEN);
	c.auth_expiry_utc = ykt_be32(buf + OFF_AUTH_EXPIRY);
	c.validity_s = ykt_be16(buf + OFF_VALIDITY);
	memcpy(c.custom, buf + OFF_CUSTOM, c.custom_len);
	if (!point_prefix_ok(c.issuer_pubkey) || !point_prefix_ok(c.user_pubkey))
		return refuse(why, why_len, "a public key is not a compressed point");

	tail = OFF_CUSTOM + c.custom_len;
	if (buf[tail + REL_ISSUER_SIG] != SIG_VALUE_LENGTH ||
	    buf[tail + REL_USER_SIG] != SIG_VALUE_LENGTH)
		return refuse(why, why_len, "signature length bytes %02X/%02X, expected 40",
			      buf[tail + REL_ISSUER_SIG], buf[tail + REL_USER_SIG]);
	memcpy(c.issuer_sig, buf + tail + REL_ISSUER_SIG + 1, QR_SIG_LEN);
	c.generated_utc = ykt_be32(buf + tail + REL_GENERATED);
	memcpy(c.user_sig, buf + tail + REL_USER_SIG + 1, QR_SIG_LEN);
	/* issuer: fields 3-14; user: fields 1-16 */
	c.issuer_signed = (struct qr_span){ OFF_CERT, (uint16_t)(tail - OFF_CERT) };
	c.user_signed = (struct qr_span){ 0, (uint16_t)(tail + REL_USER_SIG) };
	c.len = (uint16_t)len;
	*ret = c;
	return 0;
}

const char *qr_verdict_key(enum qr_verdict v)
{
	static const char *const keys[QR__VERDICT_COUNT] = {
		[QR_OK] = "ok",
		[QR_MALFORMED] = "malformed",
		[QR_UNKNOWN_ROOT] = "unknown-root",
		[QR_ROOT_EXPIRED] = "root-expired",
		[QR_BAD_CERT_SIG] = "bad-cert-sig",
		[QR_CERT_EXPIRED] = "cert-expired",
		[QR_BAD_ISSUER_SIG] = "bad-issuer-sig",
		[QR_AUTH_EXPIRED] = "auth-expired",
		[QR_BAD_USER_SIG] = "bad-user-sig",
		[QR_CODE_EXPIRED] = "code-expired",
		[QR_CODE_FUTURE] = "code-future",
		[QR_OVER_LIMIT] = "over-limit",
		[QR_ACCOUNT_REFUSED] = "account-refused",
		[QR_BOUNCE] = "bounce",
		[QR_REPLAYED] = "replayed",
		[QR_REPEAT_ACCOUNT] = "repeat-account",
	};

	return (unsigned)v < QR__VERDICT_COUNT ? keys[v] : "?";
}

/* An SM2 public key from its encoded point (compressed or not). */
static EVP_PKEY *sm2_key(const uint8_t *point, size_t point_len)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		key = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

/* r || s into the DER SEQUENCE OpenSSL verifies. */
static int sig_der(const uint8_t rs[QR_SIG_LEN], uint8_t *der, size_t der_cap)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, 32, NULL), *s = BN_bin2bn(rs + 32, 32, NULL);
	int n = -1;

	if (sig && r && s && ECDSA_SIG_set0(sig, r, s)) {
		r = s = NULL; /* owned by sig now */
		n = i2d_ECDSA_SIG(sig, NULL);
		if (n > 0 && (size_t)n <= der_cap) {
			uint8_t *p = der;

			n = i2d_ECDSA_SIG(sig, &p);
		} else {
			n = -1;
		}
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return n;
}

/* SM2 with SM3 over msg, with the given SM2 user id. */
static bool sm2_verify(const uint8_t *point, size_t point_len, const uint8_t *id, size_t id_len,
		       const uint8_t *msg, size_t msg_len, const uint8_t rs[QR_SIG_LEN])
{
	EVP_PKEY *key = sm2_key(point, point_len);
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
	uint8_t der[80];
	int der_len = sig_der(rs, der, sizeof(der));
	bool ok = false;

	if (key && mctx && pctx && der_len > 0 && EVP_PKEY_CTX_set1_id(pctx, id, id_len) > 0) {
		EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
		ok = EVP_DigestVerifyInit(mctx, NULL, EVP_sm3(), NULL, key) > 0 &&
		     EVP_DigestVerify(mctx, der, (size_t)der_len, msg, msg_len) == 1;
	}
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(key);
	return ok;
}

static const struct qr_root_key *find_root(const struct qr_code *c, const struct qr_root_key *roots,
					   size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (roots[i].version == c->version && roots[i].index == c->ca_index)
			return &roots[i];
	return NULL;
}

/* The certificate is valid through the last second of its expiry month
 * (UTC). */
static int64_t cert_end_utc(const struct qr_code *c)
{
	struct tm tm = { .tm_year = 100 + c->cert_expiry_year, .tm_mon = c->cert_expiry_month };

	/* the first instant of the next month (timegm normalises month 12) */
	return (int64_t)timegm(&tm) - 1;
}

enum qr_verdict qr_verify(const uint8_t *buf, const struct qr_code *c,
			  const struct qr_root_key *roots, size_t n_roots,
			  const struct qr_policy *p)
{
	const struct qr_root_key *root = find_root(c, roots, n_roots);
	uint8_t id_cert[5], id_issuer[8];
	const uint8_t *id;
	size_t id_len;

	if (!root)
		return QR_UNKNOWN_ROOT;
	if (p->now_utc > root->expiry_utc)
		return QR_ROOT_EXPIRED;

	/* link 1: root CA over the issuer certificate */
	memcpy(id_cert, c->service_id, 4);
	id_cert[4] = c->ca_index;
	id = c->version == QR_VERSION_LOCAL ? id_cert : sm2_default_id;
	id_len = c->version == QR_VERSION_LOCAL ? sizeof(id_cert) : sizeof(sm2_default_id);
	if (!sm2_verify(root->pubkey, root->pubkey_len, id, id_len, buf + c->cert_signed.off,
			c->cert_signed.len, c->cert_sig))
		return QR_BAD_CERT_SIG;
	if (p->now_utc > cert_end_utc(c))
		return QR_CERT_EXPIRED;

	/* link 2: issuer over the account data */
	memcpy(id_issuer, c->institution, 4);
	memcpy(id_issuer + 4, c->platform, 4);
	id = c->version == QR_VERSION_LOCAL ? id_issuer : sm2_default_id;
	id_len = c->version == QR_VERSION_LOCAL ? sizeof(id_issuer) : sizeof(sm2_default_id);
	if (!sm2_verify(c->issuer_pubkey, QR_PUBKEY_LEN, id, id_len, buf + c->issuer_signed.off,
			c->issuer_signed.len, c->issuer_sig))
		return QR_BAD_ISSUER_SIG;
	if (p->now_utc > (int64_t)c->auth_expiry_utc)
		return QR_AUTH_EXPIRED;

	/* link 3: the phone over the whole code */
	id = c->version == QR_VERSION_LOCAL ? c->user_account : sm2_default_id;
	id_len = c->version == QR_VERSION_LOCAL ? sizeof(c->user_account) : sizeof(sm2_default_id);
	if (!sm2_verify(c->user_pubkey, QR_PUBKEY_LEN, id, id_len, buf + c->user_signed.off,
			c->user_signed.len, c->user_sig))
		return QR_BAD_USER_SIG;

	/* QR times are UTC seconds, as is now_utc */
	if ((int64_t)c->generated_utc > p->now_utc + p->future_tolerance_s)
		return QR_CODE_FUTURE;
	if (p->now_utc > (int64_t)c->generated_utc + c->validity_s)
		return QR_CODE_EXPIRED;
	if (c->account_type == QR_ACCOUNT_TEST && !p->accept_test_accounts)
		return QR_ACCOUNT_REFUSED;
	if (c->account_type > QR_ACCOUNT_MILITARY)
		return QR_ACCOUNT_REFUSED;
	if (p->fare_fen > c->single_limit_fen)
		return QR_OVER_LIMIT;
	return QR_OK;
}

/* ---- the scan guard ---- */

static void code_hash(const uint8_t *buf, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	if (EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
}

void qr_guard_init(struct qr_guard *g, int bounce_s, int repeat_window_s, int64_t replay_ttl_s)
{
	memset(g, 0, sizeof(*g));
	g->bounce_s = bounce_s;
	g->repeat_window_s = repeat_window_s;
	g->replay_ttl_s = replay_ttl_s;
}

enum qr_verdict qr_guard_check(const struct qr_guard *g, const uint8_t *buf, size_t len,
			       const struct qr_code *code, int64_t now_utc)
{
	uint8_t h[32];

	code_hash(buf, len, h);
	for (unsigned i = 0; i < QR_GUARD_SLOTS; i++) {
		const struct qr_guard_slot *s = &g->slot[i];
		int64_t age = now_utc - s->at_utc;

		if (!s->used)
			continue;
		if (!memcmp(s->code_hash, h, sizeof(h)) && age <= g->replay_ttl_s)
			return age <= g->bounce_s ? QR_BOUNCE : QR_REPLAYED;
	}
	if (g->repeat_window_s <= 0)
		return QR_OK;
	for (unsigned i = 0; i < QR_GUARD_SLOTS; i++) {
		const struct qr_guard_slot *s = &g->slot[i];

		if (s->used && !memcmp(s->account, code->user_account, sizeof(s->account)) &&
		    now_utc - s->at_utc < g->repeat_window_s)
			return QR_REPEAT_ACCOUNT;
	}
	return QR_OK;
}

void qr_guard_commit(struct qr_guard *g, const uint8_t *buf, size_t len, const struct qr_code *code,
		     int64_t now_utc)
{
	struct qr_guard_slot *s = &g->slot[g->next];

	g->next = (g->next + 1) % QR_GUARD_SLOTS;
	code_hash(buf, len, s->code_hash);
	memcpy(s->account, code->user_account, sizeof(s->account));
	s->at_utc = now_utc;
	s->used = true;
}
