/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a tap ended as, and what the passenger is told: Chinese with English
 * beneath.  One table; screens (ui/screen.c) and sounds and lights
 * (ui/feedback.c) key off the same outcome.
 */
#ifndef YKT_OUTCOME_H
#define YKT_OUTCOME_H

enum tap_outcome {
	TAP_PAID = 0,	      /* debited, record complete */
	TAP_INSUFFICIENT,     /* 余额不足 */
	TAP_EXPIRED,	      /* 卡片过期 */
	TAP_NOT_YET_VALID,    /* 卡片未启用 */
	TAP_BLOCKED,	      /* 卡片已锁 */
	TAP_NOT_ENABLED,      /* application not enabled (file 0x15 byte 9) */
	TAP_NOT_TUNION,	      /* no T-Union EP application */
	TAP_NON_INTERCONNECT, /* 非互通卡 */
	TAP_CARD_REMOVED,     /* left before anything was charged: tap again */
	TAP_GREY,	      /* 请重刷: left during DEBIT, outcome unknown */
	TAP_CARD_ERROR,	      /* the card answered something we cannot use */
	TAP_OUT_OF_SERVICE,   /* no PSAM / store / clock: no card is touched */
	TAP_MULTI_CARD,	      /* 请单张刷卡 */
	TAP_GREY_PENDING,     /* a torn purchase the card cannot prove: not charged again */
	TAP_BLACKLISTED,      /* 黑名单卡: on the operator's blacklist */
	TAP_ALREADY_TAPPED,   /* 已刷卡: the same card again within the repeat-tap window */
	TAP_NO_ENTRY,	      /* 无进站记录: a metro exit with no entry on the card */
	TAP_NO_EXIT,	      /* 上次未出站: a metro entry while the last trip is still open */
	TAP_WRONG_STATION,    /* 进站信息有误: entered where this network has no fare */
	TAP_CARD_TYPE_REFUSED, /* 本卡种不受理: the card-type rules refuse the type */
	/* T-Union QR codes (docs/qr.md): a charged code is TAP_PAID; each
	 * refusal has its own message */
	TAP_QR_INVALID,		/* does not parse, or the scan was unreadable */
	TAP_QR_UNKNOWN_ROOT,	/* no root key for its version and index */
	TAP_QR_ROOT_EXPIRED,	/* that root key's validity has ended */
	TAP_QR_BAD_CERT,	/* the root CA's signature over the issuer certificate fails */
	TAP_QR_CERT_EXPIRED,	/* the issuer certificate has expired */
	TAP_QR_BAD_ACCOUNT,	/* the issuer's signature over the account data fails */
	TAP_QR_AUTH_EXPIRED,	/* the account's authorisation has expired */
	TAP_QR_BAD_SIGNATURE,	/* the phone's signature over the code fails */
	TAP_QR_EXPIRED,		/* generated longer ago than its validity */
	TAP_QR_FUTURE,		/* generated in the future: the phone's clock is wrong */
	TAP_QR_ACCOUNT_REFUSED, /* account type not accepted (test, unknown) */
	TAP_QR_OVER_LIMIT,	/* the fare is above the account's single-payment limit */
	TAP_QR_REPLAYED,	/* this very code was charged already (a screenshot) */
	TAP_QR_REPEAT_ACCOUNT,	/* the same account within its repeat window */
	TAP_QR_NOT_SERVED,	/* codes are not served here (a metro or segmented-bus fare) */
	TAP_QR_BOUNCE,		/* the scanner read the same code twice: ignored, nothing shown */
	TAP_OUTCOME_COUNT
};

struct outcome_text {
	const char *key; /* stable word for logs, tests and scripts */
	const char *zh;
	const char *en;
};

const struct outcome_text *tap_outcome_text(enum tap_outcome outcome);

#endif
