/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reference clearing platform: the other end of docs/uplink-protocol.md,
 * for the tests and the demo, on loopback.
 *
 * A real HTTPS server (libmicrohttpd over GnuTLS) that asks every client for
 * a certificate from its CA and refuses the handshake without one; takes the
 * device id from the certificate's subject CN; verifies every complete
 * purchase's TAC with the test issuer keys (the simulator's key files,
 * 3DES or SM4 by the record's algorithm id); de-duplicates purchases on PSAM
 * terminal number + PSAM serial and events on device id + record number;
 * recomputes every charged T-Union QR code's SM2 signature chain with its
 * test root keys (and refuses a code charged twice, on any device);
 * keeps what it accepts in its own SQLite database; serves parameter
 * packages from a directory; and misbehaves on request (enum platform_fault)
 * so that the uplink's recovery can be tested.
 *
 * It is test infrastructure: it holds test keys, and nothing of it is in a
 * production build.
 */
#ifndef YKT_PLATFORM_H
#define YKT_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct platform;

struct platform_options {
	const char *cert_path, *key_path; /* the server's certificate and key (PEM) */
	const char *client_ca_path;	  /* the CA of the terminals' certificates (PEM) */
	const char *db_path;		  /* its own SQLite database (created) */
	const char *keys_path;		  /* issuer test keys (tests/data/keys/...) */
	const char *params_dir;		  /* packages KIND-VERSION.pkg; NULL: none */
	/* QR root keys, one per line "VERSION INDEX EXPIRY KEY" as [qr]
	 * root_key takes them (docs/qr.md); NULL: every charged code refused */
	const char *qr_roots_path;
	uint16_t port;	   /* 0: any free port on 127.0.0.1 */
	int slow_ms;	   /* PLATFORM_FAULT_SLOW: delay before answering */
	int retry_after_s; /* PLATFORM_FAULT_429: Retry-After */
};

/* What a POST /v1/records request gets instead of a plain answer. */
enum platform_fault {
	PLATFORM_FAULT_NONE = 0,
	PLATFORM_FAULT_503,	      /* 503, nothing processed */
	PLATFORM_FAULT_500_AFTER,     /* processed and stored, then 500 */
	PLATFORM_FAULT_429,	      /* 429 + Retry-After, nothing processed */
	PLATFORM_FAULT_SLOW,	      /* processed, answered after slow_ms */
	PLATFORM_FAULT_DROP_REQUEST,  /* connection closed while the body arrives */
	PLATFORM_FAULT_DROP_RESPONSE, /* processed, half the answer, connection closed */
	PLATFORM_FAULT_MALFORMED,     /* processed, answered 200 with broken JSON */
	PLATFORM_FAULT_PARTIAL,	      /* processed, only the first half of the results */
	PLATFORM_FAULT__COUNT
};

/* "503", "500-after", "429", "slow", "drop-request", "drop-response",
 * "malformed", "partial"; -1 if unknown. */
int platform_fault_from_name(const char *name);
const char *platform_fault_name(enum platform_fault f);

/* Start serving (threads of its own).  Caller stops it with
 * platform_stop().  -errno / -EIO with a reason. */
int platform_start(const struct platform_options *opts, struct platform **ret, char *errbuf,
		   size_t errbuf_len);
void platform_stop(struct platform *p);
uint16_t platform_port(const struct platform *p);

/* Records request number n (1, 2, ... from the start) gets fault f when
 * n % period == phase; one rule per fault kind, the first kind in enum order
 * that matches wins.  period 0 clears the rule. */
void platform_fault_every(struct platform *p, enum platform_fault f, unsigned period,
			  unsigned phase);
/* The next count records requests get fault f (before any periodic rule). */
void platform_fault_next(struct platform *p, enum platform_fault f, unsigned count);
/* The next count package downloads (GET /v1/params/KIND/VERSION) get fault
 * f: PLATFORM_FAULT_503, or PLATFORM_FAULT_DROP_RESPONSE (half the file,
 * then the connection closed). */
void platform_package_fault_next(struct platform *p, enum platform_fault f, unsigned count);
/* Refuse every request from this device with 403 (its certificate revoked). */
void platform_revoke(struct platform *p, const char *device_id);

struct platform_stats {
	uint64_t requests, records_requests, heartbeats, params_served;
	uint64_t faults[PLATFORM_FAULT__COUNT];
	uint64_t accepted, duplicates, rejected; /* answers given (also those lost) */
	uint64_t tac_verified, tac_failed;
	uint64_t qr_verified, qr_failed; /* charged QR codes whose chain did (not) verify */
	uint64_t refused;		 /* requests refused with 403 */
};
void platform_stats(struct platform *p, struct platform_stats *ret);

#endif
