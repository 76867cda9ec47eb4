/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: every parser of card answers in terminal/card.c, and the
 * R-APDU and BER-TLV layers under them.  The first byte picks the parser,
 * the rest is the card's answer (data ‖ SW1 SW2 for the R-APDU layer).
 * Besides not crashing, a parser must leave its output untouched when it
 * refuses, and what it accepts must hold what the layout promises.
 */
#include "apdu.h"
#include "bytes.h"
#include "card.h"
#include "tlv.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MUST(cond)                                                                                 \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void fuzz_select(const uint8_t *d, size_t n)
{
	uint8_t aid[16], f15[CARD_FILE15_LEN];
	size_t aid_len = 0;
	bool has = false;
	struct card_file15 f;

	if (card_parse_ppse(d, n, aid, &aid_len) == 0)
		MUST(aid_len >= TUNION_AID_LEN && aid_len <= 16 &&
		     memcmp(aid, tunion_ep_aid, TUNION_AID_LEN) == 0);
	if (card_parse_fci(d, n, f15, &has) == 0 && has &&
	    card_parse_file15(f15, sizeof(f15), &f) == 0)
		MUST(f.start_date >= 10000101 && f.expiry_date <= 99991231);
}

static void fuzz_files(const uint8_t *d, size_t n)
{
	struct card_file15 f15;
	struct card_file17 f17;
	struct card_rec18 r18;
	struct card_rec1a_header r1a;
	struct card_rec1e r1e;
	uint8_t again[CARD_REC1E_LEN];

	if (card_parse_file15(d, n, &f15) == 0)
		MUST(n == CARD_FILE15_LEN);
	if (card_parse_file17(d, n, &f17) == 0)
		MUST(ykt_bcd_valid(f17.city, 2) && ykt_bcd_valid(f17.province, 2));
	if (card_parse_rec18(d, n, &r18) == 0)
		MUST(n == CARD_REC18_LEN && ykt_bcd_valid(r18.datetime, 7));
	if (card_parse_rec1a_header(d, n, &r1a) == 0)
		MUST(r1a.id_low >= 1 && r1a.id_low <= 0x12);
	if (card_parse_rec1e(d, n, &r1e) == 0) {
		/* what was parsed builds back to the same bytes where it is defined */
		card_build_rec1e(&r1e, again);
		MUST(memcmp(again + 25, d + 25, 7) == 0 && again[0] == d[0]);
	}
}

static void fuzz_purchase(const uint8_t *d, size_t n)
{
	struct card_init_resp init;
	uint8_t tac[4], mac2[4];

	if (card_parse_init(d, n, &init) == 0)
		MUST(n == 15 && init.overdraft_limit_fen <= 0xFFFFFF);
	if (card_parse_debit(d, n, tac, mac2) == 0)
		MUST(n == 8 && memcmp(tac, d, 4) == 0);
	if (card_parse_prove(d, n, mac2, tac) == 0)
		MUST(n == 8 && memcmp(mac2, d, 4) == 0);
}

static void fuzz_layers(const uint8_t *d, size_t n)
{
	struct rapdu r;
	struct tlv t;
	size_t pos = 0;
	int rc;

	if (rapdu_parse(d, n, &r) == 0)
		MUST(r.len + 2 == n && r.len <= sizeof(r.data));
	while ((rc = tlv_next(d, n, &pos, &t)) == 0)
		MUST(t.value >= d && t.value + t.len <= d + n && pos <= n);
	MUST(rc == -ENODATA || rc == -EBADMSG);
	tlv_find(d, n, 0x9F0C, &t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the answer */
	uint8_t *d;

	if (size < 1)
		return 0;
	d = malloc(size - 1 ? size - 1 : 1);
	if (!d)
		return 0;
	memcpy(d, data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		fuzz_select(d, size - 1);
		break;
	case 1:
		fuzz_files(d, size - 1);
		break;
	case 2:
		fuzz_purchase(d, size - 1);
		break;
	default:
		fuzz_layers(d, size - 1);
		break;
	}
	free(d);
	return 0;
}
