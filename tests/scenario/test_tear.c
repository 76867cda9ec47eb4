/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tear matrix (docs/tear-matrix.md), row by row: the table in that file
 * is this test's input.  Each row runs once per purchase kind it names
 * (simple, compound) with a fresh store and fresh simulated cards; then,
 * for every card of the row, the card's own state is compared with the
 * row and with the store:
 *   - each tap ended as the row says (`paid+recovered` when GET
 *     TRANSACTION PROVE completed it);
 *   - the card's ledger holds the row's number of debits, its balance went
 *     down by the fare for each and its ATC up by one for each;
 *   - its 1A records are unchanged and its 1E records are exactly the
 *     stored ones of its compound debits (none for simple purchases);
 *   - its store records, in order, are in the row's states and flags;
 *     every debit has one complete or grey record with its ATC, PSAM serial
 *     and amount (complete: the card's TAC); no complete record lacks a
 *     debit and no void record has one.
 *
 * Usage: test-tear MATRIX.md CARD_DIR PSAM_PROFILE [ROW]
 */
#include "bytes.h"
#include "check.h"
#include "config.h"
#include "reader_sim.h"
#include "sim.h"
#include "store.h"
#include "validator.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS   8
#define MAX_CARDS   3 /* A, B, C */
#define MAX_RECS    8
#define FARE_FEN    200
#define MAX_RECORDS 64

enum { MODE_SIMPLE, MODE_COMPOUND };
static const char *const mode_names[] = { "simple", "compound" };

struct step {
	char card; /* 'A'..'C', or 0 for a wait */
	char fault[40];
	int64_t wait_s;
};

struct row {
	char id[8];
	int line;
	bool modes[2];
	struct step steps[MAX_STEPS];
	int n_steps, n_taps;
	char outcomes[MAX_STEPS][32];
	int n_outcomes;
	bool named[MAX_CARDS];
	int debits[MAX_CARDS];
	char states[MAX_CARDS][MAX_RECS][32];
	int n_states[MAX_CARDS];
};

/* what one run saw */
struct run {
	const struct row *row;
	int mode;
	char got[MAX_STEPS][48];
	int n_got;
	char order[MAX_CARDS + 1]; /* card letters by first appearance = sim card index */
	uint8_t rec1a[MAX_CARDS][18][128];
	struct ykt_purchase_record recs[MAX_RECORDS];
	size_t n_recs;
	int failures_before;
};

static char context[64]; /* "row 21 compound", for failure messages */

/* ---- reading the matrix ---- */

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '`')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '`' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

/* Split s at sep into at most max trimmed fields; returns the count. */
static int split(char *s, char sep, char **out, int max)
{
	int n = 0;
	char *p = s;

	while (p && n < max) {
		char *next = strchr(p, sep);

		if (next)
			*next++ = '\0';
		out[n++] = trim(p);
		p = next;
	}
	return n;
}

static int card_index(char letter)
{
	return letter >= 'A' && letter < 'A' + MAX_CARDS ? letter - 'A' : -1;
}

static int parse_taps(struct row *r, char *cell)
{
	char *items[MAX_STEPS];
	int n = split(cell, ';', items, MAX_STEPS);

	for (int i = 0; i < n; i++) {
		struct step *st = &r->steps[r->n_steps++];
		char unit = 0;
		long v;

		if (items[i][0] == '+') {
			if (sscanf(items[i] + 1, "%ld%c", &v, &unit) != 2 ||
			    (unit != 's' && unit != 'm'))
				return -EINVAL;
			st->wait_s = unit == 'm' ? v * 60 : v;
			continue;
		}
		if (card_index(items[i][0]) < 0 || (items[i][1] && items[i][1] != ' '))
			return -EINVAL;
		st->card = items[i][0];
		snprintf(st->fault, sizeof(st->fault), "%s", trim(items[i] + 1));
		r->n_taps++;
	}
	return 0;
}

static int parse_debits(struct row *r, char *cell)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(cell, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		int c = card_index(tok[0]);

		if (c < 0 || tok[1] != ':')
			return -EINVAL;
		r->named[c] = true;
		r->debits[c] = atoi(tok + 2);
	}
	return 0;
}

/* "A: void complete ; B: -"; a state written "grey→complete" is the final one */
static int parse_records(struct row *r, char *cell)
{
	char *per_card[MAX_CARDS], *tok, *save = NULL;
	int n = split(cell, ';', per_card, MAX_CARDS);

	for (int i = 0; i < n; i++) {
		int c = card_index(per_card[i][0]);

		if (c < 0 || per_card[i][1] != ':')
			return -EINVAL;
		for (tok = strtok_r(per_card[i] + 2, " ", &save); tok;
		     tok = strtok_r(NULL, " ", &save)) {
			char *arrow = strstr(tok, "→");

			if (strcmp(tok, "-") == 0)
				continue;
			if (r->n_states[c] == MAX_RECS)
				return -E2BIG;
			snprintf(r->states[c][r->n_states[c]++], 32, "%s",
				 arrow ? arrow + strlen("→") : tok);
		}
	}
	return 0;
}

static int parse_row(char *line, struct row *r)
{
	char *cells[9];
	int n = split(line, '|', cells, 9);

	/* cells[0] is before the first '|' */
	if (n < 8 || strlen(cells[1]) != 2 || !isdigit((unsigned char)cells[1][0]))
		return 1; /* not a matrix row */
	snprintf(r->id, sizeof(r->id), "%s", cells[1]);
	r->modes[MODE_SIMPLE] = strstr(cells[2], "simple") != NULL;
	r->modes[MODE_COMPOUND] = strstr(cells[2], "compound") != NULL;
	r->n_outcomes = 0;
	for (char *tok, *save = NULL, *s = cells[4]; (tok = strtok_r(s, ";", &save)); s = NULL)
		if (r->n_outcomes < MAX_STEPS)
			snprintf(r->outcomes[r->n_outcomes++], 32, "%s", trim(tok));
	if (parse_taps(r, cells[3]) < 0 || parse_debits(r, cells[5]) < 0 ||
	    parse_records(r, cells[6]) < 0)
		return -EINVAL;
	return 0;
}

static int read_matrix(const char *path, struct row *rows, int max)
{
	char line[1024];
	int n = 0, lineno = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && n < max) {
		struct row r = { .line = ++lineno };
		int rc;

		if (strncmp(line, "| ", 2) != 0)
			continue;
		rc = parse_row(line, &r);
		CHECK(rc >= 0, "%s:%d: a matrix row this test cannot read", path, lineno);
		CHECK(rc != 0 || r.n_outcomes == r.n_taps,
		      "%s:%d: row %s has %d taps and %d outcomes", path, lineno, r.id, r.n_taps,
		      r.n_outcomes);
		CHECK(rc != 0 || r.modes[0] || r.modes[1], "%s:%d: row %s names no purchase kind",
		      path, lineno, r.id);
		if (rc == 0)
			rows[n++] = r;
	}
	fclose(f);
	return n;
}

/* ---- running a row ---- */

static void write_script(const struct row *r, const char *dir, const char *card_dir,
			 struct run *run)
{
	char text[4096], path[1024], *p = text;
	size_t left = sizeof(text);
	bool after_tap = false;
	int w;

	w = snprintf(p, left, "clock 2026-11-21T09:00:00\n");
	p += w, left -= (size_t)w;
	for (int i = 0; i < r->n_steps; i++) {
		const struct step *st = &r->steps[i];
		char lower = (char)tolower((unsigned char)st->card);

		if (!st->card) {
			w = snprintf(p, left, "wait %llds\n", (long long)st->wait_s);
			after_tap = false;
		} else {
			if (!strchr(run->order, st->card))
				run->order[strlen(run->order)] = st->card;
			w = snprintf(p, left, "%stap %s/%c.card %s\n",
				     after_tap ? "wait 10s\n" : "", card_dir, lower, st->fault);
			after_tap = true;
		}
		p += w, left -= (size_t)w;
	}
	check_write_file(dir, "shift.tap", text, path, sizeof(path));
}

static void write_config(const char *dir, const char *psam, int mode)
{
	char text[2048 + PATH_MAX], path[1024];

	snprintf(text, sizeof(text),
		 "[device]\nid = TEAR-MATRIX-01\nacquirer_city = 1000\n"
		 "acquirer_institution = 11011000FFFFFFFF\n"
		 "[hardware]\nreader = sim:shift.tap\nsam = sim:%s\n"
		 "clock = sim:2026-11-21T09:00:00\n"
		 "[store]\npath = records.db\nstate_dir = state\nmin_free_bytes = 1048576\n"
		 "warn_free_bytes = 1048576\n"
		 "[purchase]\nmode = %s\nselect = ppse\nfare_fen = %d\n"
		 "clock_floor = 2026-01-01T00:00:00\n",
		 psam, mode_names[mode], FARE_FEN);
	check_write_file(dir, "ykt.conf", text, path, sizeof(path));
}

static void on_tap(int n, const struct tap_result *res, void *userdata)
{
	struct run *run = userdata;

	if (n < 1 || n > MAX_STEPS)
		return;
	snprintf(run->got[n - 1], sizeof(run->got[0]), "%s%s", tap_outcome_text(res->outcome)->key,
		 res->recovered ? "+recovered" : "");
	run->n_got = n;
}

static int collect(const struct ykt_purchase_record *rec, void *userdata)
{
	struct run *run = userdata;

	if (run->n_recs == MAX_RECORDS)
		return -ENOSPC;
	run->recs[run->n_recs++] = *rec;
	return 0;
}

/* ---- checking ---- */

static const char *state_text(const struct ykt_purchase_record *rec, char *buf, size_t cap)
{
	static const char *const names[] = { "intent", "complete", "grey", "void" };

	snprintf(buf, cap, "%s%s%s", rec->state >= 0 && rec->state < 4 ? names[rec->state] : "?",
		 rec->flags & STORE_FLAG_MAC2_FAILED ? "+mac2" : "",
		 rec->flags & STORE_FLAG_GREY_UNPROVEN ? "+unproven" : "");
	return buf;
}

static const struct sim_debit *debit_of(const struct sim_card_info *info,
					const struct ykt_purchase_record *rec)
{
	for (size_t i = 0; i < info->n_debits; i++)
		if (info->debits[i].atc == rec->init_atc &&
		    info->debits[i].terminal_serial == rec->psam_serial)
			return &info->debits[i];
	return NULL;
}

/* Every debit has exactly one complete-or-grey record; records agree with
 * the ledger. */
static void check_ledger_records(const struct run *run, const struct sim_card_info *info,
				 const char *serial)
{
	for (size_t i = 0; i < info->n_debits; i++) {
		const struct sim_debit *d = &info->debits[i];
		int found = 0;

		CHECK(d->amount_fen == FARE_FEN, "%s card %s: debit %zu of %u fen", context,
		      info->name, i, d->amount_fen);
		for (size_t k = 0; k < run->n_recs; k++) {
			const struct ykt_purchase_record *rec = &run->recs[k];

			if (strcmp(rec->card_serial, serial) != 0 || debit_of(info, rec) != d ||
			    (rec->state != STORE_COMPLETE && rec->state != STORE_GREY))
				continue;
			found++;
			CHECK(rec->amount_fen == d->amount_fen, "%s: record %lld amount differs",
			      context, (long long)rec->record_no);
			CHECK(rec->state != STORE_COMPLETE || memcmp(rec->tac, d->tac, 4) == 0,
			      "%s: record %lld TAC is not the card's", context,
			      (long long)rec->record_no);
		}
		CHECK(found == 1, "%s card %s: debit at ATC %u has %d records", context, info->name,
		      d->atc, found);
	}
	for (size_t k = 0; k < run->n_recs; k++) {
		const struct ykt_purchase_record *rec = &run->recs[k];

		if (strcmp(rec->card_serial, serial) != 0)
			continue;
		CHECK(rec->state != STORE_COMPLETE || debit_of(info, rec),
		      "%s: complete record %lld has no debit on the card", context,
		      (long long)rec->record_no);
		CHECK(rec->state != STORE_VOID || !debit_of(info, rec),
		      "%s: void record %lld was debited", context, (long long)rec->record_no);
	}
}

/* 1E, newest first on the card, against the records of the debits */
static void check_1e(const struct run *run, const struct sim_card_info *info, const char *serial)
{
	size_t want = run->mode == MODE_COMPOUND ? info->n_debits : 0;

	CHECK(info->n_1e == want, "%s card %s: %zu 1E records, expected %zu", context, info->name,
	      info->n_1e, want);
	for (size_t k = 0; k < info->n_1e && k < info->n_debits; k++) {
		const struct sim_debit *d = &info->debits[info->n_debits - 1 - k];
		bool same = false;

		for (size_t i = 0; i < run->n_recs; i++)
			if (strcmp(run->recs[i].card_serial, serial) == 0 &&
			    debit_of(info, &run->recs[i]) == d)
				same = run->recs[i].has_capp_1e &&
				       memcmp(run->recs[i].capp_1e, info->rec1e[k], 48) == 0;
		CHECK(same, "%s card %s: 1E record %zu differs from the stored one", context,
		      info->name, k + 1);
	}
}

static void check_states(const struct run *run, int c, const char *serial, char *summary,
			 size_t cap)
{
	const struct row *r = run->row;
	int n = 0;
	char buf[32];

	summary[0] = '\0';
	for (size_t k = 0; k < run->n_recs; k++) {
		if (strcmp(run->recs[k].card_serial, serial) != 0)
			continue;
		state_text(&run->recs[k], buf, sizeof(buf));
		snprintf(summary + strlen(summary), cap - strlen(summary), "%s%s", n ? " " : "",
			 buf);
		CHECK(n < r->n_states[c] && strcmp(buf, r->states[c][n]) == 0,
		      "%s card %c: record %d is %s, expected %s", context, 'A' + c, n + 1, buf,
		      n < r->n_states[c] ? r->states[c][n] : "none");
		n++;
	}
	CHECK(n == r->n_states[c], "%s card %c: %d records, expected %d", context, 'A' + c, n,
	      r->n_states[c]);
}

static void check_card(struct run *run, struct ykt_reader *reader, int idx, char *line, size_t cap)
{
	int c = card_index(run->order[idx]);
	struct sim_card_info info;
	char serial[21], states[128];
	int want = run->row->named[c] ? run->row->debits[c] : 0;

	sim_card_info(ykt_reader_sim_card(reader, (size_t)idx), &info);
	ykt_hex_encode(info.file15 + 10, 10, serial, sizeof(serial));
	CHECK(info.n_debits == (size_t)want, "%s card %c: %zu debits, expected %d", context,
	      'A' + c, info.n_debits, want);
	CHECK(info.balance_fen == info.initial_balance_fen - (uint32_t)(FARE_FEN * want),
	      "%s card %c: balance %u from %u", context, 'A' + c, info.balance_fen,
	      info.initial_balance_fen);
	CHECK(info.offline_atc == info.initial_atc + want, "%s card %c: ATC %u from %u", context,
	      'A' + c, info.offline_atc, info.initial_atc);
	CHECK(info.n_1a == 18 && memcmp(info.rec1a, run->rec1a[idx], sizeof(run->rec1a[0])) == 0,
	      "%s card %c: 1A records changed", context, 'A' + c);
	check_1e(run, &info, serial);
	check_ledger_records(run, &info, serial);
	check_states(run, c, serial, states, sizeof(states));
	snprintf(line + strlen(line), cap - strlen(line),
		 " %c: balance %u.%02u ATC %u 1E %zu records [%s];", 'A' + c,
		 info.balance_fen / 100, info.balance_fen % 100, info.offline_atc, info.n_1e,
		 states[0] ? states : "-");
}

static void check_run(struct run *run, struct ykt_validator *v, const char *db)
{
	struct ykt_reader *reader = ykt_validator_reader(v);
	struct ykt_store *store = NULL;
	char line[512] = "";

	CHECK(run->n_got == run->row->n_taps, "%s: %d taps reported, %d expected", context,
	      run->n_got, run->row->n_taps);
	for (int i = 0; i < run->n_got && i < run->row->n_outcomes; i++)
		CHECK(strcmp(run->got[i], run->row->outcomes[i]) == 0, "%s: tap %d %s, expected %s",
		      context, i + 1, run->got[i], run->row->outcomes[i]);
	CHECK(store_open(db, NULL, &store, NULL, 0) == 0, "%s: store reopens", context);
	CHECK(store && store_purchase_foreach(store, collect, run) == 0, "%s: records read",
	      context);
	store_close(store);
	for (int i = 0; run->order[i]; i++)
		check_card(run, reader, i, line, sizeof(line));
	printf("row %s %s: %s%s\n", run->row->id, mode_names[run->mode],
	       check_failures == run->failures_before ? "ok" : "FAILED", line);
}

static void snapshot_1a(struct run *run, struct ykt_validator *v)
{
	struct sim_card_info info;

	for (int i = 0; run->order[i]; i++) {
		sim_card_info(ykt_reader_sim_card(ykt_validator_reader(v), (size_t)i), &info);
		memcpy(run->rec1a[i], info.rec1a, sizeof(run->rec1a[0]));
	}
}

static void run_row(const struct row *r, int mode, const char *card_dir, const char *psam)
{
	static struct run run;
	struct ykt_config cfg;
	struct ykt_validator *v = NULL;
	char dir[256], conf[512], db[512], err[512];

	memset(&run, 0, sizeof(run));
	run.row = r;
	run.mode = mode;
	run.failures_before = check_failures;
	snprintf(context, sizeof(context), "row %.7s %s", r->id, mode_names[mode]);
	check_tmpdir(dir, sizeof(dir));
	write_script(r, dir, card_dir, &run);
	write_config(dir, psam, mode);
	snprintf(conf, sizeof(conf), "%s/ykt.conf", dir);
	snprintf(db, sizeof(db), "%s/records.db", dir);
	CHECK(ykt_config_load(conf, &cfg, err, sizeof(err)) == 0, "%s: config: %s", context, err);
	CHECK(ykt_validator_new(&cfg, &v, err, sizeof(err)) == 0, "%s: validator: %s", context,
	      err);
	if (v) {
		snapshot_1a(&run, v);
		CHECK(ykt_validator_run(v, on_tap, &run) == 0, "%s: the taps ran", context);
		check_run(&run, v, db);
	}
	ykt_validator_free(v);
	if (check_failures == run.failures_before)
		check_rm_rf(dir);
	else
		fprintf(stderr, "%s: files kept in %s\n", context, dir);
}

int main(int argc, char **argv)
{
	static struct row rows[96];
	char card_dir[PATH_MAX], psam[PATH_MAX];
	int n, ran = 0;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: test-tear MATRIX.md CARD_DIR PSAM_PROFILE [ROW]\n");
		return 2;
	}
	/* the script and configuration are written elsewhere: absolute paths */
	if (!realpath(argv[2], card_dir) || !realpath(argv[3], psam)) {
		perror("test-tear: card directory or PSAM profile");
		return 2;
	}
	n = read_matrix(argv[1], rows, (int)(sizeof(rows) / sizeof(rows[0])));
	CHECK(n >= 30, "%s: %d matrix rows read", argv[1], n);
	for (int i = 0; i < n; i++) {
		if (argc == 5 && strcmp(rows[i].id, argv[4]) != 0)
			continue;
		for (int mode = MODE_SIMPLE; mode <= MODE_COMPOUND; mode++) {
			if (!rows[i].modes[mode])
				continue;
			run_row(&rows[i], mode, card_dir, psam);
			ran++;
		}
	}
	printf("%d matrix cells run, %d failures\n", ran, check_failures);
	return check_result();
}
