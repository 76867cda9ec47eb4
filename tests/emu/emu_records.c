/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "emu_records.h"

#include "check.h"

#include <string.h>

#define SAME_INT(f)                                                                                \
	CHECK(a->f == b->f, "record %lld: " #f " %lld in process, %lld %s",                        \
	      (long long)a->record_no, (long long)a->f, (long long)b->f, via)
#define SAME_STR(f)                                                                                \
	CHECK(strcmp(a->f, b->f) == 0, "record %lld: " #f " '%s' in process, '%s' %s",             \
	      (long long)a->record_no, a->f, b->f, via)
#define SAME_BYTES(f)                                                                              \
	CHECK(memcmp(a->f, b->f, sizeof(a->f)) == 0, "record %lld: " #f " differs %s",             \
	      (long long)a->record_no, via)

void emu_same_record(const struct ykt_purchase_record *a, const struct ykt_purchase_record *b,
		     const char *via)
{
	SAME_INT(record_no);
	SAME_STR(device_id);
	SAME_INT(state);
	SAME_INT(upload_state);
	SAME_INT(mac2_status);
	SAME_INT(flags);
	SAME_STR(card_serial);
	SAME_STR(issuer_id);
	SAME_STR(card_city);
	SAME_INT(card_type);
	SAME_INT(init_atc);
	SAME_INT(balance_before_fen);
	SAME_INT(balance_after_fen);
	SAME_INT(overdraft_limit_fen);
	SAME_INT(key_version);
	SAME_INT(key_index);
	SAME_INT(algorithm_id);
	SAME_INT(trans_type);
	SAME_INT(amount_fen);
	SAME_INT(nominal_fen);
	SAME_INT(discount_fen);
	SAME_STR(psam_terminal_no);
	SAME_INT(psam_serial);
	SAME_STR(txn_time);
	SAME_INT(txn_unix_s);
	SAME_INT(has_tac);
	SAME_BYTES(tac);
	SAME_BYTES(mac2);
	SAME_INT(industry);
	SAME_STR(line);
	SAME_STR(direction);
	SAME_STR(vehicle);
	SAME_STR(station);
	SAME_STR(operator_code);
	SAME_INT(has_capp_1e);
	SAME_BYTES(capp_1e);
	SAME_INT(has_capp_1a);
	SAME_BYTES(capp_1a);
	SAME_INT(created_ms);
}
