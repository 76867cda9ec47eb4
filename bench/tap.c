/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/tap — the tap-time budget of a flat-fare bus purchase on the
 * simulated field with the link model on (the field and PSAM take as long
 * as ISO 14443 at 106 kbit/s and T=0 at 38 400 bit/s with the model's card
 * and PSAM processing times say; docs/link-model.md).
 *
 * For the simple (06) and the compound (09) purchase it runs a shift of
 * taps through the validator itself (validator.c, tap.c, the sim: drivers,
 * the store on disk) and prints, one figure per line:
 *   - tap-to-feedback (card reported → outcome known) and
 *     tap-to-durable-record (→ completed record on stable storage), p50/p99;
 *   - the floor (link_purchase_floor(): the mandatory APDUs, listed with
 *     their modelled times, and the PSAM exchange no schedule can overlap)
 *     and the floor ratio, measured p50 / floor;
 *   - the critical path, split into card link, PSAM link, store fsync and
 *     the rest (software and scheduling), and the median of every step.
 * With --no-link the link model is off: the figures are then the software's
 * own cost per tap (CPU from getrusage, fsync apart).
 * The metro gate (--mode metro, or with both) runs the same way at a
 * two-way gate with a metro fare table in force: the cards enter at one
 * station and leave at another, and the figures are the exits' (0x1A and
 * 0x1E read, the fare from the entry, 2701 and 0x1E written), against the
 * metro exit's floor.
 *
 * Usage: bench/tap [--taps N] [--mode simple|compound|metro|both]
 *                  [--select direct|ppse] [--no-link] [--tiny]
 */
#include "bench.h"

#include "apdu.h"
#include "card.h"
#include "config.h"
#include "clock.h"
#include "link_model.h"
#include "params.h"
#include "params_pack.h"
#include "reader.h"
#include "sam.h"
#include "sim.h"
#include "store.h"
#include "validator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define WARMUP_TAPS 2 /* the first tap has no PSAM serial to predict */

/* Step boundaries the validator reports, in order. */
static const char *const step_names[] = {
	"present", "start",	"select", "read-0x17",	"recover",  "check",
	"lists",   "history",	"fare",	  "initialize", "mac1",	    "capp-cache",
	"intent",  "mac1-wait", "debit",  "paid",	"complete", "mac2",
};
#define N_STEPS (sizeof(step_names) / sizeof(step_names[0]))
enum {
	S_PRESENT = 0,
	S_MAC1 = 10,
	S_INTENT = 12,
	S_WAIT = 13,
	S_PAID = 15,
	S_COMPLETE = 16,
	S_MAC2 = 17
};

struct tap_mark {
	bool seen;
	int64_t at_ns;
	uint64_t card_ns; /* modelled card link time so far */
	uint64_t sync_ns; /* this thread's fsync time so far */
	int64_t cpu_ns;	  /* this thread's CPU so far */
};

struct tap_sample {
	struct tap_mark mark[N_STEPS];
	uint64_t psam_ns_present, psam_ns_wait; /* modelled PSAM time, read outside MAC1 */
	int64_t proc_cpu_present, proc_cpu_end; /* whole process, getrusage */
	struct bench_sync proc_sync_present, proc_sync_end;
	int64_t feedback_ns;
	int outcome;
	bool charged; /* the metro gate: an exit (an entry is a purchase of 0) */
};

struct run {
	struct ykt_validator *v;
	struct tap_sample *taps;
	int n, cap;
	int cur;
	bool link;
	bool exits_only; /* the metro gate: measure the exits */
};

static int step_index(const char *step)
{
	for (size_t i = 0; i < N_STEPS; i++)
		if (strcmp(step_names[i], step) == 0)
			return (int)i;
	return -1;
}

static void on_step(const char *step, int64_t at_ns, void *userdata)
{
	struct run *r = userdata;
	int i = step_index(step);
	struct tap_mark *m;
	struct bench_sync sync;
	uint64_t ns = 0;

	if (i == S_PRESENT)
		r->cur = r->n < r->cap ? r->n++ : -1;
	if (i < 0 || r->cur < 0)
		return;
	m = &r->taps[r->cur].mark[i];
	bench_sync_thread(&sync);
	ykt_reader_link_ns(ykt_validator_reader(r->v), &ns);
	*m = (struct tap_mark){ true, at_ns, ns, sync.ns, bench_thread_cpu_ns() };
	if (i == S_PRESENT) {
		r->taps[r->cur].proc_cpu_present = bench_process_cpu_ns();
		bench_sync_process(&r->taps[r->cur].proc_sync_present);
	} else if (i == S_MAC2) {
		r->taps[r->cur].proc_cpu_end = bench_process_cpu_ns();
		bench_sync_process(&r->taps[r->cur].proc_sync_end);
	}
	/* the PSAM's counter moves on its own thread while MAC1 runs */
	if (i == S_PRESENT || i == S_WAIT) {
		ns = 0;
		ykt_sam_link_ns(ykt_validator_sam(r->v), &ns);
		*(i == S_PRESENT ? &r->taps[r->cur].psam_ns_present
				 : &r->taps[r->cur].psam_ns_wait) = ns;
	}
}

static void on_report(int n, const struct tap_result *res, void *userdata)
{
	struct run *r = userdata;

	if (r->cur < 0)
		return;
	r->taps[r->cur].feedback_ns = bench_now_ns();
	r->taps[r->cur].outcome = res->outcome;
	r->taps[r->cur].charged = res->amount_fen > 0;
}

/* ---- the floor ---- */

struct flow_apdus {
	uint8_t cmd[8][160];
	struct link_step step[8];
	const char *what[8];
	size_t n;
};

static void flow_add(struct flow_apdus *f, enum link_step_kind kind, const struct apdu *a,
		     size_t rlen, const char *what)
{
	size_t len = 0;

	apdu_encode(a, f->cmd[f->n], sizeof(f->cmd[0]), &len);
	f->step[f->n] = (struct link_step){ kind, f->cmd[f->n], len, rlen };
	f->what[f->n] = what;
	f->n++;
}

/* The FCI a bench card answers to SELECT EP, from a card of the same
 * profile: the floor uses the real answer lengths. */
static size_t fci_len(void)
{
	uint8_t cmd[64], resp[300];
	size_t len = 0, rlen = 0;
	struct sim_card *card;
	struct apdu a;
	char path[512];

	snprintf(path, sizeof(path), "%s/cards/adult.card", bench_data_dir());
	if (sim_card_load(path, &card, NULL, 0) < 0)
		return 0;
	card_cmd_select_aid(&a, tunion_ep_aid, TUNION_AID_LEN);
	apdu_encode(&a, cmd, sizeof(cmd), &len);
	sim_card_transmit(card, cmd, len, resp, sizeof(resp), &rlen);
	sim_card_free(card);
	return rlen;
}

enum flow_kind { FLOW_SIMPLE, FLOW_COMPOUND, FLOW_METRO_EXIT };

/* The mandatory APDUs of a flow, split as link_purchase_floor() wants. */
static void flow_build(enum flow_kind kind, bool ppse, struct flow_apdus *before,
		       struct flow_apdus *psam, struct flow_apdus *beside, struct flow_apdus *after)
{
	static const uint8_t term[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t when[7] = { 0x20, 0x26, 0x11, 0x21, 0x07, 0x30, 0x00 };
	static uint8_t init_buf[11], debit_buf[15], rec1e[CARD_REC1E_LEN], rec1a[128],
	    mac1_data[36], mac1[4];
	struct apdu a;
	size_t fci = fci_len();

	*before = *psam = *beside = *after = (struct flow_apdus){ 0 };
	if (ppse) {
		card_cmd_select_ppse(&a);
		flow_add(before, LINK_STEP_CARD, &a, 60, "card SELECT PPSE");
	}
	card_cmd_select_aid(&a, tunion_ep_aid, TUNION_AID_LEN);
	flow_add(before, LINK_STEP_CARD, &a, fci ? fci : 53, "card SELECT EP (FCI with 0x15)");
	card_cmd_read_binary(&a, CARD_SFI_MANAGE, CARD_FILE17_LEN);
	flow_add(before, LINK_STEP_CARD, &a, CARD_FILE17_LEN + 2, "card READ BINARY 0x17");
	if (kind == FLOW_METRO_EXIT) {
		card_cmd_read_record(&a, CARD_SFI_PROCESS, CARD_REC1A_METRO, 128);
		flow_add(before, LINK_STEP_CARD, &a, 128 + 2, "card READ RECORD 0x1A 2701 (entry)");
	}
	card_cmd_init_purchase(&a, init_buf, kind == FLOW_SIMPLE ? TRANS_PURCHASE : TRANS_CAPP, 1,
			       200, term);
	flow_add(before, LINK_STEP_CARD, &a, 15 + 2, "card INITIALIZE");
	a = (struct apdu){ 0x80, 0x70, 0x00, 0x00, mac1_data, sizeof(mac1_data), -1 };
	flow_add(psam, LINK_STEP_PSAM, &a, 2, "PSAM MAC1 8070 (answer 61 08)");
	a = (struct apdu){ 0x00, 0xC0, 0x00, 0x00, NULL, 0, 8 };
	flow_add(psam, LINK_STEP_PSAM, &a, 8 + 2, "PSAM GET RESPONSE (serial, MAC1)");
	if (kind == FLOW_METRO_EXIT) {
		rec1a[0] = 0x27;
		rec1a[1] = CARD_REC1A_METRO;
		card_cmd_update_capp_1a(&a, rec1a);
		flow_add(beside, LINK_STEP_CARD, &a, 2, "card UPDATE CAPP DATA CACHE 0x1A 2701");
	}
	if (kind != FLOW_SIMPLE) {
		card_cmd_update_capp_1e(&a, rec1e);
		flow_add(beside, LINK_STEP_CARD, &a, 2, "card UPDATE CAPP DATA CACHE 0x1E");
	}
	card_cmd_debit(&a, debit_buf, 1000, when, mac1);
	flow_add(after, LINK_STEP_CARD, &a, 8 + 2, "card DEBIT (TAC, MAC2)");
}

static void print_steps(const char *prefix, const char *part, const struct flow_apdus *f,
			const struct link_contactless *cl, const struct link_contact *ct)
{
	for (size_t i = 0; i < f->n; i++) {
		struct link_timing t;
		char name[160];

		link_sequence(cl, ct, &f->step[i], 1, &t);
		snprintf(name, sizeof(name), "floor %s: %s (%zu -> %zu bytes)", part, f->what[i],
			 f->step[i].clen, f->step[i].rlen_incl_sw);
		bench_printp(prefix, name, (double)t.total_ns / 1e6, 3, "ms");
	}
}

/* Compute the floor of a flow, print its parts; returns it in ms. */
static double floor_of(const char *prefix, enum flow_kind kind, bool ppse)
{
	struct flow_apdus before, psam, beside, after;
	struct link_contactless cl;
	struct link_contact ct;
	struct link_purchase_flow flow;
	struct link_floor f;
	struct link_timing mac2;
	uint8_t mac2_cmd[] = { 0x80, 0x72, 0x00, 0x00, 0x04, 0, 0, 0, 0 };

	flow_build(kind, ppse, &before, &psam, &beside, &after);
	link_contactless_default(&cl);
	link_contact_default(&ct);
	flow = (struct link_purchase_flow){ before.step, before.n, psam.step,  psam.n,
					    beside.step, beside.n, after.step, after.n };
	if (link_purchase_floor(&cl, &ct, &flow, &f) < 0) {
		fprintf(stderr, "floor: cannot compute\n");
		return 0;
	}
	print_steps(prefix, "card before MAC1", &before, &cl, &ct);
	print_steps(prefix, "PSAM", &psam, &cl, &ct);
	print_steps(prefix, "card beside MAC1", &beside, &cl, &ct);
	print_steps(prefix, "card after MAC1", &after, &cl, &ct);
	bench_printp(prefix, "floor card before MAC1", (double)f.before.total_ns / 1e6, 3, "ms");
	bench_printp(prefix, "floor PSAM MAC1", (double)f.psam.total_ns / 1e6, 3, "ms");
	bench_printp(prefix, "floor card beside MAC1", (double)f.beside.total_ns / 1e6, 3, "ms");
	bench_printp(prefix, "floor hidden by overlap", (double)f.hidden_ns / 1e6, 3, "ms");
	bench_printp(prefix, "floor card after MAC1", (double)f.after.total_ns / 1e6, 3, "ms");
	bench_printp(prefix, "floor", (double)f.total_ns / 1e6, 3, "ms");
	link_contact_exchange(&ct, mac2_cmd, sizeof(mac2_cmd), 2, &mac2);
	bench_printp(prefix, "MAC2 verify after feedback (model)", (double)mac2.total_ns / 1e6, 3,
		     "ms");
	return (double)f.total_ns / 1e6;
}

/* ---- one shift ---- */

static int run_shift(struct bench_shift *sh, bool link, struct run *r)
{
	static struct ykt_config cfg;
	char err[512];
	int rc;

	if (!sh->dir[0])
		rc = bench_shift_write(sh);
	else
		rc = 0; /* written by the caller (the metro gate installs its table first) */
	if (rc < 0) {
		fprintf(stderr, "bench: shift files: %s\n", strerror(-rc));
		return rc;
	}
	rc = ykt_config_load(sh->config, &cfg, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "bench: %s\n", err);
		return rc;
	}
	cfg.realtime = link;
	rc = ykt_validator_new(&cfg, &r->v, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "bench: %s\n", err);
		return rc;
	}
	r->cap = sh->taps;
	r->taps = calloc((size_t)sh->taps, sizeof(*r->taps));
	if (!r->taps)
		return -ENOMEM;
	ykt_validator_on_step(r->v, on_step, r);
	rc = ykt_validator_run(r->v, on_report, r);
	ykt_validator_free(r->v);
	r->v = NULL;
	return rc;
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* Per tap: where the critical path (present → feedback) went. Inside the
 * MAC1 window the path is the PSAM when the loop thread had to wait for
 * it, else the loop thread's own work (80DC, intent). */
struct path {
	double total, card, psam, fsync, rest, durable, cpu;
};

static struct path tap_path(const struct tap_sample *s, bool link)
{
	const struct tap_mark *p = &s->mark[S_PRESENT], *m1 = &s->mark[S_MAC1],
			      *in = &s->mark[S_INTENT], *w = &s->mark[S_WAIT],
			      *paid = &s->mark[S_PAID];
	struct path r = { 0 };
	double window = ms(w->at_ns - m1->at_ns), main_side = ms(in->at_ns - m1->at_ns);
	double psam_model = (double)(s->psam_ns_wait - s->psam_ns_present) / 1e6;
	bool psam_path = window - main_side > 0.05;

	r.total = ms(s->feedback_ns - p->at_ns);
	r.card = (double)(paid->card_ns - p->card_ns) / 1e6;
	r.fsync = (double)(paid->sync_ns - p->sync_ns) / 1e6;
	if (psam_path) {
		r.card -= (double)(in->card_ns - m1->card_ns) / 1e6;
		r.fsync -= (double)(in->sync_ns - m1->sync_ns) / 1e6;
		r.psam = psam_model;
	}
	if (!link) /* the model still counts, but nobody waited for it */
		r.card = r.psam = 0;
	r.rest = r.total - r.card - r.psam - r.fsync;
	r.durable = s->mark[S_COMPLETE].seen ? ms(s->mark[S_COMPLETE].at_ns - p->at_ns) : 0;
	r.cpu = ms(paid->cpu_ns - p->cpu_ns);
	return r;
}

static void print_pct(const char *prefix, const char *name, struct bench_samples *s)
{
	char n[128];

	snprintf(n, sizeof(n), "%s p50", name);
	bench_printp(prefix, n, bench_pct(s, 50), 3, "ms");
	snprintf(n, sizeof(n), "%s p99", name);
	bench_printp(prefix, n, bench_pct(s, 99), 3, "ms");
}

static void print_step_medians(const char *prefix, const struct run *r)
{
	for (size_t st = 1; st < N_STEPS; st++) {
		struct bench_samples s = { 0 };
		char name[64];

		for (int i = WARMUP_TAPS; i < r->n; i++) {
			const struct tap_mark *a = &r->taps[i].mark[st - 1],
					      *b = &r->taps[i].mark[st];

			if (r->exits_only && !r->taps[i].charged)
				continue;
			if (a->seen && b->seen)
				bench_samples_add(&s, ms(b->at_ns - a->at_ns));
		}
		snprintf(name, sizeof(name), "step %s p50", step_names[st]);
		if (s.n)
			bench_printp(prefix, name, bench_pct(&s, 50), 3, "ms");
		bench_samples_free(&s);
	}
}

static int report(const char *prefix, const struct run *r, double floor_ms, bool link)
{
	struct bench_samples fb = { 0 }, dur = { 0 }, card = { 0 }, psam = { 0 }, fs = { 0 },
			     rest = { 0 }, cpu = { 0 };
	int paid = 0;

	for (int i = 0; i < r->n; i++) {
		struct path p;

		paid += r->taps[i].outcome == TAP_PAID;
		if (i < WARMUP_TAPS || r->taps[i].outcome != TAP_PAID ||
		    (r->exits_only && !r->taps[i].charged))
			continue;
		p = tap_path(&r->taps[i], link);
		bench_samples_add(&fb, p.total);
		bench_samples_add(&dur, p.durable);
		bench_samples_add(&card, p.card);
		bench_samples_add(&psam, p.psam);
		bench_samples_add(&fs, p.fsync);
		bench_samples_add(&rest, p.rest);
		bench_samples_add(&cpu, p.cpu);
	}
	bench_printp(prefix, "taps", r->n, 0, "");
	bench_printp(prefix, "taps paid", paid, 0, "");
	bench_printp(prefix,
		     r->exits_only ? "exits measured" : "taps measured (first 2 are warm-up)",
		     (double)fb.n, 0, "");
	print_pct(prefix, "tap-to-feedback", &fb);
	print_pct(prefix, "tap-to-durable-record", &dur);
	if (link) {
		double p50 = bench_pct(&fb, 50);

		bench_printp(prefix, "floor ratio", floor_ms > 0 ? p50 / floor_ms : 0, 3, "");
	}
	bench_printp(prefix, "path card link p50", bench_pct(&card, 50), 3, "ms");
	bench_printp(prefix, "path PSAM link p50", bench_pct(&psam, 50), 3, "ms");
	bench_printp(prefix, "path store fsync p50", bench_pct(&fs, 50), 3, "ms");
	bench_printp(prefix, "path software and scheduling p50", bench_pct(&rest, 50), 3, "ms");
	bench_printp(prefix, "loop thread CPU present to feedback p50", bench_pct(&cpu, 50), 3,
		     "ms");
	print_step_medians(prefix, r);
	bench_samples_free(&fb);
	bench_samples_free(&dur);
	bench_samples_free(&card);
	bench_samples_free(&psam);
	bench_samples_free(&fs);
	bench_samples_free(&rest);
	bench_samples_free(&cpu);
	return paid == r->n ? 0 : -1;
}

/* Software cost with the link model off, from the first measured tap's
 * card to the last tap's MAC2 verdict: CPU of the whole process (getrusage:
 * every thread, the simulated field's and SQLite's commits included) per
 * tap, and fsync apart. */
static void report_cost(const char *prefix, const struct run *r)
{
	const struct tap_sample *a = &r->taps[WARMUP_TAPS], *b = &r->taps[r->n - 1];
	double n = r->n - WARMUP_TAPS;
	uint64_t calls = b->proc_sync_end.calls - a->proc_sync_present.calls;
	uint64_t sync_ns = b->proc_sync_end.ns - a->proc_sync_present.ns;

	if (r->n <= WARMUP_TAPS || !b->mark[S_MAC2].seen)
		return;
	bench_printp(prefix, "CPU per tap (getrusage, all threads)",
		     ms(b->proc_cpu_end - a->proc_cpu_present) / n, 4, "ms");
	bench_printp(prefix, "wall per tap",
		     ms(b->mark[S_MAC2].at_ns - a->mark[S_PRESENT].at_ns) / n, 4, "ms");
	bench_printp(prefix, "fsync calls per tap", (double)calls / n, 2, "");
	bench_printp(prefix, "fsync time per tap", (double)sync_ns / 1e6 / n, 4, "ms");
	bench_printp(prefix, "fsync mean latency",
		     calls ? (double)sync_ns / 1e6 / (double)calls : 0, 4, "ms");
}

/* The metro fare table of the gate: entry 0101, exit 0201 (4.00), signed
 * with a key made here and installed as `ykt params install` would. */
static int install_metro_table(const struct bench_shift *sh)
{
	static const char table[] =
	    "{ \"type\": \"metro\", \"stations\": [ { \"code\": \"0101\" }, "
	    "{ \"code\": \"0102\" }, { \"code\": \"0201\" } ], \"fares_fen\": "
	    "[[300, 300, 400], [300, 300, 300], [400, 300, 300]], \"max_trip_minutes\": 240, "
	    "\"overstay_fen\": 300 }";
	char pub[320], dir[320], pkg[320], why[256] = "";
	struct ykt_pkg_header h = { .kind = YKT_PKG_FARE_TABLE, .version = 1 };
	struct ykt_params_options po = { .public_key_path = pub, .dir = dir };
	struct ykt_params *p = NULL;
	struct ykt_store *store = NULL;
	struct ykt_clock *clock = NULL;
	EVP_PKEY *key = pack_key_generate();
	int rc = key ? 0 : -EIO;

	snprintf(pub, sizeof(pub), "%s/platform.pub", sh->dir);
	snprintf(dir, sizeof(dir), "%s/params", sh->dir);
	snprintf(pkg, sizeof(pkg), "%s/fares.pkg", sh->dir);
	if (rc == 0)
		rc = pack_key_write(key, NULL, pub);
	if (rc == 0)
		rc = pack_write(pkg, &h, table, sizeof(table) - 1, key);
	if (rc == 0)
		rc = ykt_clock_new("sim:2026-11-21T07:00:00", &clock);
	if (rc == 0)
		rc = store_open(sh->store, NULL, &store, why, sizeof(why));
	po.store = store;
	po.clock = clock;
	if (rc == 0)
		rc = ykt_params_open(&po, &p, why, sizeof(why));
	if (rc == 0)
		rc = ykt_params_install(p, pkg, NULL, why, sizeof(why));
	if (rc < 0)
		fprintf(stderr, "bench: metro fare table: %s\n", why[0] ? why : strerror(-rc));
	ykt_params_free(p);
	store_close(store);
	ykt_clock_free(clock);
	EVP_PKEY_free(key);
	return rc;
}

static int bench_metro(bool ppse, int taps, bool link)
{
	/* whole rounds: every card enters, then every card leaves */
	int cards = taps >= 16 ? 8 : (taps / 2 > 0 ? taps / 2 : 1);
	struct bench_shift sh = { .compound = true,
				  .ppse = ppse,
				  .taps = taps / (2 * cards) * 2 * cards,
				  .cards = cards,
				  .wait_s = 3,
				  .metro = true };
	struct run r = { .link = link, .exits_only = true };
	char prefix[64];
	double floor_ms = 0;
	int rc;

	snprintf(prefix, sizeof(prefix), "metro exit%s%s", ppse ? " ppse" : "",
		 link ? "" : " no-link");
	if (link)
		floor_ms = floor_of(prefix, FLOW_METRO_EXIT, ppse);
	rc = bench_shift_write(&sh);
	if (rc == 0)
		rc = install_metro_table(&sh);
	if (rc == 0)
		rc = run_shift(&sh, link, &r);
	if (rc == 0)
		rc = report(prefix, &r, floor_ms, link);
	free(r.taps);
	bench_shift_remove(&sh);
	return rc;
}

static int bench_mode(bool compound, bool ppse, int taps, bool link)
{
	struct bench_shift sh = {
		.compound = compound, .ppse = ppse, .taps = taps, .cards = 8, .wait_s = 3
	};
	char prefix[64];
	struct run r = { .link = link };
	double floor_ms = 0;
	int rc;

	snprintf(prefix, sizeof(prefix), "bus %s%s%s", compound ? "compound" : "simple",
		 ppse ? " ppse" : "", link ? "" : " no-link");
	if (link)
		floor_ms = floor_of(prefix, compound ? FLOW_COMPOUND : FLOW_SIMPLE, ppse);
	rc = run_shift(&sh, link, &r);
	if (rc == 0 && !link)
		report_cost(prefix, &r);
	if (rc == 0)
		rc = report(prefix, &r, floor_ms, link);
	free(r.taps);
	bench_shift_remove(&sh);
	return rc;
}

int main(int argc, char **argv)
{
	bool tiny = bench_arg_flag(argc, argv, "--tiny");
	int taps = bench_arg_int(argc, argv, "--taps", tiny ? 6 : 200);
	const char *mode = bench_arg_str(argc, argv, "--mode", "both");
	bool ppse = strcmp(bench_arg_str(argc, argv, "--select", "direct"), "ppse") == 0;
	bool link = !bench_arg_flag(argc, argv, "--no-link") && !tiny;
	int rc = 0;

	/* the simulated links sleep; the kernel's default 50 us slack on each
	 * wake-up would be counted as the tap's */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (taps <= WARMUP_TAPS) {
		fprintf(stderr, "bench: --taps must be above %d\n", WARMUP_TAPS);
		return 2;
	}
	if (strcmp(mode, "both") == 0 || strcmp(mode, "simple") == 0)
		rc |= bench_mode(false, ppse, taps, link);
	if (strcmp(mode, "both") == 0 || strcmp(mode, "compound") == 0)
		rc |= bench_mode(true, ppse, taps, link);
	if (strcmp(mode, "both") == 0 || strcmp(mode, "metro") == 0)
		rc |= bench_metro(ppse, taps, link);
	return rc ? 1 : 0;
}
