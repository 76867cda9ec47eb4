/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A whole shift twice: in process (sim: reader and sim: PSAM), and through
 * a private pcscd, the card in one vpcd slot ("YKT 00 00", pcsc: reader)
 * playing the same tap script and the PSAM in the other ("YKT 00 01", pcsc:
 * SAM), the script's clock reaching the validator through clock = file:.
 * Then:
 *   - each run ends its taps as the script's expect= says (through PC/SC a
 *     two-card tap shows no card at all: that tap is not reported);
 *   - the purchase records are identical field by field, times included,
 *     and so are the fields' ledgers (APDUs per tap, each card's debits and
 *     1E records);
 *   - the event records are the same (a PSAM swap: kind and body; its time
 *     between the taps around it).
 * Maintenance in the middle of the shift, the same in both runs between two
 * taps (after one tap is finished, before the next card arrives):
 *   --pull N            the PSAM is pulled out before tap N
 *   --push N PROFILE    PROFILE's PSAM is pushed in before tap N
 *   --restart N         pcscd is killed and started again before tap N
 *                       (the in-process run has no pcscd: nothing happens)
 * Other devices for the run through pcscd:
 *   --gpiod             outputs on gpiod: through the libgpiod 1.6 double
 *                       (fake_gpiod.c), checked at the end: every line
 *                       released inactive, the lights and the gate driven
 *                       as the outcomes say
 *   --libnfc EMULATOR   the card through the libnfc: reader and the PN532
 *                       emulator (tests/emu/pn532_emu) instead of a vpcd
 *                       slot: libnfc: card + pcsc: PSAM (no maintenance
 *                       options then; two-card taps are reported)
 *
 * Usage: test-pcsc-shift DIR [OPTIONS]   (DIR holds ykt.conf and shift.tap)
 * Exit 77 without root, pcscd or vpcd.
 */
#include "check.h"
#include "emu_records.h"
#include "config.h"
#include "pcscd_private.h"
#include "reader_sim.h"
#include "sam.h"
#include "sam_sim.h"
#include "sim_field.h"
#include "store.h"
#include "validator.h"
#include "vpcd.h"
#include "vpcd_field.h"
#include "vpcd_psam.h"
#include "ykt_error.h"

#if WITH_EMU_PROC
#include "emu_proc.h"
#endif
#if WITH_FAKE_GPIOD
#include "fake_gpiod.h"
#include "gpio.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef WITH_EMU_PROC
#define WITH_EMU_PROC 0
#endif
#ifndef WITH_FAKE_GPIOD
#define WITH_FAKE_GPIOD 0
#endif

#define MAX_TAPS      256
#define MAX_RECORDS   512
#define MAX_EVENTS    16
#define PRESENCE_WAIT 1000 /* x 10 ms: a hang guard */
/* one vpcd reader: the contactless card in its first slot, the PSAM in the
 * second (pcscd_private.h) */
#define CARD_SLOT     "YKT 00 00"
#define PSAM_SLOT     "YKT 00 01"

struct crew {
	int pull, push, restart; /* tap numbers, 0: never */
	char push_profile[512];
	bool gpiod;
	const char *libnfc_emulator; /* NULL: the card in a vpcd slot */
};

struct run {
	const char *name;
	enum tap_outcome got[MAX_TAPS];
	int n_taps;
	struct ykt_purchase_record recs[MAX_RECORDS];
	size_t n_recs;
	struct ykt_event_record events[MAX_EVENTS];
	size_t n_events;
	struct ykt_validator *v;
	int finished; /* taps finished (MAC2 checked), for the in-process crew */
};

static struct crew crew;
static char expect[MAX_TAPS][32];
static int n_expect;

/* ---- expectations and results ---- */

static int read_expectations(const char *script)
{
	char line[512];
	FILE *f = fopen(script, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && n_expect < MAX_TAPS) {
		char *e = strstr(line, "expect=");

		if (strncmp(line, "tap ", 4) != 0)
			continue;
		if (!e || sscanf(e + 7, "%31[a-z-]", expect[n_expect]) != 1)
			snprintf(expect[n_expect], sizeof(expect[0]), "?");
		n_expect++;
	}
	fclose(f);
	return 0;
}

static void on_tap(int n, const struct tap_result *res, void *userdata)
{
	struct run *run = userdata;

	if (n >= 1 && n <= MAX_TAPS)
		run->got[n - 1] = res->outcome;
	run->n_taps = n;
}

/* Through PC/SC a two-card tap is not seen: skip those expectations. */
static void check_outcomes(const struct run *run, bool shows_multi)
{
	int t = 0;

	for (int i = 0; i < n_expect; i++) {
		if (!shows_multi && strcmp(expect[i], "multiple-cards") == 0)
			continue;
		if (t < run->n_taps)
			CHECK(strcmp(tap_outcome_text(run->got[t])->key, expect[i]) == 0,
			      "%s: tap %d (script tap %d): %s, expected %s", run->name, t + 1,
			      i + 1, tap_outcome_text(run->got[t])->key, expect[i]);
		t++;
	}
	CHECK(run->n_taps == t, "%s: %d taps reported, expected %d", run->name, run->n_taps, t);
}

static int collect(const struct ykt_purchase_record *rec, void *userdata)
{
	struct run *run = userdata;

	if (run->n_recs == MAX_RECORDS)
		return -ENOSPC;
	run->recs[run->n_recs++] = *rec;
	return 0;
}

static int collect_event(const struct ykt_event_record *ev, void *userdata)
{
	struct run *run = userdata;

	if (run->n_events == MAX_EVENTS)
		return -ENOSPC;
	run->events[run->n_events++] = *ev;
	return 0;
}

static void read_store(const char *path, struct run *run)
{
	struct ykt_store *store = NULL;

	CHECK(store_open(path, NULL, &store, NULL, 0) == 0, "%s reopens", path);
	CHECK(store && store_purchase_foreach(store, collect, run) == 0, "%s: records", path);
	CHECK(store && store_event_foreach(store, NULL, collect_event, run) == 0, "%s: events",
	      path);
	store_close(store);
}

/* ---- the in-process run ---- */

/* after tap n is finished (its MAC2 checked), before the next card */
static void sim_crew(const char *step, int64_t ns, void *userdata)
{
	struct run *run = userdata;
	struct ykt_sam *slot = ykt_validator_sam(run->v);
	char err[256];
	int next;

	if (strcmp(step, "mac2") != 0)
		return;
	next = ++run->finished + 1;
	if (next == crew.pull)
		CHECK_INT(ykt_sam_sim_remove(slot), 0);
	if (next == crew.push)
		CHECK(ykt_sam_sim_insert(slot, crew.push_profile, err, sizeof(err)) == 0, "%s",
		      err);
}

static int run_sim(const struct ykt_config *base, const char *dir, struct run *run)
{
	static struct ykt_config cfg;
	char path[600], err[512];
	int r;

	cfg = *base;
	snprintf(cfg.store_path, sizeof(cfg.store_path), "%s/sim.db", dir);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s/state-sim", dir);
	r = ykt_validator_new(&cfg, &run->v, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "in-process validator: %s\n", err);
		return r;
	}
	ykt_validator_on_step(run->v, sim_crew, run);
	r = ykt_validator_run(run->v, on_tap, run);
	snprintf(path, sizeof(path), "%s/sim.ledger", dir);
	if (r == 0)
		r = ykt_reader_sim_write_ledger(ykt_validator_reader(run->v), path);
	ykt_validator_free(run->v);
	run->v = NULL;
	return r;
}

/* ---- the run through pcscd ---- */

struct bench {
	struct pcscd_private pcscd;
	struct vpcd_field *field;
	struct vpcd_psam *psam;
	struct ykt_validator *v;
#if WITH_EMU_PROC
	struct emu_proc emu; /* --libnfc */
	bool emu_started;
#endif
};

/* The validator's slot shows what the crew did: present or not, and for a
 * PSAM that came (back), a new insertion. */
static void wait_slot(struct bench *b, int present, uint32_t after)
{
	uint32_t n = 0;
	int got = -1;

	for (int i = 0; i < PRESENCE_WAIT; i++) {
		got = ykt_sam_presence(ykt_validator_sam(b->v), &n);
		if (got == present && (!present || n > after))
			return;
		usleep(10000);
	}
	CHECK(0, "the PSAM slot still shows %d (insertions %u)", got, n);
}

static void pcsc_crew(void *userdata, int tap_no)
{
	struct bench *b = userdata;
	struct vpcd *psam = vpcd_psam_vpcd(b->psam);
	char err[256];
	uint32_t n = 0;

	if (tap_no == 0) {
		kill(getpid(), SIGTERM); /* the script is over: stop the validator */
		return;
	}
	ykt_sam_presence(ykt_validator_sam(b->v), &n);
	if (tap_no == crew.pull) {
		vpcd_remove(psam);
		wait_slot(b, 0, 0);
	}
	if (tap_no == crew.push) {
		CHECK(vpcd_psam_swap(b->psam, crew.push_profile, err, sizeof(err)) == 0, "%s", err);
		CHECK_INT(vpcd_insert(psam, 5000), 0);
		wait_slot(b, 1, n);
	}
	if (tap_no == crew.restart) {
		CHECK(pcscd_private_restart(&b->pcscd, err, sizeof(err)) == 0, "%s", err);
		wait_slot(b, 1, n);
	}
}

#if WITH_FAKE_GPIOD
/* buzzer, green, red, gate relay: [outputs] as a board would have them */
static const char *const output_specs[4] = { "gpiochip0:17", "gpiochip0:22",
					     "gpiochip0:23:active-low", "gpiochip0:5" };

static void wire_outputs(struct ykt_config *cfg, const char *dir)
{
	struct ykt_gpio_line_spec *lines[4] = { &cfg->buzzer, &cfg->green_led, &cfg->red_led,
						&cfg->gate_relay };
	char gpio_dir[300];

	snprintf(gpio_dir, sizeof(gpio_dir), "%s/gpio", dir);
	mkdir(gpio_dir, 0755);
	setenv("GPIOD_FAKE_DIR", gpio_dir, 1);
	setenv("GPIOD_FAKE_CHIPS", "gpiochip0:32", 1);
	snprintf(cfg->gpio_uri, sizeof(cfg->gpio_uri), "gpiod:consumer=ykt-emu");
	for (int i = 0; i < 4; i++)
		CHECK_INT(ykt_gpio_line_parse(output_specs[i], lines[i]), 0);
}

/* How often each output went active, from the double's log of levels. */
static void count_activations(const char *dir, int on[4])
{
	static const unsigned offsets[4] = { 17, 22, 23, 5 };
	int level[4] = { -1, -1, -1, -1 }, lvl;
	char path[300], chip[32];
	unsigned offset;
	FILE *f;

	snprintf(path, sizeof(path), "%s/gpio/log", dir);
	f = fopen(path, "re");
	while (f && fscanf(f, "%31s %u %d", chip, &offset, &lvl) == 3) {
		for (int i = 0; i < 4; i++) {
			bool active = i == 2 ? lvl == 0 : lvl == 1; /* red is active-low */

			if (offsets[i] != offset)
				continue;
			if (active && level[i] != lvl)
				on[i]++;
			level[i] = lvl;
		}
	}
	if (f)
		fclose(f);
}

/* Every line released and inactive; green and the gate only for paid
 * taps, red for the others (a pattern may take over from the one before,
 * so at most one activation per tap, none for a line already on). */
static void check_outputs(const struct run *run, const char *dir)
{
	int on[4] = { 0 }, paid = 0;
	char consumer[32];
	bool low;

	for (int i = 0; i < run->n_taps; i++)
		paid += run->got[i] == TAP_PAID;
	count_activations(dir, on);
	CHECK(!fake_gpiod_requested("gpiochip0", 17, consumer, sizeof(consumer), &low) &&
		  !fake_gpiod_requested("gpiochip0", 5, consumer, sizeof(consumer), &low),
	      "outputs released at the end");
	CHECK(fake_gpiod_level("gpiochip0", 17) == 0 && fake_gpiod_level("gpiochip0", 22) == 0 &&
		  fake_gpiod_level("gpiochip0", 23) == 1 && fake_gpiod_level("gpiochip0", 5) == 0,
	      "outputs inactive at the end");
	/* a pattern beeps at most three times (docs/ui.md) */
	CHECK(on[0] >= 1 && on[0] <= 3 * run->n_taps, "buzzer sounded %d times in %d taps", on[0],
	      run->n_taps);
	CHECK(on[1] >= (paid > 0) && on[1] <= paid, "green lit %d times for %d paid taps", on[1],
	      paid);
	CHECK(on[3] >= (paid > 0) && on[3] <= paid, "gate opened %d times for %d paid taps", on[3],
	      paid);
	CHECK(on[2] >= (run->n_taps > paid) && on[2] <= run->n_taps - paid,
	      "red lit %d times for %d refused taps", on[2], run->n_taps - paid);
	printf("outputs: buzzer %d, green %d, red %d, gate %d times\n", on[0], on[1], on[2], on[3]);
}
#endif

#if WITH_EMU_PROC
/* The script played by the PN532 emulator (libnfc: reader); it writes the
 * clock file and, at its end, its ledger. */
static int start_pn532(struct bench *b, const struct ykt_config *base, const char *dir,
		       const char *script, const char *clock_path, struct ykt_config *cfg)
{
	static char ledger[600];
	const char *args[10] = {
		"--script", script, "--clock-file", clock_path, "--ledger", ledger
	};
	int n = 6, r;

	snprintf(ledger, sizeof(ledger), "%s/pcsc.ledger", dir);
	if (strncmp(base->clock_uri, "sim:", 4) == 0) {
		args[n++] = "--clock-start";
		args[n++] = base->clock_uri + 4;
	}
	args[n] = NULL;
	r = emu_proc_start(&b->emu, crew.libnfc_emulator, dir, args);
	b->emu_started = r == 0;
	if (r == 0)
		snprintf(cfg->reader_uri, sizeof(cfg->reader_uri), "%s", b->emu.uri);
	return r;
}

static void *watch_pn532(void *userdata)
{
	struct bench *b = userdata;
	char line[64];

	if (emu_proc_wait(&b->emu, "end", line, sizeof(line)) < 0)
		fprintf(stderr, "the PN532 emulator stopped before the end of the script\n");
	kill(getpid(), SIGTERM);
	return NULL;
}
#endif

/* The PSAM profile a sim: SAM URI names (without its options). */
static void sim_profile(const char *uri, char *out, size_t cap)
{
	const char *path = strncmp(uri, "sim:", 4) == 0 ? uri + 4 : uri;

	snprintf(out, cap, "%.*s", (int)strcspn(path, ","), path);
}

static int bench_start(struct bench *b, const struct ykt_config *base, const char *dir,
		       const char *script, struct ykt_config *cfg)
{
	char why[300], err[512] = "", profile[512], clock_path[400];
	unsigned since = 0;
	bool present;
	int r;

	if (pcscd_private_start(&b->pcscd, dir, "YKT", why, sizeof(why)) < 0) {
		fprintf(stderr, "%s\n", why);
		return -1;
	}
	snprintf(clock_path, sizeof(clock_path), "%s/clock", dir);
	sim_profile(base->sam_uri, profile, sizeof(profile));
	r = vpcd_psam_new(b->pcscd.port + 1, profile, false, &b->psam, err, sizeof(err));
	if (r == 0)
		r = pcscd_private_look(PSAM_SLOT, &since, &present);
	if (r == 0)
		r = vpcd_insert(vpcd_psam_vpcd(b->psam), 5000);
	/* the board starts the validator once pcscd has its PSAM */
	if (r == 0)
		r = pcscd_private_wait_card(PSAM_SLOT, true, since, 1, 5000);
	*cfg = *base;
	snprintf(cfg->reader_uri, sizeof(cfg->reader_uri), "pcsc:" CARD_SLOT);
#if WITH_EMU_PROC
	if (r == 0 && crew.libnfc_emulator)
		r = start_pn532(b, base, dir, script, clock_path, cfg);
	else
#endif
	    if (r == 0)
		r = vpcd_field_new(b->pcscd.port, CARD_SLOT, script, clock_path, &b->field, err,
				   sizeof(err));
	if (r < 0) {
		fprintf(stderr, "emulators: %s %s\n", ykt_strerror(r), err);
		return r;
	}
#if WITH_FAKE_GPIOD
	if (crew.gpiod)
		wire_outputs(cfg, dir);
#endif
	snprintf(cfg->store_path, sizeof(cfg->store_path), "%s/pcsc.db", dir);
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s/state-pcsc", dir);
	snprintf(cfg->sam_uri, sizeof(cfg->sam_uri), "pcsc:" PSAM_SLOT);
	snprintf(cfg->clock_uri, sizeof(cfg->clock_uri), "file:%s", clock_path);
	return 0;
}

static int run_pcsc(const struct ykt_config *base, const char *dir, const char *script,
		    struct run *run)
{
	static struct ykt_config cfg;
	static struct bench b;
	char path[600], err[512];
	int r = bench_start(&b, base, dir, script, &cfg);

	if (r == 0) {
		r = ykt_validator_new(&cfg, &b.v, err, sizeof(err));
		if (r < 0)
			fprintf(stderr, "validator through pcscd: %s\n", err);
	}
#if WITH_EMU_PROC
	if (r == 0 && b.emu_started) {
		pthread_t watcher;

		r = pthread_create(&watcher, NULL, watch_pn532, &b) ? -EAGAIN : 0;
		if (r == 0) {
			r = ykt_validator_run(b.v, on_tap, run);
			pthread_join(watcher, NULL);
		}
		ykt_validator_free(b.v); /* closes the reader: aborts its poll */
		CHECK(emu_proc_stop(&b.emu) == 0, "the PN532 emulator exits cleanly");
		vpcd_psam_free(b.psam);
		pcscd_private_stop(&b.pcscd);
		return r;
	}
#endif
	if (r == 0)
		r = vpcd_field_start(b.field, pcsc_crew, &b);
	if (r == 0) {
		r = ykt_validator_run(b.v, on_tap, run);
		CHECK(vpcd_field_join(b.field) == 0, "the field played its script to the end");
	}
	snprintf(path, sizeof(path), "%s/pcsc.ledger", dir);
	if (r == 0)
		r = sim_field_write_ledger(vpcd_field_sim(b.field), path);
	ykt_validator_free(b.v);
	vpcd_field_free(b.field);
	vpcd_psam_free(b.psam);
	pcscd_private_stop(&b.pcscd);
	return r;
}

/* ---- comparisons ---- */

/* Events: the same kind, device and body. Their time is when the validator
 * saw the PSAM, between the last record before and the first after. */
static void same_event(const struct run *sim, const struct ykt_event_record *a,
		       const struct ykt_event_record *b)
{
	const char *before = "", *after = "99999999999999";

	CHECK(a->record_no == b->record_no && strcmp(a->kind, b->kind) == 0 &&
		  strcmp(a->device_id, b->device_id) == 0 && strcmp(a->body, b->body) == 0,
	      "event %lld: %s %s in process, %lld %s %s through pcscd", (long long)a->record_no,
	      a->kind, a->body, (long long)b->record_no, b->kind, b->body);
	for (size_t i = 0; i < sim->n_recs; i++) {
		if (sim->recs[i].record_no < a->record_no)
			before = sim->recs[i].txn_time;
		else if (strcmp(after, sim->recs[i].txn_time) > 0)
			after = sim->recs[i].txn_time;
	}
	CHECK(strcmp(a->event_time, before) >= 0 && strcmp(a->event_time, after) <= 0 &&
		  strcmp(b->event_time, before) >= 0 && strcmp(b->event_time, after) <= 0,
	      "event %lld at %s in process, %s through pcscd: not between %s and %s",
	      (long long)a->record_no, a->event_time, b->event_time, before, after);
}

/* The terminal numbers of the records: the old one before a psam-swap
 * event, the new one after it. */
static void check_swaps(const struct run *run)
{
	char old_no[13], new_no[13];

	for (size_t e = 0; e < run->n_events; e++) {
		const struct ykt_event_record *ev = &run->events[e];
		const char *o = strstr(ev->body, "\"old\":\""), *n = strstr(ev->body, "\"new\":\"");

		if (strcmp(ev->kind, "psam-swap") != 0 || !o || !n ||
		    sscanf(o + 7, "%12[0-9]", old_no) != 1 ||
		    sscanf(n + 7, "%12[0-9]", new_no) != 1) {
			CHECK(0, "%s: event %s %s", run->name, ev->kind, ev->body);
			continue;
		}
		for (size_t i = 0; i < run->n_recs; i++) {
			const struct ykt_purchase_record *rec = &run->recs[i];
			const char *want = rec->record_no < ev->record_no ? old_no : new_no;

			CHECK(strcmp(rec->psam_terminal_no, want) == 0,
			      "%s: record %lld under terminal %s, expected %s", run->name,
			      (long long)rec->record_no, rec->psam_terminal_no, want);
		}
	}
	CHECK(run->n_events == (crew.push ? 1u : 0u), "%s: %zu events, expected %d", run->name,
	      run->n_events, crew.push ? 1 : 0);
}

/* Taps refused out of service sent the card nothing, not even through
 * pcscd (its ledger: "tap N cards=... apdus=K ..."). */
static void check_untouched(const char *ledger, const struct run *run, bool shows_multi)
{
	int t = 0;

	for (const char *line = ledger; line && *line; line = strchr(line, '\n'), line += !!line) {
		int no, apdus;

		if (sscanf(line, "tap %d cards=%*s apdus=%d", &no, &apdus) != 2)
			continue;
		if (no < 1 || no > n_expect ||
		    (!shows_multi && strcmp(expect[no - 1], "multiple-cards") == 0))
			continue; /* not shown through PC/SC: not reported */
		if (t < run->n_taps && run->got[t] == TAP_OUT_OF_SERVICE)
			CHECK(apdus == 0, "tap %d: out of service, yet %d APDUs reached the card",
			      no, apdus);
		t++;
	}
}

static char *slurp(const char *path)
{
	static char bufs[2][1 << 16];
	static int which;
	char *buf = bufs[which++ % 2];
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(buf, 1, sizeof(bufs[0]) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static void compare(const char *dir, const struct run *sim, const struct run *pcsc)
{
	char path[600];
	const char *a;

	CHECK(sim->n_recs == pcsc->n_recs && sim->n_recs > 0,
	      "%zu records in process, %zu through pcscd", sim->n_recs, pcsc->n_recs);
	for (size_t i = 0; i < sim->n_recs && i < pcsc->n_recs; i++)
		emu_same_record(&sim->recs[i], &pcsc->recs[i], "through pcscd");
	CHECK(sim->n_events == pcsc->n_events, "%zu events in process, %zu through pcscd",
	      sim->n_events, pcsc->n_events);
	for (size_t i = 0; i < sim->n_events && i < pcsc->n_events; i++)
		same_event(sim, &sim->events[i], &pcsc->events[i]);
	snprintf(path, sizeof(path), "%s/sim.ledger", dir);
	a = slurp(path);
	snprintf(path, sizeof(path), "%s/pcsc.ledger", dir);
	CHECK(a[0] && strcmp(a, slurp(path)) == 0,
	      "the ledgers differ:\n--- in process\n%s--- through pcscd\n%s", a, slurp(path));
	check_untouched(slurp(path), pcsc, crew.libnfc_emulator != NULL);
	check_swaps(sim);
	check_swaps(pcsc);
}

static int parse_crew(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--pull") == 0 && i + 1 < argc)
			crew.pull = atoi(argv[++i]);
		else if (strcmp(argv[i], "--restart") == 0 && i + 1 < argc)
			crew.restart = atoi(argv[++i]);
		else if (strcmp(argv[i], "--gpiod") == 0 && WITH_FAKE_GPIOD)
			crew.gpiod = true;
		else if (strcmp(argv[i], "--libnfc") == 0 && i + 1 < argc && WITH_EMU_PROC)
			crew.libnfc_emulator = argv[++i];
		else if (strcmp(argv[i], "--push") == 0 && i + 2 < argc) {
			crew.push = atoi(argv[++i]);
			snprintf(crew.push_profile, sizeof(crew.push_profile), "%s", argv[++i]);
		} else
			return -EINVAL;
	}
	/* maintenance is played by the vpcd field's runner */
	if (crew.libnfc_emulator && (crew.pull || crew.push || crew.restart))
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	static struct run sim = { .name = "in process" }, pcsc = { .name = "through pcscd" };
	static struct ykt_config cfg;
	const char *why = pcscd_private_unavailable();
	char tmp[256], path[1024], script[1024], err[512];
	sigset_t term;

	if (argc < 2 || parse_crew(argc - 2, argv + 2) < 0)
		return 2;
	if (why)
		check_skip(why);
	/* SIGTERM stops the validator through its signalfd: no thread may take
	 * it the default way */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	check_tmpdir(tmp, sizeof(tmp));
	snprintf(path, sizeof(path), "%s/ykt.conf", argv[1]);
	snprintf(script, sizeof(script), "%s/shift.tap", argv[1]);
	if (ykt_config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	CHECK(read_expectations(script) == 0 && n_expect > 0, "%s has taps with expect=", script);
	CHECK(run_sim(&cfg, tmp, &sim) == 0, "the in-process shift ran");
	CHECK(run_pcsc(&cfg, tmp, script, &pcsc) == 0, "the shift through pcscd ran");
	check_outcomes(&sim, true);
	check_outcomes(&pcsc, crew.libnfc_emulator != NULL);
	snprintf(path, sizeof(path), "%s/sim.db", tmp);
	read_store(path, &sim);
	snprintf(path, sizeof(path), "%s/pcsc.db", tmp);
	read_store(path, &pcsc);
	compare(tmp, &sim, &pcsc);
#if WITH_FAKE_GPIOD
	if (crew.gpiod)
		check_outputs(&pcsc, tmp);
#endif
	printf(
	    "%d taps through the real stacks, %zu records and %zu events compared, %d failures\n",
	    pcsc.n_taps, pcsc.n_recs, pcsc.n_events, check_failures);
	if (!check_failures)
		check_rm_rf(tmp);
	else
		fprintf(stderr, "files kept in %s\n", tmp);
	return check_result();
}
