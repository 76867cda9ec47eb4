/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "validator.h"

#include "bytes.h"
#include "cardno.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "psam.h"
#include "reader.h"
#include "sam.h"
#include "service.h"
#include "store.h"
#include "ykt_config.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A card family and the PSAM that serves it: the national transport PSAM
 * for T-Union cards, and (optionally) a local-standard one beside it. */
struct validator_family {
	const char *name;
	int slot; /* 1..CONFIG_SAM_SLOTS, 0: not configured */
	uint16_t app_df;
	struct ykt_psam *psam;
	bool known; /* terminal_no/serial_no hold the last PSAM seen here */
	uint8_t terminal_no[6];
	uint8_t serial_no[10];
};

enum { FAMILY_TUNION, FAMILY_LOCAL, N_FAMILIES };

struct ykt_validator {
	const struct ykt_config *cfg;
	struct ykt_clock *clock;
	struct ykt_store *store;
	struct ykt_sam *sams[CONFIG_SAM_SLOTS + 1]; /* by slot number; [0] unused */
	struct validator_family families[N_FAMILIES];
	struct ykt_loop *loop;
	struct ykt_reader *reader;
	struct ykt_tap_env env;
	ykt_tap_report_cb report;
	void *report_data;
	int taps;
};

static void validator_on_event(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata);

/* A PSAM with another terminal number than the last one in this slot: the
 * platform hears of the swap through an event record. */
static void validator_record_swap(struct ykt_validator *v, const struct validator_family *f,
				  const struct ykt_psam *psam)
{
	struct ykt_event_record ev = { 0 };
	char old_no[13], new_no[13], old_serial[21], new_serial[21];
	struct ykt_cst now;
	int r;

	ykt_hex_encode(f->terminal_no, 6, old_no, sizeof(old_no));
	ykt_hex_encode(psam_terminal_no(psam), 6, new_no, sizeof(new_no));
	ykt_hex_encode(f->serial_no, 10, old_serial, sizeof(old_serial));
	ykt_hex_encode(psam_serial_no(psam), 10, new_serial, sizeof(new_serial));
	snprintf(ev.device_id, sizeof(ev.device_id), "%s", v->cfg->device_id);
	snprintf(ev.kind, sizeof(ev.kind), "psam-swap");
	ev.event_unix_s = ykt_clock_now_s(v->clock);
	ykt_cst_from_unix(ev.event_unix_s, &now);
	snprintf(ev.event_time, sizeof(ev.event_time), "%04d%02d%02d%02d%02d%02d", now.year,
		 now.month, now.day, now.hour, now.minute, now.second);
	snprintf(ev.body, sizeof(ev.body),
		 "{\"slot\":%d,\"family\":\"%s\",\"old\":\"%s\",\"new\":\"%s\","
		 "\"old_serial\":\"%s\",\"new_serial\":\"%s\"}",
		 f->slot, f->name, old_no, new_no, old_serial, new_serial);
	ev.created_ms = ykt_clock_now_ms(v->clock);
	r = store_event_add(v->store, &ev);
	log_warn("psam", "slot %d: PSAM %s replaced by %s%s%s", f->slot, old_no, new_no,
		 r < 0 ? "; the swap was NOT recorded: " : "", r < 0 ? ykt_strerror(r) : "");
}

/* Reset and read the family's PSAM (at start, after an insertion, or at a
 * tap while it is not ready), recording a swap. */
static int validator_start_psam(struct ykt_validator *v, struct validator_family *f)
{
	int r = psam_start(f->psam);

	if (r < 0) {
		if (r == YKT_E_SAM_ABSENT)
			log_warn("psam", "slot %d (%s): no PSAM", f->slot, f->name);
		return r;
	}
	if (f->known && memcmp(f->terminal_no, psam_terminal_no(f->psam), 6) != 0)
		validator_record_swap(v, f, f->psam);
	f->known = true;
	memcpy(f->terminal_no, psam_terminal_no(f->psam), 6);
	memcpy(f->serial_no, psam_serial_no(f->psam), 10);
	return 0;
}

static int validator_open_family(struct ykt_validator *v, struct validator_family *f)
{
	int r;

	if (!f->slot)
		return 0;
	r = psam_new(v->sams[f->slot], f->app_df, &f->psam);
	if (r < 0)
		return r;
	/* a PSAM that fails start-up leaves the validator out of service (for
	 * T-Union cards), and says so at each tap; it is not a reason to
	 * refuse to start */
	if (validator_start_psam(v, f) < 0)
		log_err("psam", "%s PSAM in slot %d did not start; out of service", f->name,
			f->slot);
	return 0;
}

static int validator_open_sams(struct ykt_validator *v, char *errbuf, size_t errbuf_len)
{
	struct ykt_sam_env env = { .realtime = v->cfg->realtime, .loop = v->loop };
	int r;

	for (int n = 1; n <= CONFIG_SAM_SLOTS; n++) {
		const char *uri = ykt_config_sam_uri(v->cfg, n);

		if (!uri[0])
			continue;
		env.source = n;
		r = ykt_sam_open(uri, &env, &v->sams[n], errbuf, errbuf_len);
		if (r < 0)
			return r;
	}
	v->families[FAMILY_TUNION] = (struct validator_family){ .name = "tunion",
								.slot = v->cfg->tunion_slot,
								.app_df = PSAM_DF_MOT };
	v->families[FAMILY_LOCAL] = (struct validator_family){ .name = "local",
							       .slot = v->cfg->local_slot,
							       .app_df = v->cfg->local_df };
	for (int i = 0; i < N_FAMILIES; i++) {
		r = validator_open_family(v, &v->families[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int collect_intent(const struct ykt_purchase_record *rec, void *userdata)
{
	int64_t *list = userdata;

	if (rec->state == STORE_INTENT && list[0] < 64)
		list[1 + list[0]++] = rec->record_no;
	return 0;
}

/* An intent left by a previous run (power cut or crash between the intent
 * and DEBIT's answer) may or may not have been debited: it becomes grey,
 * to be resolved when the card comes back or by the platform. */
static int validator_grey_leftover_intents(struct ykt_validator *v)
{
	int64_t list[65] = { 0 };
	int r;

	do {
		list[0] = 0;
		r = store_purchase_foreach(v->store, collect_intent, list);
		for (int64_t i = 0; r == 0 && i < list[0]; i++) {
			log_warn("store", "record %lld was an unfinished intent: now grey",
				 (long long)list[1 + i]);
			r = store_purchase_grey(v->store, list[1 + i]);
		}
	} while (r == 0 && list[0] == 64);
	return r;
}

static int validator_open(struct ykt_validator *v, char *errbuf, size_t errbuf_len)
{
	struct store_options so = { v->cfg->busy_timeout_ms, v->cfg->min_free_bytes };
	struct ykt_reader_env renv;
	int r;

	r = ykt_clock_new(v->cfg->clock_uri, &v->clock);
	if (r < 0) {
		snprintf(errbuf, errbuf_len, "clock %s: %s", v->cfg->clock_uri, ykt_strerror(r));
		return r;
	}
	r = store_open(v->cfg->store_path, &so, &v->store, errbuf, errbuf_len);
	if (r == 0)
		r = validator_grey_leftover_intents(v);
	if (r < 0)
		return r;
	r = ykt_loop_new(validator_on_event, v, &v->loop);
	if (r < 0) {
		snprintf(errbuf, errbuf_len, "event loop: %s", ykt_strerror(r));
		return r;
	}
	r = validator_open_sams(v, errbuf, errbuf_len);
	if (r < 0)
		return r;
	renv = (struct ykt_reader_env){
		.loop = v->loop, .clock = v->clock, .source = 0, .realtime = v->cfg->realtime
	};
	return ykt_reader_open(v->cfg->reader_uri, &renv, &v->reader, errbuf, errbuf_len);
}

int ykt_validator_new(const struct ykt_config *cfg, struct ykt_validator **ret, char *errbuf,
		      size_t errbuf_len)
{
	struct ykt_validator *v = calloc(1, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	v->cfg = cfg;
	errbuf[0] = '\0';
	r = validator_open(v, errbuf, errbuf_len);
	if (r < 0) {
		if (!errbuf[0])
			snprintf(errbuf, errbuf_len, "%s", ykt_strerror(r));
		ykt_validator_free(v);
		return r;
	}
	v->env.clock_floor_unix_s = cfg->clock_floor_unix_s;
	if (!cfg->clock_floor_unix_s &&
	    ykt_parse_cst_iso(YKT_BUILD_DATE_UTC, &v->env.clock_floor_unix_s) == 0)
		v->env.clock_floor_unix_s += 8 * 3600; /* the build date is UTC */
	v->env.cfg = cfg;
	v->env.reader = v->reader;
	v->env.psam = v->families[FAMILY_TUNION].psam;
	v->env.store = v->store;
	v->env.clock = v->clock;
	*ret = v;
	return 0;
}

void ykt_validator_free(struct ykt_validator *v)
{
	if (!v)
		return;
	ykt_reader_free(v->reader); /* stops its thread before the loop goes */
	for (int i = 0; i < N_FAMILIES; i++)
		psam_free(v->families[i].psam);
	for (int n = 1; n <= CONFIG_SAM_SLOTS; n++)
		ykt_sam_free(v->sams[n]); /* stops its monitor before the loop goes */
	ykt_loop_free(v->loop);
	store_close(v->store);
	ykt_clock_free(v->clock);
	free(v);
}

/* Modeled link time of the reader and the PSAM so far; -1 without a model. */
static int64_t validator_link_ns(struct ykt_validator *v)
{
	uint64_t card, psam;

	if (ykt_reader_link_ns(v->reader, &card) < 0 ||
	    ykt_sam_link_ns(v->sams[v->cfg->tunion_slot], &psam) < 0)
		return -1;
	return (int64_t)(card + psam);
}

static void validator_tap(struct ykt_validator *v, const struct ykt_event *ev)
{
	struct tap_result res = { .balance_fen = -1, .record_no = -1 };
	int64_t start_ns = ev->posted_ns ? ev->posted_ns : ykt_monotonic_ns();
	int64_t link_ns = validator_link_ns(v);
	char why[128];

	if (v->env.on_step)
		v->env.on_step("present", start_ns, v->env.on_step_data);

	if (ev->n_cards > 1) {
		res.outcome = TAP_MULTI_CARD; /* touch neither card */
	} else if (ykt_tap_ready(&v->env, why, sizeof(why)) < 0) {
		log_err("tap", "out of service: %s", why);
		res.outcome = TAP_OUT_OF_SERVICE;
		/* a PSAM that stopped is tried again at the next card */
		if (!psam_present(v->env.psam))
			validator_start_psam(v, &v->families[FAMILY_TUNION]);
	} else {
		ykt_tap_run(&v->env, &res);
	}
	v->taps++;
	res.elapsed_us = res.model_us = -1;
	if (v->cfg->realtime && link_ns >= 0) {
		res.elapsed_us = (ykt_monotonic_ns() - start_ns) / 1000;
		res.model_us = (validator_link_ns(v) - link_ns) / 1000;
	}
	if (v->report)
		v->report(v->taps, &res, v->report_data);
	ykt_tap_finish(&v->env, &res);
	ykt_reader_done(v->reader);
}

/* A slot reported its PSAM pulled out or pushed in (ev->source: the slot).
 * Out: the family is out of service at once. In: reset and read it. */
static void validator_sam_event(struct ykt_validator *v, const struct ykt_event *ev)
{
	for (int i = 0; i < N_FAMILIES; i++) {
		struct validator_family *f = &v->families[i];

		if (!f->slot || f->slot != ev->source)
			continue;
		if (ev->type == YKT_EV_SAM_REMOVED) {
			log_warn("psam", "slot %d: %s PSAM removed; out of service", f->slot,
				 f->name);
			psam_invalidate(f->psam);
		} else if (validator_start_psam(v, f) == 0) {
			log_info("psam", "slot %d: %s PSAM %02X%02X%02X%02X%02X%02X in service",
				 f->slot, f->name, f->terminal_no[0], f->terminal_no[1],
				 f->terminal_no[2], f->terminal_no[3], f->terminal_no[4],
				 f->terminal_no[5]);
		}
	}
}

static void validator_on_event(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata)
{
	struct ykt_validator *v = userdata;

	switch (ev->type) {
	case YKT_EV_SAM_INSERTED:
	case YKT_EV_SAM_REMOVED:
		validator_sam_event(v, ev);
		break;
	case YKT_EV_CARD_PRESENT:
		validator_tap(v, ev);
		break;
	case YKT_EV_FIELD_END:
		log_info("loop", "card source ended after %d taps", v->taps);
		ykt_loop_quit(loop, 0);
		break;
	case YKT_EV_DEVICE_ERROR:
		log_err("loop", "device %d: %s", ev->source, ykt_strerror(ev->err));
		break;
	default:
		break;
	}
}

int ykt_validator_run(struct ykt_validator *v, ykt_tap_report_cb report, void *userdata)
{
	int r;

	v->report = report;
	v->report_data = userdata;
	for (int n = 1; n <= CONFIG_SAM_SLOTS; n++) {
		r = v->sams[n] ? ykt_sam_start(v->sams[n]) : 0;
		if (r < 0 && r != -EOPNOTSUPP) {
			log_err("loop", "SAM slot %d did not start: %s", n, ykt_strerror(r));
			return r;
		}
	}
	r = ykt_reader_start(v->reader);
	if (r < 0) {
		log_err("loop", "reader %s did not start: %s", v->cfg->reader_uri, ykt_strerror(r));
		return r;
	}
	r = ykt_service_ready(v->loop);
	if (r == 0)
		r = ykt_loop_run(v->loop);
	ykt_service_stopping();
	return r;
}

struct ykt_reader *ykt_validator_reader(struct ykt_validator *v)
{
	return v->reader;
}

struct ykt_sam *ykt_validator_sam(struct ykt_validator *v)
{
	return v->sams[v->cfg->tunion_slot];
}

struct ykt_sam *ykt_validator_sam_slot(struct ykt_validator *v, int slot)
{
	return slot >= 1 && slot <= CONFIG_SAM_SLOTS ? v->sams[slot] : NULL;
}

void ykt_validator_on_step(struct ykt_validator *v, ykt_tap_step_cb cb, void *userdata)
{
	v->env.on_step = cb;
	v->env.on_step_data = userdata;
}

static const char *card_type_name(uint8_t type)
{
	static const char *const names[] = { "type-00", "adult",    "student",
					     "senior",	"disabled", "staff" };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "other";
}

static void print_yuan(FILE *out, const char *label, int64_t fen)
{
	fprintf(out, " %s=%s%lld.%02lld", label, fen < 0 ? "-" : "", llabs(fen) / 100,
		llabs(fen) % 100);
}

void ykt_tap_print(FILE *out, int n, const struct tap_result *res)
{
	const struct outcome_text *text = tap_outcome_text(res->outcome);
	char masked[YKT_CARDNO_LEN + 1];

	fprintf(out, "tap %d: %s", n, text->key);
	if (res->card_serial[0]) {
		ykt_cardno_mask(res->card_serial, 0, masked);
		fprintf(out, " card=%s %s", masked, card_type_name(res->card_type));
	}
	if (res->outcome == TAP_PAID || res->outcome == TAP_GREY) {
		print_yuan(out, "amount", res->amount_fen);
		if (res->nominal_fen != res->amount_fen)
			print_yuan(out, "fare", res->nominal_fen);
		fprintf(out, " %s", res->trans_type == 0x09 ? "compound" : "simple");
		if (res->recovered)
			fprintf(out, " recovered");
	}
	if (res->balance_fen >= 0)
		print_yuan(out, "balance", res->balance_fen);
	if (res->record_no >= 0)
		fprintf(out, " record=%lld", (long long)res->record_no);
	if (res->sw)
		fprintf(out, " sw=%04X", res->sw);
	if (res->elapsed_us >= 0)
		fprintf(out, " time=%lld.%01lldms model=%lld.%01lldms",
			(long long)res->elapsed_us / 1000, (long long)res->elapsed_us % 1000 / 100,
			(long long)res->model_us / 1000, (long long)res->model_us % 1000 / 100);
	fprintf(out, " | %s / %s\n", text->zh, text->en);
}
