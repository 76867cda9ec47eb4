/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * T-Union QR codes (JT/T 1179), verified offline at the validator.
 *
 * A code is a three-link SM2/SM3 chain: the root CA key (a parameter, by
 * index) signs the issuer's certificate; the issuer signs the account data;
 * the passenger's phone signs the whole code with its generation time.
 * Layout and the SM2 user ids of each link: docs/qr.md (after
 * reference/jtt978.md §8).  Every byte of a code is hostile: the parser
 * checks each length before reading, and nothing is trusted before its
 * signature has been verified.
 */
#ifndef YKT_QR_H
#define YKT_QR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QR_VERSION_INTERCONNECT 0x80
#define QR_VERSION_LOCAL	0x81

#define QR_CERT_LEN	   117
#define QR_SIG_LEN	   64 /* SM2 r || s */
#define QR_PUBKEY_LEN	   33 /* compressed point (GM/T 0003) */
#define QR_CUSTOM_MAX	   32
#define QR_MIN_LEN	   332
#define QR_MAX_LEN	   (QR_MIN_LEN + QR_CUSTOM_MAX)
#define QR_ROOT_PUBKEY_MAX 65 /* compressed or uncompressed */

/* Account types (field 8) */
enum qr_account_type {
	QR_ACCOUNT_NORMAL = 0x00,
	QR_ACCOUNT_NORMAL_1 = 0x01,
	QR_ACCOUNT_STUDENT = 0x02,
	QR_ACCOUNT_SENIOR = 0x03,
	QR_ACCOUNT_TEST = 0x04,
	QR_ACCOUNT_MILITARY = 0x05,
};

/* A byte range of the code: what one signature covers. */
struct qr_span {
	uint16_t off, len;
};

struct qr_code {
	uint8_t version;
	/* issuer certificate (field 3) */
	uint8_t service_id[4];
	uint8_t ca_index;
	uint8_t issuer_id[4];
	uint8_t cert_expiry_month, cert_expiry_year; /* from MMYY BCD; year 2000 + yy */
	uint8_t cert_serial[3];
	uint8_t issuer_pubkey[QR_PUBKEY_LEN];
	/* account data (fields 4-14) */
	uint8_t payment_account[16];
	uint8_t user_account[10];
	uint8_t institution[4];
	uint8_t platform[4];
	uint8_t account_type;
	uint32_t single_limit_fen;
	uint8_t user_pubkey[QR_PUBKEY_LEN];
	uint32_t auth_expiry_utc;
	uint16_t validity_s;
	uint8_t custom_len;
	uint8_t custom[QR_CUSTOM_MAX];
	uint32_t generated_utc;
	/* signatures and what each covers, as offsets into the code */
	uint8_t cert_sig[QR_SIG_LEN], issuer_sig[QR_SIG_LEN], user_sig[QR_SIG_LEN];
	struct qr_span cert_signed, issuer_signed, user_signed;
	uint16_t len; /* bytes of the whole code */
};

/* Parse a code (len bytes).  0, or YKT_E_PARSE with a one-line reason
 * in why: too short, too long, unknown version, a length field that does
 * not match, a fixed byte with the wrong value. */
int qr_parse(const uint8_t *buf, size_t len, struct qr_code *ret, char *why, size_t why_len);

/* A root CA key from the QR root-key parameter package. */
struct qr_root_key {
	uint8_t version; /* code version it serves (0x80 or 0x81) */
	uint8_t index;
	uint8_t pubkey[QR_ROOT_PUBKEY_MAX];
	uint8_t pubkey_len; /* 33 or 65 */
	int64_t expiry_utc; /* the key is not used after this instant */
};

/* Why a code was refused.  Each has its own passenger message (ui). */
enum qr_verdict {
	QR_OK = 0,
	QR_MALFORMED,	    /* does not parse */
	QR_UNKNOWN_ROOT,    /* no root key with that version and index */
	QR_ROOT_EXPIRED,    /* the root key's validity has ended */
	QR_BAD_CERT_SIG,    /* root CA signature over the issuer certificate */
	QR_CERT_EXPIRED,    /* the issuer certificate's MMYY has passed */
	QR_BAD_ISSUER_SIG,  /* issuer signature over the account data */
	QR_AUTH_EXPIRED,    /* the account's authorisation has expired */
	QR_BAD_USER_SIG,    /* the phone's signature over the code */
	QR_CODE_EXPIRED,    /* generated longer ago than its validity */
	QR_CODE_FUTURE,	    /* generated after now (beyond the tolerance) */
	QR_OVER_LIMIT,	    /* fare above the single-payment limit */
	QR_ACCOUNT_REFUSED, /* account type not accepted here (e.g. test) */
	QR_BOUNCE,	    /* the same code again within the anti-bounce time: ignore */
	QR_REPLAYED,	    /* exactly this code was already used */
	QR_REPEAT_ACCOUNT,  /* the same account scanned again within its window */
	QR__VERDICT_COUNT
};

/* Stable key ("bad-user-sig", ...) for records, logs and tests. */
const char *qr_verdict_key(enum qr_verdict v);

struct qr_policy {
	int64_t now_utc;
	int future_tolerance_s; /* a phone clock may run this far ahead (20 s) */
	uint32_t fare_fen;	/* the fare to charge, checked against the limit */
	bool accept_test_accounts;
};

/* Verify the chain and the times of a parsed code against the root keys.
 * Cryptography: SM2 with SM3 through OpenSSL, with the user ids the
 * version prescribes (docs/qr.md). */
enum qr_verdict qr_verify(const uint8_t *buf, const struct qr_code *code,
			  const struct qr_root_key *roots, size_t n_roots,
			  const struct qr_policy *policy);

/*
 * The memory of recent scans: anti-bounce (the scanner reads the same code
 * twice in a row), exact replays (a screenshot shown again), and the
 * per-account repeat window (one account, one ride per window).
 */
#define QR_GUARD_SLOTS 256
struct qr_guard {
	int bounce_s;	      /* 2 */
	int repeat_window_s;  /* per account; 0: off */
	int64_t replay_ttl_s; /* how long a used code is remembered */
	struct qr_guard_slot {
		uint8_t code_hash[32];
		uint8_t account[10];
		int64_t at_utc;
		bool used;
	} slot[QR_GUARD_SLOTS];
	unsigned next;
};

void qr_guard_init(struct qr_guard *g, int bounce_s, int repeat_window_s, int64_t replay_ttl_s);
/* QR_OK, QR_BOUNCE, QR_REPLAYED or QR_REPEAT_ACCOUNT for a verified code
 * scanned now; nothing is remembered until qr_guard_commit(). */
enum qr_verdict qr_guard_check(const struct qr_guard *g, const uint8_t *buf, size_t len,
			       const struct qr_code *code, int64_t now_utc);
/* The code was charged (its record is durable): remember it. */
void qr_guard_commit(struct qr_guard *g, const uint8_t *buf, size_t len, const struct qr_code *code,
		     int64_t now_utc);

#endif
