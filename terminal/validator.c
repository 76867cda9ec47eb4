/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "validator.h"

#include "bytes.h"
#include "cardno.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "params.h"
#include "psam.h"
#include "qr_tap.h"
#include "reader.h"
#include "runstate.h"
#include "sam.h"
#include "scanner.h"
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

/* A card family and the PSAM that serves it: the national transport PSAM
 * for T-Union cards, and (optionally) a local-standard one beside it. */
struct validator_family {
	const char *name;
	int slot; /* 1..CONFIG_SAM_SLOTS, 0: not configured */
	uint16_t app_df;
	struct ykt_psam *psam; /* NULL while its slot is released (maintenance) */
	bool known;	       /* terminal_no/serial_no hold the last PSAM seen here */
	uint8_t terminal_no[6];
	uint8_t serial_no[10];
};

enum { FAMILY_TUNION, FAMILY_LOCAL, N_FAMILIES };

struct ykt_validator {
	const struct ykt_config *cfg;
	struct ykt_clock *clock;
	struct ykt_store *store;
	struct ykt_params *params;
	struct ykt_sam *sams[CONFIG_SAM_SLOTS + 1]; /* by slot number; [0] unused */
	struct validator_family families[N_FAMILIES];
	struct ykt_psam *psam; /* the T-Union family's, or NULL */
	struct ykt_loop *loop;
	struct ykt_reader *reader;
	struct ykt_scanner *scanner; /* QR codes; NULL without [hardware] scanner */
	struct ykt_qr_tap *qr;
	struct ykt_tap_env env;
	struct ykt_stop *stops; /* where the bus is; NULL: [device] station */
	struct ykt_stop_tracker stop_tracker;
	struct ykt_screens *screens; /* display and outputs */
	ykt_tap_report_cb report;
	void *report_data;
	int taps;

	/* a store that did not open: why, and when to try again (validator clock) */
	int store_err;
	char store_why[112];
	int64_t store_retry_at_s;
	/* the service state last logged: 0 in service, 1 warning, -1 out of
	 * service, with the error behind it */
	int service_state, service_err;
	struct ykt_runstate *rs; /* status snapshot and control requests; NULL: none */
	char maintenance[32];	 /* out of service on request ("psam-swap"); "" when not */
};

/* How often the loop checks the store, the PSAM and the clock while no card
 * comes: the log (and later the crew display) follows the state. */
#define VALIDATOR_HEALTH_INTERVAL_MS 30000

static void validator_on_event(struct ykt_loop *loop, const struct ykt_event *ev, void *userdata);
static void validator_on_durable(const struct tap_result *res, void *userdata);
static void validator_on_timer(struct ykt_loop *loop, void *userdata);

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

	if (!f->slot || !v->sams[f->slot])
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

static int validator_open_slot(struct ykt_validator *v, int n, char *errbuf, size_t errbuf_len)
{
	struct ykt_sam_env env = { .realtime = v->cfg->realtime, .loop = v->loop, .source = n };
	const char *uri = ykt_config_sam_uri(v->cfg, n);

	return uri[0] ? ykt_sam_open(uri, &env, &v->sams[n], errbuf, errbuf_len) : 0;
}

static int validator_open_sams(struct ykt_validator *v, char *errbuf, size_t errbuf_len)
{
	int r;

	for (int n = 1; n <= CONFIG_SAM_SLOTS; n++) {
		r = validator_open_slot(v, n, errbuf, errbuf_len);
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
	v->psam = v->env.psam = v->families[FAMILY_TUNION].psam;
	return 0;
}

/* What the status snapshot says about the PSAM slot. */
static void validator_publish_psam(struct ykt_validator *v, enum runstate_psam no_psam)
{
	bool ready = v->psam && psam_ready(v->psam);

	const char *uri = ykt_config_sam_uri(v->cfg, v->cfg->tunion_slot);

	if (!v->psam)
		ykt_runstate_set_psam(v->rs, uri, no_psam, NULL, NULL);
	else
		ykt_runstate_set_psam(v->rs, uri, ready ? RUNSTATE_PSAM_READY : RUNSTATE_PSAM_ERROR,
				      ready ? psam_terminal_no(v->psam) : NULL,
				      ready ? psam_serial_no(v->psam) : NULL);
}

/* Let the T-Union slot go (a PSAM swap): no card is touched until it is
 * back. What the family last saw stays, so the swap is still recorded. */
static void validator_release_sam(struct ykt_validator *v)
{
	struct validator_family *f = &v->families[FAMILY_TUNION];

	psam_free(f->psam);
	ykt_sam_free(v->sams[f->slot]);
	f->psam = v->psam = v->env.psam = NULL;
	v->sams[f->slot] = NULL;
}

/* Open the slot again and start whatever PSAM is in it now. */
static int validator_reopen_sam(struct ykt_validator *v)
{
	struct validator_family *f = &v->families[FAMILY_TUNION];
	const char *uri = ykt_config_sam_uri(v->cfg, f->slot);
	char err[256] = "";
	int r;

	validator_release_sam(v);
	r = validator_open_slot(v, f->slot, err, sizeof(err));
	if (r == 0)
		r = validator_open_family(v, f);
	if (r == 0)
		r = ykt_sam_start(v->sams[f->slot]);
	if (r < 0 && r != -EOPNOTSUPP) {
		log_err("psam", "%s: %s", uri, err[0] ? err : ykt_strerror(r));
		ykt_runstate_error(v->rs, "PSAM %s: %s", uri, err[0] ? err : ykt_strerror(r));
		validator_release_sam(v);
	}
	v->psam = v->env.psam = f->psam;
	validator_publish_psam(v, RUNSTATE_PSAM_ABSENT);
	return r == -EOPNOTSUPP ? 0 : r;
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

/* Event sources: the reader 0, SAM slots 1-4, then the QR scanner. */
#define SOURCE_SCANNER (CONFIG_SAM_SLOTS + 1)

/* The QR scanner, when there is one: codes are served between taps. */
static int validator_open_scanner(struct ykt_validator *v, char *errbuf, size_t errbuf_len)
{
	struct ykt_scanner_env env = { .loop = v->loop,
				       .reader = v->reader,
				       .source = SOURCE_SCANNER };
	struct ykt_tap_env tenv = { .cfg = v->cfg, .store = v->store, .clock = v->clock };
	int r = ykt_scanner_open(v->cfg->scanner_uri, &env, &v->scanner, errbuf, errbuf_len);

	if (r < 0)
		return r;
	r = ykt_qr_tap_new(&tenv, &v->qr);
	if (r < 0) {
		snprintf(errbuf, errbuf_len, "QR scan guard: %s", ykt_strerror(r));
		return r;
	}
	if (!v->cfg->n_qr_roots && !v->cfg->params_dir[0])
		log_warn("qr", "no QR root keys ([qr] root_key, or a qr-root-keys package in "
			       "[params] dir): every code is refused");
	return 0;
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

/* Open the store. A store that does not open (damaged, full, unreadable,
 * newer than this program) does not stop the validator: it stays out of
 * service, says why at every tap, leaves the file as it found it, and tries
 * again every store_retry_s. */
static int validator_open_store(struct ykt_validator *v)
{
	const struct ykt_config *c = v->cfg;
	struct store_options so = {
		.busy_timeout_ms = c->busy_timeout_ms,
		.min_free_bytes = c->min_free_bytes,
		.warn_free_bytes = c->warn_free_bytes,
		.max_records = c->max_records,
		.warn_records = c->warn_records,
	};
	int r = store_open(c->store_path, &so, &v->store, v->store_why, sizeof(v->store_why));

	if (r == 0)
		r = validator_grey_leftover_intents(v);
	if (r < 0) {
		if (v->store) {
			snprintf(v->store_why, sizeof(v->store_why), "%s", ykt_strerror(r));
			store_close(v->store);
			v->store = NULL;
		}
		if (!v->store_why[0])
			snprintf(v->store_why, sizeof(v->store_why), "%s", ykt_strerror(r));
		v->store_err = r;
		v->store_retry_at_s = ykt_clock_now_s(v->clock) + c->store_retry_s;
		log_err("store", "%s: %s; out of service until it opens", c->store_path,
			v->store_why);
		return r;
	}
	v->store_err = 0;
	v->store_why[0] = '\0';
	v->env.store = v->store;
	/* parameters keep their index in the store: opened with it */
	if (!v->params && validator_open_params(v, v->store_why, sizeof(v->store_why)) < 0) {
		log_err("params", "%s: %s; lists and fare tables not in force", c->params_dir,
			v->store_why);
		v->store_why[0] = '\0';
	}
	v->env.params = v->params;
	return 0;
}

/* Log the service state when it changes (not at every tap): out of
 * service and why, a warning, back in service. */
static void validator_note_service(struct ykt_validator *v, int rc, const char *why)
{
	int state = rc < 0 ? -1 : why[0] ? 1 : 0;

	if (state == v->service_state && rc == v->service_err)
		return;
	if (state < 0)
		log_err("service", "out of service: %s", why);
	else if (state > 0)
		log_warn("service", "%s", why);
	else
		log_info("service", "in service");
	v->service_state = state;
	v->service_err = rc;
}

/* Everything a tap needs, checked before any card is touched: the store
 * (opened again when due), its room, the PSAM, the clock. */
static int validator_ready(struct ykt_validator *v, char *why, size_t why_len)
{
	int64_t now = ykt_clock_now_s(v->clock);
	int rc;

	/* due, or the clock went back past the last attempt */
	if (!v->store &&
	    (now >= v->store_retry_at_s || now < v->store_retry_at_s - v->cfg->store_retry_s))
		validator_open_store(v);
	if (!v->store) {
		snprintf(why, why_len, "store: %s", v->store_why);
		rc = v->store_err;
	} else {
		rc = ykt_tap_ready(&v->env, why, why_len);
	}
	validator_note_service(v, rc, why);
	return rc;
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
	validator_open_store(v);
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
	r = ykt_loop_add_timer(v->loop, VALIDATOR_HEALTH_INTERVAL_MS, validator_on_timer, v);
	if (r < 0) {
		snprintf(errbuf, errbuf_len, "health timer: %s", ykt_strerror(r));
		return r;
	}
	r = validator_open_sams(v, errbuf, errbuf_len);
	if (r < 0)
		return r;
	renv = (struct ykt_reader_env){ .loop = v->loop,
					.clock = v->clock,
					.source = 0,
					.realtime = v->cfg->realtime,
					.stop = v->stops };
	r = ykt_reader_open(v->cfg->reader_uri, &renv, &v->reader, errbuf, errbuf_len);
	if (r == 0 && v->cfg->scanner_uri[0])
		r = validator_open_scanner(v, errbuf, errbuf_len);
	return r;
}

/* Readiness as a tap would see it now (a store that failed to open is
 * tried again when due), into the log when it changed and into the
 * snapshot. */
static void validator_publish(struct ykt_validator *v)
{
	char why[128];

	if (v->maintenance[0])
		snprintf(why, sizeof(why), "maintenance: %s", v->maintenance);
	else if (!v->psam)
		snprintf(why, sizeof(why), "no PSAM in %.100s",
			 ykt_config_sam_uri(v->cfg, v->cfg->tunion_slot));
	else if (validator_ready(v, why, sizeof(why)) == 0)
		why[0] = '\0';
	if (!v->rs)
		return;
	ykt_runstate_set_clock_s(v->rs, ykt_clock_now_s(v->clock));
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

/* While no card comes, the state still follows the store, the PSAM and
 * the clock. */
static void validator_on_timer(struct ykt_loop *loop, void *userdata)
{
	(void)loop;
	validator_publish(userdata);
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
	v->env.store = v->store; /* NULL until it opens */
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
	ykt_scanner_free(v->scanner); /* after its sim: reader, before the loop */
	ykt_qr_tap_free(v->qr);
	ykt_stop_free(v->stops);
	if (v->rs) {
		ykt_runstate_set_reader(v->rs, v->cfg->reader_uri, "stopped");
		ykt_runstate_set_service(v->rs, "validator stopped");
		ykt_runstate_write(v->rs);
	}
	ykt_runstate_free(v->rs);
	for (int i = 0; i < N_FAMILIES; i++)
		psam_free(v->families[i].psam);
	for (int n = 1; n <= CONFIG_SAM_SLOTS; n++)
		ykt_sam_free(v->sams[n]); /* stops its watch before the loop goes */
	ykt_loop_free(v->loop);
	ykt_params_free(v->params);
	store_close(v->store);
	ykt_clock_free(v->clock);
	free(v);
}

/* Modeled link time of the reader and the PSAM so far; -1 without a model. */
static int64_t validator_link_ns(struct ykt_validator *v)
{
	uint64_t card, psam;

	struct ykt_sam *sam = v->sams[v->cfg->tunion_slot];

	if (!sam || ykt_reader_link_ns(v->reader, &card) < 0 || ykt_sam_link_ns(sam, &psam) < 0)
		return -1;
	return (int64_t)(card + psam);
}

/* No card is touched while this is true: maintenance asked for it, there
 * is no PSAM, or the store, PSAM or clock is not fit (validator_ready).
 * Returns 0 when a tap may go ahead (why then holds a warning or is empty),
 * otherwise a negative code with the reason in why (the screen shows it). */
static int validator_out_of_service(struct ykt_validator *v, char *why, size_t why_len)
{
	int r;

	if (v->maintenance[0]) {
		snprintf(why, why_len, "maintenance: %s", v->maintenance);
		validator_note_service(v, -EBUSY, why);
		return YKT_E_SAM_ABSENT;
	}
	if (!v->psam && validator_reopen_sam(v) < 0) {
		snprintf(why, why_len, "no PSAM in %.100s",
			 ykt_config_sam_uri(v->cfg, v->cfg->tunion_slot));
		validator_note_service(v, YKT_E_SAM_NOT_READY, why);
		return YKT_E_SAM_ABSENT;
	}
	r = validator_ready(v, why, why_len);
	if (r == 0)
		return 0;
	/* a PSAM that stopped (or was swapped) is tried again at the next card */
	if (!psam_present(v->psam)) {
		validator_start_psam(v, &v->families[FAMILY_TUNION]);
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
	char why[sizeof(res.reason)] = "";

	if (v->env.on_step)
		v->env.on_step("present", start_ns, v->env.on_step_data);

	if (ev->n_cards > 1) {
		res.outcome = TAP_MULTI_CARD; /* touch neither card */
	} else if ((res.err = validator_out_of_service(v, why, sizeof(why))) < 0) {
		res.outcome = TAP_OUT_OF_SERVICE;
		snprintf(res.reason, sizeof(res.reason), "%s", why);
	} else {
		ykt_tap_run(&v->env, &res);
		if (!res.reason[0]) /* the tap's own reason first, else the warning */
			snprintf(res.reason, sizeof(res.reason), "%s", why);
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
	/* refused before the card, or stopped during the tap (the store, the
	 * PSAM or the clock failed it) */
	validator_publish_tap(
	    v, &res, res.outcome == TAP_OUT_OF_SERVICE && res.reason[0] ? res.reason : NULL);
	ykt_screens_refresh(v->screens, &v->env, false); /* idle, or out of service */
}

/* the idle screen's status (PSAM, upload backlog) and out-of-service state
 * between taps */
static void validator_on_tick(struct ykt_loop *loop, void *userdata)
{
	struct ykt_validator *v = userdata;

	ykt_screens_refresh(v->screens, &v->env, true);
}

/* A scanned code, served between taps as a tap is: out of service serves
 * no code either; a scanner bounce is ignored without a word.  The record
 * is durable before the passenger is told, so a gate may open at once. */
static void validator_code(struct ykt_validator *v, const struct ykt_event *ev)
{
	struct tap_result res = { .balance_fen = -1, .record_no = -1 };
	int64_t start_ns = ev->posted_ns ? ev->posted_ns : ykt_monotonic_ns();
	uint8_t code[YKT_SCAN_MAX];
	char why[sizeof(res.reason)] = "";
	size_t len;

	if (!v->scanner || ykt_scanner_take(v->scanner, code, sizeof(code), &len) < 0)
		return;
	if (v->env.on_step)
		v->env.on_step("scan", start_ns, v->env.on_step_data);
	if ((res.err = validator_out_of_service(v, why, sizeof(why))) < 0) {
		res.outcome = TAP_OUT_OF_SERVICE;
		snprintf(res.reason, sizeof(res.reason), "%s", why);
	} else {
		ykt_qr_tap_run(v->qr, &v->env, code, len, &res);
		if (!res.reason[0])
			snprintf(res.reason, sizeof(res.reason), "%s", why);
	}
	if (res.outcome == TAP_QR_BOUNCE) {
		if (v->env.on_step)
			v->env.on_step("ignored", ykt_monotonic_ns(), v->env.on_step_data);
		ykt_scanner_done(v->scanner);
		return;
	}
	v->taps++;
	res.elapsed_us = res.model_us = -1;
	ykt_screens_tap(v->screens, &res, start_ns);
	ykt_screens_gate(v->screens, &res);
	if (v->report)
		v->report(v->taps, &res, v->report_data);
	ykt_scanner_done(v->scanner);
	validator_publish_tap(
	    v, &res, res.outcome == TAP_OUT_OF_SERVICE && res.reason[0] ? res.reason : NULL);
	ykt_screens_refresh(v->screens, &v->env, false);
}

/* A slot reported its PSAM pulled out or pushed in (ev->source: the slot).
 * Out: the family is out of service at once. In: reset and read it. */
static void validator_sam_event(struct ykt_validator *v, const struct ykt_event *ev)
{
	for (int i = 0; i < N_FAMILIES; i++) {
		struct validator_family *f = &v->families[i];

		if (!f->slot || f->slot != ev->source || !f->psam)
			continue; /* not ours, or released for maintenance */
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
	validator_publish_psam(v, RUNSTATE_PSAM_ABSENT);
	validator_publish(v);
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
	case YKT_EV_CODE_SCANNED:
		validator_code(v, ev);
		break;
	case YKT_EV_FIELD_END:
		log_info("loop", "card source ended after %d taps", v->taps);
		ykt_loop_quit(loop, 0);
		break;
	case YKT_EV_DEVICE_ERROR:
		if (ev->source == SOURCE_SCANNER)
			log_err("loop", "scanner %s: %s", v->cfg->scanner_uri,
				ykt_strerror(ev->err));
		else
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
	for (int n = 1; n <= CONFIG_SAM_SLOTS; n++) {
		r = v->sams[n] ? ykt_sam_start(v->sams[n]) : 0;
		if (r < 0 && r != -EOPNOTSUPP) {
			log_err("loop", "SAM slot %d did not start: %s", n, ykt_strerror(r));
			return r;
		}
	}
	r = v->scanner ? ykt_scanner_start(v->scanner) : 0;
	if (r < 0)
		log_err("loop", "scanner %s did not start: %s", v->cfg->scanner_uri,
			ykt_strerror(r));
	else
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
	if (res->qr_version) {
		ykt_cardno_mask(res->card_serial, 0, masked);
		fprintf(out, " code=%02X account=%s %s", res->qr_version, masked,
			ykt_card_type_name(res->card_type));
	} else if (res->card_serial[0]) {
		ykt_cardno_mask(res->card_serial, 0, masked);
		fprintf(out, " card=%s %s", masked, ykt_card_type_name(res->card_type));
	}
	if (res->outcome == TAP_PAID || res->outcome == TAP_GREY) {
		print_yuan(out, "amount", res->amount_fen);
		if (res->nominal_fen != res->amount_fen)
			print_yuan(out, "fare", res->nominal_fen);
		if (!res->qr_version)
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
	if (res->reason[0])
		fprintf(out, " %s=\"%s\"",
			res->outcome == TAP_OUT_OF_SERVICE ? "reason" : "warning", res->reason);
	if (res->elapsed_us >= 0)
		fprintf(out, " time=%lld.%01lldms model=%lld.%01lldms",
			(long long)res->elapsed_us / 1000, (long long)res->elapsed_us % 1000 / 100,
			(long long)res->model_us / 1000, (long long)res->model_us % 1000 / 100);
	fprintf(out, " | %s / %s\n", text->zh, text->en);
}
