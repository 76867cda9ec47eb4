/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a purchase intent must look like before it is written.  The schema's
 * CHECK constraints say the same thing again; checking here first gives
 * the caller -EINVAL and a reason instead of a constraint error, and keeps a
 * malformed record from ever reaching the clearing platform.
 */
#include "store_private.h"

#include "bytes.h"

#include <stdbool.h>
#include <string.h>

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

static bool all_chars(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

/* Exactly len characters, all from set. */
static bool fixed_text(const char *s, size_t len, const char *set)
{
	return strlen(s) == len && all_chars(s, set);
}

/* Free text (device id, line, station...): no control characters, so that
 * logs and exports stay one line per record.  Bytes >= 0x80 are allowed for
 * UTF-8 names such as a vehicle plate. */
static bool plain_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool fen_ok(int64_t v)
{
	return v >= 0 && v <= STORE_MAX_FEN;
}

static const char *strings_unterminated(const struct ykt_purchase_record *rec)
{
	if (!TERMINATED(rec->device_id) || !TERMINATED(rec->card_serial) ||
	    !TERMINATED(rec->issuer_id) || !TERMINATED(rec->card_city) ||
	    !TERMINATED(rec->psam_terminal_no) || !TERMINATED(rec->txn_time) ||
	    !TERMINATED(rec->line) || !TERMINATED(rec->direction) || !TERMINATED(rec->vehicle) ||
	    !TERMINATED(rec->station) || !TERMINATED(rec->operator_code))
		return "a text field is not NUL-terminated";
	return NULL;
}

static const char *card_invalid(const struct ykt_purchase_record *rec)
{
	static const char hex_upper[] = "0123456789ABCDEF";

	/* upper case only: the canonical form (cardno.h), so that the unique
	 * key on card serial + INIT ATC cannot be dodged by letter case */
	if (!fixed_text(rec->card_serial, STORE_CARD_SERIAL_LEN, hex_upper))
		return "card_serial is not 20 upper-case hex digits";
	if (rec->issuer_id[0] && !fixed_text(rec->issuer_id, 16, hex_upper))
		return "issuer_id is not empty nor 16 upper-case hex digits";
	/* the city code is stored as the card holds it (normally BCD); judging
	 * it is the rules' business, recording it exactly is ours */
	if (rec->card_city[0] && !fixed_text(rec->card_city, 4, hex_upper))
		return "card_city is not empty nor 4 upper-case hex digits";
	if (!fen_ok(rec->balance_before_fen))
		return "balance_before_fen out of range";
	if (rec->overdraft_limit_fen > STORE_MAX_OVERDRAFT_FEN)
		return "overdraft_limit_fen out of range";
	return NULL;
}

/* txn_time and txn_unix_s must be the same instant: one timestamp feeds
 * MAC1, DEBIT, the TAC and the record (DESIGN.md). */
static const char *time_invalid(const struct ykt_purchase_record *rec)
{
	uint8_t bcd[7];
	struct ykt_cst t;

	if (!fixed_text(rec->txn_time, 14, "0123456789"))
		return "txn_time is not 14 digits";
	if (ykt_hex_decode(rec->txn_time, bcd, sizeof(bcd)) < 0 || ykt_cst_from_bcd7(bcd, &t) < 0)
		return "txn_time is not a real date and time";
	if (ykt_cst_to_unix(&t) != rec->txn_unix_s)
		return "txn_unix_s is not the instant txn_time names";
	return NULL;
}

static const char *txn_invalid(const struct ykt_purchase_record *rec)
{
	if (rec->trans_type != 0x06 && rec->trans_type != 0x09)
		return "trans_type is neither 06 nor 09";
	if (!fen_ok(rec->amount_fen) || !fen_ok(rec->nominal_fen) || !fen_ok(rec->discount_fen))
		return "an amount is out of range";
	if (!fixed_text(rec->psam_terminal_no, 12, "0123456789"))
		return "psam_terminal_no is not 12 digits";
	if (rec->has_capp_1e && rec->trans_type != 0x09)
		return "a 0x1E record without a compound purchase";
	if (rec->has_capp_1a && (rec->trans_type != 0x09 || rec->capp_1a[0] != 0x27))
		return "a 0x1A record without a compound purchase, or not a 27xx record";
	if (rec->created_ms < 0)
		return "created_ms is negative";
	return time_invalid(rec);
}

static const char *where_invalid(const struct ykt_purchase_record *rec)
{
	if (!rec->device_id[0])
		return "device_id is empty";
	if (!plain_text(rec->device_id) || !plain_text(rec->line) || !plain_text(rec->direction) ||
	    !plain_text(rec->vehicle) || !plain_text(rec->station) ||
	    !plain_text(rec->operator_code))
		return "a text field holds control characters";
	return NULL;
}

const char *store_purchase_invalid(const struct ykt_purchase_record *rec)
{
	const char *why = strings_unterminated(rec);

	if (!why)
		why = card_invalid(rec);
	if (!why)
		why = txn_invalid(rec);
	if (!why)
		why = where_invalid(rec);
	return why;
}
