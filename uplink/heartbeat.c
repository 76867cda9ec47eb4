/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The heartbeat: what the operator's fleet view needs to know about this
 * validator without asking anyone on the bus.  Software and schema versions,
 * the parameter versions in force, the backlog, the PSAMs seen lately, the
 * last tap, the free space and this pass's errors.  One attempt per pass:
 * the next pass sends a fresh one.
 */
#include "uplink_private.h"

#include "log.h"
#include "ykt_config.h"
#include "ykt_error.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* the platform's clock this far from ours is worth a warning */
#define CLOCK_DRIFT_WARN_MS (5 * 60 * 1000)

static int put(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	return json_object_object_add(o, key, v) == 0 ? 0 : -ENOMEM;
}

static int put_int(struct json_object *o, const char *key, int64_t v)
{
	return put(o, key, json_object_new_int64(v));
}

static struct json_object *backlog_json(const struct store_upload_status *st)
{
	struct json_object *o = json_object_new_object();
	int e = 0;

	if (!o)
		return NULL;
	e |= put_int(o, "purchases", st->pending_purchases);
	e |= put_int(o, "grey", st->pending_grey);
	e |= put_int(o, "events", st->pending_events);
	e |= put_int(o, "qr", st->pending_qr);
	e |= put_int(o, "rejected", st->rejected_purchases + st->rejected_events + st->rejected_qr);
	e |= put_int(o, "intents", st->intents);
	e |= put_int(o, "oldest_pending_unix_s", st->oldest_pending_unix_s);
	if (e) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *psams_json(const struct store_upload_status *st)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < st->n_psam; i++)
		if (json_object_array_add(a, json_object_new_string(st->psam_terminal_nos[i])) <
		    0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static struct json_object *errors_json(const struct ykt_uplink *u)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; a && i < u->n_errors; i++)
		if (json_object_array_add(a, json_object_new_string(u->errors[i])) < 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static struct json_object *sync_json(const struct uplink_summary *s)
{
	struct json_object *o = json_object_new_object();
	int e = 0;

	if (!o)
		return NULL;
	e |= put_int(o, "accepted", s->accepted);
	e |= put_int(o, "duplicates", s->duplicates);
	e |= put_int(o, "rejected", s->rejected);
	e |= put_int(o, "retries", s->retries);
	e |= put_int(o, "params_installed", s->params_installed);
	e |= put_int(o, "params_failed", s->params_failed);
	if (e) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *heartbeat_json(const struct ykt_uplink *u,
					  const struct store_upload_status *st,
					  const struct uplink_summary *s)
{
	struct json_object *o = json_object_new_object();
	int e = 0;

	if (!o)
		return NULL;
	e |= put_int(o, "protocol", UPLINK_PROTOCOL);
	e |= put(o, "device_id", json_object_new_string(u->device_id));
	e |= put(o, "software_version", json_object_new_string(YKT_VERSION));
	e |= put_int(o, "schema_version", store_schema_version());
	e |= put_int(o, "sent_at_ms", uplink_now_ms());
	e |= put(o, "params", uplink_params_json(u));
	e |= put(o, "backlog", backlog_json(st));
	e |= put(o, "psam_terminal_nos", psams_json(st));
	e |= put_int(o, "last_txn_unix_s", st->last_txn_unix_s);
	e |= put_int(o, "free_storage_bytes",
		     (int64_t)(st->free_bytes > INT64_MAX ? INT64_MAX : st->free_bytes));
	e |= put(o, "last_sync", sync_json(s));
	e |= put(o, "errors", errors_json(u));
	if (e) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static void check_clock(const struct uplink_http_response *resp)
{
	struct json_object *root = json_tokener_parse(resp->body), *t;
	int64_t drift;

	if (root && json_object_object_get_ex(root, "server_time_ms", &t) &&
	    json_object_is_type(t, json_type_int)) {
		drift = json_object_get_int64(t) - uplink_now_ms();
		if (drift > CLOCK_DRIFT_WARN_MS || drift < -CLOCK_DRIFT_WARN_MS)
			log_warn("uplink", "this clock differs from the platform's by %lld s",
				 (long long)(drift / 1000));
	}
	json_object_put(root);
}

int uplink_heartbeat(struct ykt_uplink *u, struct uplink_summary *s)
{
	struct uplink_http_response resp;
	struct store_upload_status st;
	struct uplink_buf gz = { .max = SIZE_MAX };
	struct json_object *o;
	const char *text;
	size_t len = 0;
	int r = store_upload_status(u->store, &st);

	if (r < 0)
		return r;
	o = heartbeat_json(u, &st, s);
	text = o ? json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len) : NULL;
	r = text ? uplink_gzip(text, len, 6, &gz) : -ENOMEM;
	if (r == 0)
		r = uplink_http_post_json(u->http, "/v1/heartbeat", gz.p, gz.len, true,
					  UPLINK_ANSWER_MAX, &resp);
	json_object_put(o);
	uplink_buf_free(&gz);
	if (r == 0 && resp.status == 200) {
		s->heartbeat_ok = true;
		check_clock(&resp);
		return 0;
	}
	if (r == 0 || r == -EIO) {
		/* refused: as loud as for records; otherwise the next pass sends
		 * a fresh heartbeat */
		if (uplink_refusal(u, s, "heartbeat", &resp) < 0)
			return YKT_E_REFUSED;
		if (r == 0)
			log_warn("uplink", "heartbeat: HTTP %ld", resp.status);
		else
			log_warn("uplink", "heartbeat: %s", resp.error);
	}
	return r < 0 && r != -EIO ? r : YKT_E_NET;
}
