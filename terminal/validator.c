/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "validator.h"

#include "cardno.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "params.h"
#include "psam.h"
#include "reader.h"
#include "runstate.h"
#include "sam.h"
#include "screens.h"
#include "service.h"
#include "stop.h"
#include "stops.h"
#include "store.h"
#include "ykt_config.h"
#include "ykt_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ykt_validator {
	const struct ykt_config *cfg;
	struct ykt_clock *clock;
	struct ykt_store *store;
	struct ykt_params *params;
	struct ykt_sam *sam;
	struct ykt_psam *psam;
	struct ykt_loop *loop;
	struct ykt_reader *reader;
	struct ykt_tap_env env;
	struct ykt_stop *stops; /* where the bus is; NULL: [device] station */
	struct ykt_stop_tracker stop_tracker;
	struct ykt_screens *screens; /* display and outputs */
	ykt_tap_report_cb report;
	void *report_data;
	int taps;
	struct ykt_runstate *rs; /* status snapshot and control requests; NULL: none */
	char maintenance[32];	 /* out of service on request ("psam-swap"); "" when not */
};

static void validator_on_event(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata);
static void validator_on_durable(const struct tap_result *res, void *userdata);

static int validator_open_sam(struct ykt_validator *v, char *errbuf, size_t errbuf_len)
{
	struct ykt_sam_env env = { .realtime = v->cfg->realtime };
	int r = ykt_sam_open(v->cfg->sam_uri, &env, &v->sam, errbuf, errbuf_len);

	if (r < 0)
		return r;
	v->env.psam = NULL;
	r = psam_new(v->sam, &v->psam);
	if (r < 0)
		return r;
	/* a PSAM that fails start-up leaves the validator out of service, and
	 * says so at each tap; it is not a reason to refuse to start */
	if (psam_start(v->psam) < 0)
		log_err("psam", "PSAM in %s did not start; out of service", v->cfg->sam_uri);
	return 0;
}

/* What the status snapshot says about the PSAM slot. */
static void validator_publish_psam(struct ykt_validator *v, enum runstate_psam no_psam)
{
	bool ready = v->psam && psam_ready(v->psam);

	if (!v->psam)
		ykt_runstate_set_psam(v->rs, v->cfg->sam_uri, no_psam, NULL, NULL);
	else
		ykt_runstate_set_psam(v->rs, v->cfg->sam_uri,
				      ready ? RUNSTATE_PSAM_READY : RUNSTATE_PSAM_ERROR,
				      ready ? psam_terminal_no(v->psam) : NULL,
				      ready ? psam_serial_no(v->psam) : NULL);
}

/* Let the slot go (a PSAM swap): no card is touched until it is back. */
static void validator_release_sam(struct ykt_validator *v)
{
	psam_free(v->psam);
	ykt_sam_free(v->sam);
	v->psam = v->env.psam = NULL;
	v->sam = NULL;
}

/* Open the slot again and start whatever PSAM is in it now. */
static int validator_reopen_sam(struct ykt_validator *v)
{
	char err[256] = "";
	int r;

	validator_release_sam(v);
	r = validator_open_sam(v, err, sizeof(err));
	if (r < 0) {
		log_err("psam", "%s: %s", v->cfg->sam_uri, err[0] ? err : ykt_strerror(r));
		ykt_runstate_error(v->rs, "PSAM %s: %s", v->cfg->sam_uri,
				   err[0] ? err : ykt_strerror(r));
		validator_release_sam(v);
	}
	v->env.psam = v->psam;
	validator_publish_psam(v, RUNSTATE_PSAM_ABSENT);
	return r;
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

/* The reader loop only reads installed versions (installs verify the
 * signatures): no key is needed here. */
static int validator_open_params(struct ykt_validator *v, char *errbuf, size_t errbuf_len)
{
	struct ykt_params_options po = { .dir = v->cfg->params_dir,
					 .store = v->store,
					 .clock = v->clock };

	if (!v->cfg->params_dir[0])
		return 0;
	return ykt_params_open(&po, &v->params, errbuf, errbuf_len);
}

/* The stop source ([hardware] stops), for segmented bus fares. */
static int validator_open_stops(struct ykt_validator *v, char *errbuf, size_t errbuf_len)
{
	const char *uri = v->cfg->stops_uri;

	ykt_stop_tracker_init(&v->stop_tracker);
	if (!uri[0] || strcmp(uri, "none") == 0)
		return 0;
	return ykt_stop_open(uri, &v->stops, errbuf, errbuf_len);
}

static int validator_open(struct ykt_validator *v, char *errbuf, size_t errbuf_len)
{
	struct store_options so = { .busy_timeout_ms = v->cfg->busy_timeout_ms,
				    .min_free_bytes = v->cfg->min_free_bytes };
	struct ykt_reader_env renv;
	int r;

	r = ykt_clock_new(v->cfg->clock_uri, &v->clock);
	if (r < 0) {
		snprintf(errbuf, errbuf_len, "clock %s: %s", v->cfg->clock_uri, ykt_strerror(r));
		return r;
	}
	r = ykt_screens_new(v->cfg, v->clock, &v->screens, errbuf, errbuf_len);
	if (r < 0)
		return r;
	v->env.on_durable = validator_on_durable;
	v->env.on_durable_data = v;
	r = store_open(v->cfg->store_path, &so, &v->store, errbuf, errbuf_len);
	if (r == 0)
		r = validator_grey_leftover_intents(v);
	if (r == 0)
		r = validator_open_params(v, errbuf, errbuf_len);
	if (r < 0)
		return r;
	r = validator_open_sam(v, errbuf, errbuf_len);
	if (r < 0)
		return r;
	r = validator_open_stops(v, errbuf, errbuf_len);
	if (r < 0)
		return r;
	r = ykt_loop_new(validator_on_event, v, &v->loop);
	if (r < 0) {
		snprintf(errbuf, errbuf_len, "event loop: %s", ykt_strerror(r));
		return r;
	}
	renv = (struct ykt_reader_env){ .loop = v->loop,
					.clock = v->clock,
					.source = 0,
					.realtime = v->cfg->realtime,
					.stop = v->stops };
	return ykt_reader_open(v->cfg->reader_uri, &renv, &v->reader, errbuf, errbuf_len);
}

/* Publish the snapshot: readiness as a tap would see it now. */
static void validator_publish(struct ykt_validator *v)
{
	char why[128];

	if (!v->rs)
		return;
	ykt_runstate_set_clock_s(v->rs, ykt_clock_now_s(v->clock));
	if (v->maintenance[0])
		snprintf(why, sizeof(why), "maintenance: %s", v->maintenance);
	else if (!v->psam)
		snprintf(why, sizeof(why), "no PSAM in %.100s", v->cfg->sam_uri);
	else if (ykt_tap_ready(&v->env, why, sizeof(why)) == 0)
		why[0] = '\0';
	ykt_runstate_set_service(v->rs, why[0] ? why : NULL);
	ykt_runstate_write(v->rs);
}

/* A maintenance request from the control file (ykt psam swap): out of
 * service with the slot released, or back with the slot opened again. */
static void validator_on_request(const struct runstate_request *req, void *userdata)
{
	struct ykt_validator *v = userdata;

	if (req->out_of_service) {
		log_warn("state", "out of service on request: %s", req->reason);
		snprintf(v->maintenance, sizeof(v->maintenance), "%s", req->reason);
		validator_release_sam(v);
		validator_publish_psam(v, RUNSTATE_PSAM_RELEASED);
	} else if (v->maintenance[0]) {
		log_warn("state", "back in service after %s", v->maintenance);
		v->maintenance[0] = '\0';
		validator_reopen_sam(v);
	}
	ykt_runstate_set_maintenance(v->rs, req->out_of_service ? req->reason : NULL, req->id);
	validator_publish(v);
}

static void validator_runstate_open(struct ykt_validator *v)
{
	char err[256] = "";
	int r;

	if (!v->cfg->state_dir[0])
		return; /* state_dir set empty: no snapshot */
	r = ykt_runstate_open(v->cfg->state_dir, v->cfg->device_id, &v->rs, err, sizeof(err));
	if (r < 0) {
		log_warn("state", "no status snapshot: %s", err[0] ? err : ykt_strerror(r));
		return;
	}
	r = ykt_runstate_watch(v->rs, v->loop, validator_on_request, v);
	if (r < 0)
		log_warn("state", "control requests not watched: %s", ykt_strerror(r));
	ykt_runstate_set_reader(v->rs, v->cfg->reader_uri, "open");
	validator_publish_psam(v, RUNSTATE_PSAM_ABSENT);
	validator_publish(v);
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
	v->env.psam = v->psam;
	v->env.store = v->store;
	v->env.clock = v->clock;
	v->env.stops = v->stops;
	v->env.stop_tracker = &v->stop_tracker;
	validator_runstate_open(v);
	v->env.params = v->params;
	*ret = v;
	return 0;
}

void ykt_validator_free(struct ykt_validator *v)
{
	if (!v)
		return;
	ykt_screens_free(v->screens); /* outputs inactive */
	ykt_reader_free(v->reader);   /* stops its thread before the loop goes */
	ykt_stop_free(v->stops);
	if (v->rs) {
		ykt_runstate_set_reader(v->rs, v->cfg->reader_uri, "stopped");
		ykt_runstate_set_service(v->rs, "validator stopped");
		ykt_runstate_write(v->rs);
	}
	ykt_runstate_free(v->rs);
	ykt_loop_free(v->loop);
	psam_free(v->psam);
	ykt_sam_free(v->sam);
	ykt_params_free(v->params);
	store_close(v->store);
	ykt_clock_free(v->clock);
	free(v);
}

/* Modeled link time of the reader and the PSAM so far; -1 without a model. */
static int64_t validator_link_ns(struct ykt_validator *v)
{
	uint64_t card, psam;

	if (!v->sam || ykt_reader_link_ns(v->reader, &card) < 0 ||
	    ykt_sam_link_ns(v->sam, &psam) < 0)
		return -1;
	return (int64_t)(card + psam);
}

/* No card is touched while this is true: maintenance asked for it, there
 * is no PSAM, or the store, PSAM or clock is not fit (ykt_tap_ready). */
/* 0 when a tap may go ahead; otherwise the reason (the screen shows it)
 * in why and a negative code. */
static int validator_out_of_service(struct ykt_validator *v, char *why, size_t why_len)
{
	int r;

	if (v->maintenance[0]) {
		snprintf(why, why_len, "maintenance: %s", v->maintenance);
		return YKT_E_SAM_ABSENT;
	}
	if (!v->psam && validator_reopen_sam(v) < 0) {
		snprintf(why, why_len, "no PSAM in %.100s", v->cfg->sam_uri);
		return YKT_E_SAM_ABSENT;
	}
	r = ykt_tap_ready(&v->env, why, why_len);
	if (r == 0)
		return 0;
	/* a PSAM that stopped is tried again at the next card */
	if (!psam_ready(v->psam)) {
		psam_start(v->psam);
		validator_publish_psam(v, RUNSTATE_PSAM_ABSENT);
	}
	return r;
}

/* The snapshot after a tap, once the card is released. */
static void validator_publish_tap(struct ykt_validator *v, const struct tap_result *res,
				  const char *out_of_service)
{
	if (!v->rs)
		return;
	ykt_runstate_set_clock_s(v->rs, ykt_clock_now_s(v->clock));
	ykt_runstate_tap(v->rs, tap_outcome_text(res->outcome)->key, res->record_no);
	ykt_runstate_set_service(v->rs, out_of_service);
	/* what a crew must look into, not what passengers did (low balance,
	 * a card pulled away early) */
	if (out_of_service)
		ykt_runstate_error(v->rs, "out of service: %s", out_of_service);
	else if (res->outcome == TAP_CARD_ERROR || res->outcome == TAP_GREY ||
		 res->outcome == TAP_GREY_PENDING)
		ykt_runstate_error(v->rs, "tap %d %s: %s", v->taps,
				   tap_outcome_text(res->outcome)->key,
				   res->err ? ykt_strerror(res->err) : "-");
	ykt_runstate_write(v->rs);
}

/* the record of a paid tap is complete: the gate may open */
static void validator_on_durable(const struct tap_result *res, void *userdata)
{
	struct ykt_validator *v = userdata;

	ykt_screens_gate(v->screens, res);
}

static void validator_tap(struct ykt_validator *v, const struct ykt_event *ev)
{
	struct tap_result res = { .balance_fen = -1, .record_no = -1 };
	int64_t start_ns = ev->posted_ns ? ev->posted_ns : ykt_monotonic_ns();
	int64_t link_ns = validator_link_ns(v);
	char why[128] = "";
	bool out_of_service = false;

	if (v->env.on_step)
		v->env.on_step("present", start_ns, v->env.on_step_data);

	if (ev->n_cards > 1) {
		res.outcome = TAP_MULTI_CARD; /* touch neither card */
	} else if ((res.err = validator_out_of_service(v, why, sizeof(why))) < 0) {
		out_of_service = true;
		log_err("tap", "out of service: %s", why);
		res.outcome = TAP_OUT_OF_SERVICE;
	} else {
		ykt_tap_run(&v->env, &res);
	}
	v->taps++;
	res.elapsed_us = res.model_us = -1;
	if (v->cfg->realtime && link_ns >= 0) {
		res.elapsed_us = (ykt_monotonic_ns() - start_ns) / 1000;
		res.model_us = (validator_link_ns(v) - link_ns) / 1000;
	}
	/* the record is complete (or was never written): tell the passenger */
	ykt_screens_tap(v->screens, &res, start_ns);
	if (v->report)
		v->report(v->taps, &res, v->report_data);
	ykt_tap_finish(&v->env, &res);
	ykt_reader_done(v->reader);
	validator_publish_tap(v, &res, out_of_service ? why : NULL);
	ykt_screens_refresh(v->screens, &v->env, false); /* idle, or out of service */
}

/* the idle screen's status (PSAM, upload backlog) and out-of-service state
 * between taps */
static void validator_on_tick(struct ykt_loop *loop, void *userdata)
{
	struct ykt_validator *v = userdata;

	ykt_screens_refresh(v->screens, &v->env, true);
}

static void validator_on_event(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata)
{
	struct ykt_validator *v = userdata;

	switch (ev->type) {
	case YKT_EV_CARD_PRESENT:
		validator_tap(v, ev);
		break;
	case YKT_EV_FIELD_END:
		log_info("loop", "card source ended after %d taps", v->taps);
		ykt_loop_quit(loop, 0);
		break;
	case YKT_EV_DEVICE_ERROR:
		log_err("loop", "device %d: %s", ev->source, ykt_strerror(ev->err));
		ykt_runstate_error(v->rs, "device %d: %s", ev->source, ykt_strerror(ev->err));
		ykt_runstate_write(v->rs);
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
	ykt_screens_refresh(v->screens, &v->env, true);
	r = ykt_loop_add_timer(v->loop, 10000, validator_on_tick, v);
	if (r < 0)
		return r;
	r = ykt_reader_start(v->reader);
	ykt_runstate_set_reader(v->rs, v->cfg->reader_uri, r < 0 ? "error" : "running");
	if (r < 0) {
		log_err("loop", "reader %s did not start: %s", v->cfg->reader_uri, ykt_strerror(r));
		ykt_runstate_error(v->rs, "reader %s: %s", v->cfg->reader_uri, ykt_strerror(r));
	}
	validator_publish(v);
	if (r < 0)
		return r;
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
	return v->sam;
}

void ykt_validator_on_step(struct ykt_validator *v, ykt_tap_step_cb cb, void *userdata)
{
	v->env.on_step = cb;
	v->env.on_step_data = userdata;
}

struct ykt_screens *ykt_validator_screens(struct ykt_validator *v)
{
	return v->screens;
}

const char *ykt_card_type_name(uint8_t type)
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
		fprintf(out, " card=%s %s", masked, ykt_card_type_name(res->card_type));
	}
	if (res->outcome == TAP_PAID || res->outcome == TAP_GREY) {
		print_yuan(out, "amount", res->amount_fen);
		if (res->nominal_fen != res->amount_fen)
			print_yuan(out, "fare", res->nominal_fen);
		fprintf(out, " %s", res->trans_type == 0x09 ? "compound" : "simple");
		if (res->transfer)
			fprintf(out, " transfer");
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
