/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A simulated shift, end to end, in process: the reader loop runs the tap
 * script against the simulated cards and PSAM, then the store is checked
 * against the cards' own ledgers:
 *   - each tap ended as the script's expect= says, and where the script says
 *     debit=yes or debit=no, the card's ledger shows (or not) a debit for
 *     that tap's record;
 *   - a two-card tap sent no APDU at all;
 *   - every stored TAC recomputes from the record's own fields and the
 *     issuer's test TAC master key, 3DES or SM4 by the record's algorithm id
 *     (this file reads the key file itself and shares only the crypto
 *     primitives with the simulator);
 *   - per card, every debit has its record (complete, or grey when the
 *     answer was lost), the amounts of those records equal the balance
 *     decrease, the debits' ATCs are consecutive, and the card's 1E records
 *     match the stored ones.
 *
 * With JUMP_AFTER, another user of the PSAM takes one terminal serial right
 * after tap JUMP_AFTER (a raw 8070): the next tap's intent, written with the
 * serial MAC1 was expected to return, must be corrected before DEBIT, which
 * the per-card checks above see (record serial = the serial the card got).
 *
 * Usage: test-shift DIR KEYFILE MIN_TAPS [JUMP_AFTER]
 *        (DIR holds ykt.conf and shift.tap)
 */
#include "bytes.h"
#include "check.h"
#include "config.h"
#include "pboc_crypto.h"
#include "reader_sim.h"
#include "sam.h"
#include "sim.h"
#include "store.h"
#include "validator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_TAPS    256
#define MAX_RECORDS 1024

struct shift {
	char expect[MAX_TAPS][32];
	char expect_debit[MAX_TAPS]; /* 'y', 'n' or 0 */
	int n_expect;
	int n_taps;
	enum tap_outcome got[MAX_TAPS];
	int64_t got_record[MAX_TAPS];
	struct ykt_validator *v;
	struct ykt_purchase_record recs[MAX_RECORDS];
	size_t n_recs;
	int jump_after; /* 0: no serial jump */
	int present;	/* taps seen by the step hook */
	bool jumped;
};

/* expect=OUTCOME on each tap line of the script, in order */
static int read_expectations(const char *script, struct shift *s)
{
	char line[512];
	FILE *f = fopen(script, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && s->n_expect < MAX_TAPS) {
		char *e = strstr(line, "expect=");

		if (strncmp(line, "tap ", 4) != 0)
			continue;
		char *d = strstr(line, "debit=");

		if (!e || sscanf(e + 7, "%31[a-z-]", s->expect[s->n_expect]) != 1)
			snprintf(s->expect[s->n_expect], sizeof(s->expect[0]), "?");
		s->expect_debit[s->n_expect] = d ? d[6] : 0;
		s->n_expect++;
	}
	fclose(f);
	return 0;
}

static void on_tap(int n, const struct tap_result *res, void *userdata)
{
	struct shift *s = userdata;

	ykt_tap_print(stdout, n, res);
	if (n >= 1 && n <= MAX_TAPS) {
		s->got[n - 1] = res->outcome;
		s->got_record[n - 1] = res->record_no;
	}
	s->n_taps = n;
	if (res->outcome == TAP_MULTI_CARD)
		CHECK(ykt_reader_sim_tap_exchanges(ykt_validator_reader(s->v)) == 0,
		      "tap %d: two cards in the field, yet APDUs were sent", n);
}

/* After tap jump_after has finished with the PSAM, a valid 8070 of someone
 * else's purchase (a 06 of 1 fen on a fictional card) spends one serial. */
static void on_step(const char *step, int64_t at_ns, void *userdata)
{
	static const uint8_t mac1_cmd[5 + 36] = {
		0x80, 0x70, 0x00, 0x00, 0x24, 0x01, 0x02, 0x03, 0x04, 0x00, 0x05, 0x00, 0x00, 0x00,
		0x01, 0x06, 0x20, 0x26, 0x11, 0x21, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x99, 0x01, 0x01, 0x10, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
	};
	struct shift *s = userdata;
	uint8_t resp[258];
	size_t len = 0;

	if (strcmp(step, "present") == 0)
		s->present++;
	if (strcmp(step, "mac2") != 0 || s->present != s->jump_after)
		return;
	CHECK(ykt_sam_transmit(ykt_validator_sam(s->v), mac1_cmd, sizeof(mac1_cmd), resp,
			       sizeof(resp), &len) == 0 &&
		  len == 2 && resp[0] == 0x61,
	      "the extra 8070 after tap %d was not taken by the PSAM", s->jump_after);
	s->jumped = true;
}

static int collect(const struct ykt_purchase_record *rec, void *userdata)
{
	struct shift *s = userdata;

	if (s->n_recs == MAX_RECORDS)
		return -ENOSPC;
	s->recs[s->n_recs++] = *rec;
	return 0;
}

/* What the TAC check needs from the issuer's test key file, read here and
 * not through the simulator: [key.01] mtk (3DES) and mtk_sm4, and the
 * documented SM4 choices of [sm4] (docs/sm4.md). */
struct issuer_keys {
	uint8_t mtk[16], mtk_sm4[16];
	bool has_mtk, has_mtk_sm4;
	unsigned sm4_algorithm_id;
	struct pboc_sm4_profile sm4;
};

static void read_sm4_choice(struct issuer_keys *k, const char *key, const char *value)
{
	if (strcmp(key, "algorithm_id") == 0)
		sscanf(value, "%x", &k->sm4_algorithm_id);
	else if (strcmp(key, "session_key_input") == 0)
		k->sm4.session_key_input = strcmp(value, "zero") == 0	  ? PBOC_SM4_SK_ZERO
					   : strcmp(value, "repeat") == 0 ? PBOC_SM4_SK_REPEAT
									  : PBOC_SM4_SK_PAD80;
	else if (strcmp(key, "mac_output") == 0)
		k->sm4.mac_output = strcmp(value, "xor-halves-left4") == 0
					? PBOC_SM4_MAC_XOR_HALVES_LEFT4
					: PBOC_SM4_MAC_LEFT4;
	else if (strcmp(key, "tac_key") == 0)
		k->sm4.tac_key = strcmp(value, "xor-halves") == 0  ? PBOC_SM4_TAC_XOR_HALVES
				 : strcmp(value, "left-half") == 0 ? PBOC_SM4_TAC_LEFT_HALF
								   : PBOC_SM4_TAC_FULL;
}

static int read_issuer_keys(const char *path, struct issuer_keys *k)
{
	char line[256], section[64] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	pboc_sm4_profile_default(&k->sm4);
	k->sm4_algorithm_id = PBOC_SM4_ALGORITHM_ID_DEFAULT;
	while (fgets(line, sizeof(line), f)) {
		char key[64], value[128];

		if (sscanf(line, " [%63[^]]]", section) == 1)
			continue;
		if (strcmp(section, "sm4") == 0 &&
		    sscanf(line, " %63[a-z_0-9] = %127[0-9A-Za-z-]", key, value) == 2)
			read_sm4_choice(k, key, value);
		if (strcmp(section, "key.01") != 0 ||
		    sscanf(line, " %63[a-z_0-9] = %127[0-9A-Fa-f ]", key, value) != 2)
			continue;
		if (strcmp(key, "mtk") == 0)
			k->has_mtk = ykt_hex_decode(value, k->mtk, 16) == 0;
		if (strcmp(key, "mtk_sm4") == 0)
			k->has_mtk_sm4 = ykt_hex_decode(value, k->mtk_sm4, 16) == 0;
	}
	fclose(f);
	return k->has_mtk ? 0 : -ENOENT;
}

static int recompute_tac(const struct ykt_purchase_record *rec, const struct issuer_keys *k,
			 uint8_t tac[4])
{
	uint8_t issuer[8], serial[10], terminal[6], dt[7], dtk[16];
	int r = 0;

	if (ykt_hex_decode(rec->issuer_id, issuer, 8) ||
	    ykt_hex_decode(rec->card_serial, serial, 10) ||
	    ykt_hex_decode(rec->psam_terminal_no, terminal, 6) ||
	    ykt_hex_decode(rec->txn_time, dt, 7))
		return -EINVAL;
	if (rec->algorithm_id == k->sm4_algorithm_id) {
		if (!k->has_mtk_sm4)
			return -ENOENT;
		r = pboc_sm4_diversify2(k->mtk_sm4, issuer, serial + 2, dtk);
		return r ? r
			 : pboc_sm4_tac(&k->sm4, dtk, (uint32_t)rec->amount_fen, rec->trans_type,
					terminal, rec->psam_serial, dt, tac);
	}
	r = pboc_diversify2(k->mtk, issuer, serial + 2, dtk);
	return r ? r
		 : pboc_tac(dtk, (uint32_t)rec->amount_fen, rec->trans_type, terminal,
			    rec->psam_serial, dt, tac);
}

static void check_tac(const struct ykt_purchase_record *rec, const struct issuer_keys *k)
{
	uint8_t tac[4];

	CHECK(recompute_tac(rec, k, tac) == 0, "record %lld: TAC cannot be recomputed",
	      (long long)rec->record_no);
	CHECK(memcmp(tac, rec->tac, 4) == 0,
	      "record %lld: stored TAC %02X%02X%02X%02X does not recompute",
	      (long long)rec->record_no, rec->tac[0], rec->tac[1], rec->tac[2], rec->tac[3]);
}

/* The record of a debit the card applied: card, ATC and PSAM serial. */
static const struct ykt_purchase_record *find_record(const struct shift *s, const char *serial,
						     const struct sim_debit *d)
{
	for (size_t i = 0; i < s->n_recs; i++)
		if (strcmp(s->recs[i].card_serial, serial) == 0 && s->recs[i].init_atc == d->atc &&
		    s->recs[i].psam_serial == d->terminal_serial &&
		    (s->recs[i].state == STORE_COMPLETE || s->recs[i].state == STORE_GREY))
			return &s->recs[i];
	return NULL;
}

static void check_debit(const struct sim_card_info *info, const struct sim_debit *d,
			const struct ykt_purchase_record *rec)
{
	CHECK(rec != NULL, "%s: debit at ATC %u has no stored record", info->name, d->atc);
	if (!rec)
		return;
	CHECK(rec->amount_fen == d->amount_fen, "%s ATC %u: stored amount %lld, card debited %u",
	      info->name, d->atc, (long long)rec->amount_fen, d->amount_fen);
	CHECK(rec->psam_serial == d->terminal_serial, "%s ATC %u: PSAM serial differs", info->name,
	      d->atc);
	if (rec->state == STORE_COMPLETE)
		CHECK(memcmp(rec->tac, d->tac, 4) == 0, "%s ATC %u: TAC differs from the card's",
		      info->name, d->atc);
}

/* The card's 1E file, newest first, against the compound records in order. */
static void check_1e(const struct shift *s, const struct sim_card_info *info, const char *serial)
{
	const struct ykt_purchase_record *compound[64];
	size_t n = 0;

	for (size_t i = 0; i < info->n_debits && n < 64; i++) {
		const struct ykt_purchase_record *rec = find_record(s, serial, &info->debits[i]);

		if (rec && rec->trans_type == 0x09)
			compound[n++] = rec;
	}
	CHECK(info->n_1e == n || (n > 30 && info->n_1e == 30),
	      "%s: %zu 1E records on the card, %zu compound purchases stored", info->name,
	      info->n_1e, n);
	for (size_t k = 0; k < info->n_1e && k < n; k++) {
		const struct ykt_purchase_record *rec = compound[n - 1 - k];

		CHECK(rec->has_capp_1e && memcmp(rec->capp_1e, info->rec1e[k], 48) == 0,
		      "%s: 1E record %zu differs from stored record %lld", info->name, k + 1,
		      (long long)rec->record_no);
	}
}

/* The card applied the debit of this record: same ATC and PSAM serial
 * (a refused DEBIT leaves the ATC for the next purchase to use). */
static bool card_debited(const struct sim_card_info *info, const struct ykt_purchase_record *rec)
{
	for (size_t i = 0; i < info->n_debits; i++)
		if (info->debits[i].atc == rec->init_atc &&
		    info->debits[i].terminal_serial == rec->psam_serial)
			return true;
	return false;
}

static const struct ykt_purchase_record *record_no(const struct shift *s, int64_t no)
{
	for (size_t i = 0; i < s->n_recs; i++)
		if (s->recs[i].record_no == no)
			return &s->recs[i];
	return NULL;
}

/* debit=yes|no on a tap: did the card apply a debit for that tap's record? */
static void check_debit_expectations(const struct shift *s, struct ykt_reader *reader)
{
	for (int t = 0; t < s->n_taps && t < s->n_expect; t++) {
		const struct ykt_purchase_record *rec = record_no(s, s->got_record[t]);
		bool debited = false;
		struct sim_card *card;
		struct sim_card_info info;
		char serial[21];

		if (!s->expect_debit[t])
			continue;
		for (size_t i = 0; rec && (card = ykt_reader_sim_card(reader, i)); i++) {
			sim_card_info(card, &info);
			ykt_hex_encode(info.file15 + 10, 10, serial, sizeof(serial));
			if (strcmp(serial, rec->card_serial) == 0)
				debited = card_debited(&info, rec);
		}
		CHECK(debited == (s->expect_debit[t] == 'y'), "tap %d: card %s, expected debit=%s",
		      t + 1, debited ? "debited" : "not debited",
		      s->expect_debit[t] == 'y' ? "yes" : "no");
	}
}

static void check_card(const struct shift *s, struct sim_card *card)
{
	struct sim_card_info info;
	char serial[21];
	int64_t stored = 0;
	size_t n_stored = 0;

	sim_card_info(card, &info);
	ykt_hex_encode(info.file15 + 10, 10, serial, sizeof(serial));
	for (size_t i = 0; i < s->n_recs; i++) {
		const struct ykt_purchase_record *rec = &s->recs[i];

		if (strcmp(rec->card_serial, serial) != 0)
			continue;
		/* a grey record whose debit the card never applied stays grey:
		 * only the platform or the card's return can settle it */
		if (rec->state == STORE_COMPLETE ||
		    (rec->state == STORE_GREY && card_debited(&info, rec))) {
			stored += rec->amount_fen;
			n_stored++;
		}
		CHECK(rec->state != STORE_COMPLETE || card_debited(&info, rec),
		      "%s: complete record %lld has no debit on the card", info.name,
		      (long long)rec->record_no);
	}
	CHECK(stored == (int64_t)info.initial_balance_fen - info.balance_fen,
	      "%s: stored amounts %lld, balance went down by %lld", info.name, (long long)stored,
	      (long long)info.initial_balance_fen - info.balance_fen);
	CHECK(n_stored == info.n_debits, "%s: %zu records for %zu debits", info.name, n_stored,
	      info.n_debits);
	CHECK(info.offline_atc == info.initial_atc + info.n_debits,
	      "%s: ATC %u after %zu debits from %u", info.name, info.offline_atc, info.n_debits,
	      info.initial_atc);
	for (size_t i = 0; i < info.n_debits; i++) {
		CHECK(info.debits[i].atc == info.initial_atc + i,
		      "%s: debit %zu at ATC %u, not consecutive", info.name, i, info.debits[i].atc);
		check_debit(&info, &info.debits[i], find_record(s, serial, &info.debits[i]));
	}
	check_1e(s, &info, serial);
}

static int run_shift(const char *dir, const char *store_path, struct shift *s,
		     struct ykt_validator **ret)
{
	static struct ykt_config cfg;
	char path[1024], err[512];
	int r;

	snprintf(path, sizeof(path), "%s/ykt.conf", dir);
	r = ykt_config_load(path, &cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "config: %s\n", err);
		return r;
	}
	snprintf(cfg.store_path, sizeof(cfg.store_path), "%s", store_path);
	/* the status snapshot goes beside the store, not into the source tree */
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%.*s/state",
		 (int)(strrchr(store_path, '/') - store_path), store_path);
	r = ykt_validator_new(&cfg, ret, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "validator: %s\n", err);
		return r;
	}
	s->v = *ret;
	if (s->jump_after > 0)
		ykt_validator_on_step(*ret, on_step, s);
	return ykt_validator_run(*ret, on_tap, s);
}

int main(int argc, char **argv)
{
	static struct shift s;
	char tmpl[256], store_path[300], path[1024];
	struct ykt_validator *v = NULL;
	struct ykt_store *store = NULL;
	struct sim_card *card;
	static struct issuer_keys keys;

	if (argc != 4 && argc != 5)
		return 2;
	s.jump_after = argc == 5 ? atoi(argv[4]) : 0;
	check_tmpdir(tmpl, sizeof(tmpl));
	snprintf(store_path, sizeof(store_path), "%s/records.db", tmpl);
	snprintf(path, sizeof(path), "%s/shift.tap", argv[1]);
	CHECK(read_expectations(path, &s) == 0 && s.n_expect >= atoi(argv[3]),
	      "script needs %s taps with expect=", argv[3]);
	CHECK(run_shift(argv[1], store_path, &s, &v) == 0, "the shift did not run to its end");
	CHECK(s.n_taps == s.n_expect, "%d taps reported, script has %d", s.n_taps, s.n_expect);
	CHECK(s.jump_after == 0 || s.jumped, "no serial jump after tap %d", s.jump_after);
	for (int i = 0; i < s.n_taps && i < s.n_expect; i++)
		CHECK(strcmp(tap_outcome_text(s.got[i])->key, s.expect[i]) == 0,
		      "tap %d: %s, expected %s", i + 1, tap_outcome_text(s.got[i])->key,
		      s.expect[i]);

	CHECK(store_open(store_path, NULL, &store, NULL, 0) == 0, "store reopens");
	CHECK(store && store_purchase_foreach(store, collect, &s) == 0, "records read");
	CHECK(read_issuer_keys(argv[2], &keys) == 0, "TAC master keys from %s", argv[2]);
	for (size_t i = 0; i < s.n_recs; i++)
		if (s.recs[i].state == STORE_COMPLETE)
			check_tac(&s.recs[i], &keys);
	for (size_t i = 0; v && (card = ykt_reader_sim_card(ykt_validator_reader(v), i)); i++)
		check_card(&s, card);
	if (v)
		check_debit_expectations(&s, ykt_validator_reader(v));

	store_close(store);
	ykt_validator_free(v);
	check_rm_rf(tmpl);
	printf("%zu records checked, %d failures\n", s.n_recs, check_failures);
	return check_failures ? 1 : 0;
}
