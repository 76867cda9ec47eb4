/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One scanned QR code, served as a tap is (docs/qr.md, "At the validator"):
 *
 *   parse → the scan guard (bounce, replay) → the chain, times, account
 *   and limit (qr_verify, with the fare) → the account's repeat window →
 *   a durable QR record → the outcome (the passenger is told next)
 *
 * A charged code is remembered by the guard only once its record is
 * durable; a code the store already holds as charged is refused as
 * replayed, even across restarts (the guard is loaded from the store at
 * start, and the store's own unique index stands behind it).  Refused codes
 * are recorded too, with nothing charged, except those that do not parse
 * and scanner bounces (ignored, nothing shown).
 *
 * Fare: the account type maps to a card type ([qr_account_types]) whose
 * card-type rule prices the flat fare (terminal/fare.h); codes are not
 * served under metro or segmented-bus fares (no trip can be kept on them).
 */
#ifndef YKT_QR_TAP_H
#define YKT_QR_TAP_H

#include "qr.h"
#include "tap.h"

#include <stddef.h>
#include <stdint.h>

struct ykt_qr_tap;

/* The scan guard, loaded with the codes the store holds as charged within
 * a code's longest validity.  Caller frees with ykt_qr_tap_free(). */
int ykt_qr_tap_new(const struct ykt_tap_env *env, struct ykt_qr_tap **ret);
void ykt_qr_tap_free(struct ykt_qr_tap *q);

/* Serve one code (len 0: an unreadable scan) now, up to its outcome; the
 * record is durable on return when one was written (res->record_no).  The
 * caller has checked the validator is in service.  TAP_QR_BOUNCE: show
 * nothing. */
void ykt_qr_tap_run(struct ykt_qr_tap *q, const struct ykt_tap_env *env, const uint8_t *code,
		    size_t len, struct tap_result *res);

/* The outcome that tells the passenger about a verdict. */
enum tap_outcome ykt_qr_outcome(enum qr_verdict v);

#endif
