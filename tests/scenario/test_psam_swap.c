/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PSAM lifecycle, end to end in process (tests/scenario/psam-swap):
 *   tap 2   the PSAM is pulled out after DEBIT, before its MAC2 check: the
 *           record stands, flagged MAC2-unchecked;
 *   tap 3-4 the slot is empty: out of service, not one APDU to the card;
 *   then    another PSAM (psam2) is pushed in: reset and read at once, the
 *           swap stored as an event record (old and new terminal numbers,
 *           the slot, a time between the two taps);
 *   tap 5   paid under psam2's terminal number;
 *   tap 6   psam2 vanishes right after MAC1 (remove-after in ykt.conf):
 *           out of service, the card is not debited, its intent void;
 *   then    psam2 pushed back in: the same PSAM, so no swap event;
 *   tap 7   paid.
 *
 * Usage: test-psam-swap DIR DATA_DIR
 */
#include "bytes.h"
#include "check.h"
#include "config.h"
#include "reader_sim.h"
#include "sam_sim.h"
#include "sim.h"
#include "store.h"
#include "validator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_TAPS 7

static const char *const expected[N_TAPS] = {
	"paid", "paid", "out-of-service", "out-of-service", "paid", "out-of-service", "paid",
};

struct run {
	struct ykt_validator *v;
	const char *data_dir;
	int n_taps;
	enum tap_outcome got[N_TAPS];
	int exchanges[N_TAPS];
	int64_t record_no[N_TAPS];
};

/* what the maintenance crew does after tap n was decided */
static void crew(struct run *r, int n)
{
	struct ykt_sam *slot = ykt_validator_sam_slot(r->v, 1);
	char path[1024], err[256] = "";

	if (n == 2)
		CHECK_INT(ykt_sam_sim_remove(slot), 0);
	if (n == 4) {
		snprintf(path, sizeof(path), "%s/psam/psam2.psam", r->data_dir);
		CHECK(ykt_sam_sim_insert(slot, path, err, sizeof(err)) == 0, "psam2: %s", err);
	}
	if (n == 6) {
		CHECK_INT(ykt_sam_sim_remove(slot), -EALREADY); /* it vanished by itself */
		CHECK_INT(ykt_sam_sim_insert(slot, NULL, err, sizeof(err)), 0);
	}
}

static void on_tap(int n, const struct tap_result *res, void *userdata)
{
	struct run *r = userdata;

	ykt_tap_print(stdout, n, res);
	r->n_taps = n;
	if (n < 1 || n > N_TAPS)
		return;
	r->got[n - 1] = res->outcome;
	r->exchanges[n - 1] = ykt_reader_sim_tap_exchanges(ykt_validator_reader(r->v));
	r->record_no[n - 1] = res->record_no;
	crew(r, n);
}

static void check_record(struct ykt_store *s, const struct run *r, int tap, const char *terminal,
			 int mac2_status, uint32_t flags)
{
	struct ykt_purchase_record rec;

	CHECK(store_purchase_get(s, r->record_no[tap - 1], &rec) == 0, "tap %d has a record", tap);
	CHECK(strcmp(rec.psam_terminal_no, terminal) == 0, "tap %d: terminal %s, expected %s", tap,
	      rec.psam_terminal_no, terminal);
	CHECK(rec.state == STORE_COMPLETE, "tap %d: state %d", tap, rec.state);
	CHECK(rec.mac2_status == mac2_status, "tap %d: MAC2 status %d, expected %d", tap,
	      rec.mac2_status, mac2_status);
	CHECK(rec.flags == flags, "tap %d: flags %u, expected %u", tap, rec.flags, flags);
}

/* the intent of a tap whose PSAM vanished before DEBIT: void */
static void check_void(struct ykt_store *s, const struct run *r, int tap)
{
	struct ykt_purchase_record rec;

	CHECK(store_purchase_get(s, r->record_no[tap - 1], &rec) == 0, "tap %d has an intent", tap);
	CHECK(rec.state == STORE_VOID, "tap %d: state %d, not void", tap, rec.state);
}

struct events {
	struct ykt_event_record ev[4];
	int n;
};

static int collect_event(const struct ykt_event_record *ev, void *userdata)
{
	struct events *e = userdata;

	if (e->n < 4)
		e->ev[e->n] = *ev;
	e->n++;
	return 0;
}

static void check_swap_event(struct ykt_store *s, const struct run *r)
{
	static struct events e;
	const struct ykt_event_record *ev = &e.ev[0];

	CHECK_INT(store_event_foreach(s, NULL, collect_event, &e), 0);
	CHECK(e.n == 1, "%d events stored, expected one swap", e.n);
	if (e.n < 1)
		return;
	CHECK(strcmp(ev->kind, "psam-swap") == 0, "event kind %s", ev->kind);
	CHECK(strcmp(ev->device_id, "TEST-PSAM-SWAP") == 0, "event device %s", ev->device_id);
	CHECK(strstr(ev->body, "\"old\":\"001122334455\"") &&
		  strstr(ev->body, "\"new\":\"001122334456\"") && strstr(ev->body, "\"slot\":1"),
	      "swap body %s", ev->body);
	/* seen between tap 4 (08:01:30) and tap 5 (08:02:00) */
	CHECK(strcmp(ev->event_time, "20261121080130") >= 0 &&
		  strcmp(ev->event_time, "20261121080200") <= 0,
	      "swap time %s", ev->event_time);
	CHECK(ev->record_no > r->record_no[1] && ev->record_no < r->record_no[4],
	      "event record %lld not between the purchases around it", (long long)ev->record_no);
}

/* the student card: debited at taps 2 and 7, touched but not debited at 6 */
static void check_ledgers(struct ykt_reader *reader)
{
	struct sim_card_info info;
	struct sim_card *card;
	size_t debits = 0;

	for (size_t i = 0; (card = ykt_reader_sim_card(reader, i)); i++) {
		sim_card_info(card, &info);
		debits += info.n_debits;
		if (strcmp(info.name, "student") == 0)
			CHECK(info.n_debits == 2, "student card debited %zu times, expected 2",
			      info.n_debits);
	}
	CHECK(debits == 4, "%zu debits on all cards, expected 4", debits);
}

int main(int argc, char **argv)
{
	static struct ykt_config cfg;
	static struct run r;
	char tmpl[256], path[1024], err[512];
	struct ykt_store *s = NULL;
	struct store_counts counts;

	if (argc != 3)
		return 2;
	r.data_dir = argv[2];
	check_tmpdir(tmpl, sizeof(tmpl));
	snprintf(path, sizeof(path), "%s/ykt.conf", argv[1]);
	CHECK(ykt_config_load(path, &cfg, err, sizeof(err)) == 0, "config: %s", err);
	snprintf(cfg.store_path, sizeof(cfg.store_path), "%s/records.db", tmpl);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s/state", tmpl);
	CHECK(ykt_validator_new(&cfg, &r.v, err, sizeof(err)) == 0, "validator: %s", err);
	if (check_failures)
		return check_result();
	CHECK_INT(ykt_validator_run(r.v, on_tap, &r), 0);
	CHECK_INT(r.n_taps, N_TAPS);
	for (int i = 0; i < N_TAPS; i++)
		CHECK(strcmp(tap_outcome_text(r.got[i])->key, expected[i]) == 0,
		      "tap %d: %s, expected %s", i + 1, tap_outcome_text(r.got[i])->key,
		      expected[i]);
	CHECK(r.exchanges[2] == 0 && r.exchanges[3] == 0,
	      "no PSAM, yet %d and %d APDUs went to the cards", r.exchanges[2], r.exchanges[3]);
	CHECK(r.exchanges[5] > 0, "tap 6 reached the card before the PSAM vanished");

	CHECK(store_open(cfg.store_path, NULL, &s, NULL, 0) == 0, "store reopens");
	if (s) {
		check_record(s, &r, 1, "001122334455", MAC2_OK, 0);
		check_record(s, &r, 2, "001122334455", MAC2_UNCHECKED, STORE_FLAG_MAC2_UNCHECKED);
		check_record(s, &r, 5, "001122334456", MAC2_OK, 0);
		check_record(s, &r, 7, "001122334456", MAC2_OK, 0);
		CHECK_INT(store_count(s, &counts), 0);
		CHECK(counts.total == 5 && counts.complete == 4, "%lld records, %lld complete",
		      (long long)counts.total, (long long)counts.complete);
		check_void(s, &r, 6);
		check_swap_event(s, &r);
	}
	check_ledgers(ykt_validator_reader(r.v));
	store_close(s);
	ykt_validator_free(r.v);
	if (!check_failures)
		check_rm_rf(tmpl);
	return check_result();
}
