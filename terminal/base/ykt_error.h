/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Error codes shared by every layer.
 *
 * Functions return int: >= 0 on success, a negative errno (-ENOMEM, -EIO, ...)
 * for system failures, or a negative project code below for what the card,
 * the PSAM, the store or the configuration said.  Project codes start at
 * -1000 so they never collide with errno values.
 */
#ifndef YKT_ERROR_H
#define YKT_ERROR_H

enum ykt_error {
	/* card and reader (-1000 .. -1099) */
	YKT_E_CARD_GONE = -1000,   /* card left the field, no answer came back */
	YKT_E_CARD_SW = -1001,	   /* card answered a status word we did not expect */
	YKT_E_CARD_FORMAT = -1002, /* card answer malformed (length, BCD, TLV) */
	YKT_E_NO_APP = -1003,	   /* no T-Union application on the card */
	YKT_E_MULTI_CARD = -1004,  /* more than one card in the field */

	/* PSAM (-1100 .. -1199) */
	YKT_E_SAM_ABSENT = -1100,
	YKT_E_SAM_SW = -1101,
	YKT_E_SAM_FORMAT = -1102,
	YKT_E_SAM_NOT_READY = -1103,

	/* store (-1200 .. -1299) */
	YKT_E_STORE = -1200,	     /* SQLite failed; the message says why */
	YKT_E_STORE_FULL = -1201,    /* not enough room to record a tap */
	YKT_E_STORE_DUP = -1202,     /* record already present (unique key) */
	YKT_E_STORE_SCHEMA = -1203,  /* database newer than this binary */
	YKT_E_STORE_CORRUPT = -1204, /* quick_check failed */

	/* configuration and input files (-1300 .. -1399) */
	YKT_E_CONFIG = -1300,
	YKT_E_PARSE = -1301,

	/* terminal state (-1400 .. -1499) */
	YKT_E_CLOCK = -1400, /* clock not trustworthy: no debit */
	YKT_E_LIMIT = -1401, /* a sanity cap was exceeded */

	/* parameter packages and the lists they carry (-1500 .. -1599) */
	YKT_E_PARAM_FORMAT = -1500,    /* malformed package or payload */
	YKT_E_PARAM_HASH = -1501,      /* payload differs from its signed SM3 */
	YKT_E_PARAM_UNSIGNED = -1502,  /* package carries no signature */
	YKT_E_PARAM_SIGNATURE = -1503, /* signature does not verify */
	YKT_E_PARAM_STALE = -1504,     /* version not newer than the installed one */
	YKT_E_PARAM_BASE = -1505,      /* delta does not apply to the installed list */
	YKT_E_PARAM_KIND = -1506,      /* kind not supported by this build */
	YKT_E_PARAM_KEY = -1507,       /* no usable platform public key */
	YKT_E_BLACKLISTED = -1508,     /* card application serial on the blacklist */
	YKT_E_NOT_WHITELISTED = -1509, /* issuer + city not on the interconnect whitelist */

	/* the clearing platform, seen from the uplink (-1600 .. -1699) */
	YKT_E_NET = -1600,	/* no usable answer: network, time-out, 5xx */
	YKT_E_REFUSED = -1601,	/* TLS verification failed, or the platform refused us */
	YKT_E_PROTOCOL = -1602, /* the platform's answer is malformed */
	YKT_E_BUSY = -1603,	/* the platform asked us to come back later */
};

/* Text for an error code (negative errno or project code). Never NULL,
 * static storage, thread-safe. */
const char *ykt_strerror(int err);

#endif
