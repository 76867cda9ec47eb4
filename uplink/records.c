/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Records up: the pending records in record order, in batches cut by count
 * and by bytes, gzip-compressed, POST /v1/records.  A record is marked only
 * from the platform's answer for it; a batch that got no usable answer
 * (network, time-out, 5xx, malformed JSON) is sent again whole, rebuilt
 * from the store, so it carries what the store holds at that moment.  The
 * platform de-duplicates, so sending a record twice costs bytes, never a
 * second charge.
 *
 * A sweep walks the pending records once, from the lowest record number up.
 * Records the platform left unanswered (a partial answer) are still pending
 * after it, and so are grey records completed meanwhile: further sweeps
 * send them, as long as each sweep gets answers applied.
 */
#include "uplink_private.h"

#include "clock.h"
#include "log.h"
#include "ykt_config.h"
#include "ykt_error.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SWEEPS 8
#define GZIP_LEVEL 6

struct batch {
	struct ykt_uplink *u;
	struct uplink_buf json, gz;
	struct uplink_sent *sent;
	size_t n, cap;
	int64_t last_no;
	int err;
};

static int sent_push(struct batch *b, const struct store_upload_item *item)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		struct uplink_sent *p = realloc(b->sent, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		b->sent = p;
		b->cap = cap;
	}
	b->sent[b->n++] = (struct uplink_sent){
		.record_no = item->record_no,
		.kind = item->kind,
		.state = item->purchase ? item->purchase->state : 0,
	};
	b->last_no = item->record_no;
	return 0;
}

/* One record into the batch; 1 (stop) when it would not fit the bytes. */
static int batch_add(const struct store_upload_item *item, void *userdata)
{
	struct batch *b = userdata;
	struct json_object *o;
	const char *text;
	size_t len;
	int r = uplink_json_record(item, &o);

	if (r < 0)
		return r;
	text = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	/* a record always goes, alone if it must; the "]}" closes the batch */
	if (!text)
		r = -ENOMEM;
	else if (b->n > 0 && b->json.len + len + 3 > (size_t)b->u->batch_bytes)
		r = 1;
	if (r == 0 && b->n > 0)
		r = uplink_buf_append(&b->json, ",", 1);
	if (r == 0)
		r = uplink_buf_append(&b->json, text, len);
	if (r == 0)
		r = sent_push(b, item);
	json_object_put(o);
	return r;
}

static int batch_header(struct batch *b)
{
	struct json_object *id = json_object_new_string(b->u->device_id);
	const char *id_json =
	    id ? json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN) : NULL;
	int r = id_json ? 0 : -ENOMEM;

	if (r == 0)
		r = uplink_buf_appendf(
		    &b->json,
		    "{\"protocol\":%d,\"device_id\":%s,\"software_version\":\"%s\","
		    "\"sent_at_ms\":%lld,\"records\":[",
		    UPLINK_PROTOCOL, id_json, YKT_VERSION, (long long)uplink_now_ms());
	json_object_put(id);
	return r;
}

/* The records after `after`, as a request body; b->n == 0 when none. */
static int batch_build(struct batch *b, int64_t after)
{
	int r;

	b->json.len = 0;
	b->n = 0;
	r = batch_header(b);
	if (r == 0)
		r = store_upload_foreach(b->u->store, after, (size_t)b->u->batch_records, batch_add,
					 b);
	if (r == 0)
		r = uplink_buf_append(&b->json, "]}", 2);
	if (r == 0 && b->n > 0)
		r = uplink_gzip(b->json.p, b->json.len, GZIP_LEVEL, &b->gz);
	return r;
}

static int64_t *verdict_counter(struct uplink_summary *s, int verdict)
{
	return verdict == UPLOAD_ACCEPTED    ? &s->accepted
	       : verdict == UPLOAD_DUPLICATE ? &s->duplicates
					     : &s->rejected;
}

static void log_rejections(const struct uplink_answers *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->answer[i].verdict == UPLOAD_REJECTED)
			log_warn("uplink", "record %lld rejected by the platform: %.200s",
				 (long long)a->answer[i].record_no,
				 a->answer[i].reason ? a->answer[i].reason : "(no reason)");
}

/* The answers of a batch, u->apply_chunk at a time: each chunk one
 * transaction, far enough from the one before (uplink_before_write()). */
static int apply_answers(struct ykt_uplink *u, struct uplink_summary *s, struct uplink_answers *a,
			 int64_t *applied)
{
	int64_t now = uplink_now_ms();
	int r = 0;

	log_rejections(a);
	for (size_t i = 0, n = 0; r == 0 && i < a->n; i += n) {
		int64_t start_ns = uplink_before_write(u);

		n = a->n - i < u->apply_chunk ? a->n - i : u->apply_chunk;
		r = store_upload_apply(u->store, a->answer + i, n, now, NULL);
		uplink_after_write(u, start_ns, &u->apply_chunk, UPLINK_APPLY_CHUNK);
		for (size_t k = i; r == 0 && k < i + n; k++) {
			if (!a->answer[k].applied)
				continue;
			(*verdict_counter(s, a->answer[k].verdict))++;
			(*applied)++;
		}
	}
	if (r < 0)
		uplink_fail(u, s, UPLINK_STOP_STORE, "store: %s", ykt_strerror(r));
	return r;
}

/* 413: the platform takes less at once.  Halve the batch for the rest of
 * the process; true when it could still shrink. */
static bool shrink(struct ykt_uplink *u, const struct batch *b)
{
	int records = (int)(b->n / 2);

	if (b->n <= 1)
		return false;
	u->batch_records = records > 0 ? records : 1;
	if (u->batch_bytes > 32768)
		u->batch_bytes /= 2;
	log_warn("uplink", "platform: batch too large; now at most %d records, %lld bytes",
		 u->batch_records, (long long)u->batch_bytes);
	return true;
}

/* A 200 answer: parsed and applied.  YKT_E_PROTOCOL when malformed (the
 * batch then counts as failed and goes again). */
static int take_answer(struct ykt_uplink *u, struct uplink_summary *s, const struct batch *b,
		       const struct uplink_http_response *resp, int64_t *applied)
{
	struct uplink_answers a;
	char why[160];
	int r =
	    uplink_parse_results(resp->body, resp->body_len, b->sent, b->n, &a, why, sizeof(why));

	if (r < 0) {
		log_warn("uplink", "records: %s", why);
		return r;
	}
	if (a.ignored)
		log_warn("uplink",
			 "records: %zu results ignored (not in the batch, repeated or unknown)",
			 a.ignored);
	if (a.n < b->n)
		log_info("uplink", "records: %zu of %zu answered; the rest go again", a.n, b->n);
	r = apply_answers(u, s, &a, applied);
	uplink_answers_free(&a);
	return r;
}

/* Send one batch until it is answered.  0 answered (and applied); < 0 the
 * pass stops (summary says why). */
static int send_batch(struct ykt_uplink *u, struct uplink_summary *s, struct batch *b,
		      int64_t after, int64_t *applied)
{
	struct uplink_http_response resp;
	int failures = 0, r;

	for (;;) {
		int64_t wait = 0;

		s->batches++;
		s->bytes_json += b->json.len;
		s->bytes_sent += b->gz.len;
		r = uplink_http_post_json(u->http, "/v1/records", b->gz.p, b->gz.len, true,
					  UPLINK_ANSWER_MAX, &resp);
		if (r == 0 && resp.status == 200) {
			r = take_answer(u, s, b, &resp, applied);
			if (r != YKT_E_PROTOCOL)
				return r;
			/* malformed: as if no answer came */
			resp.status = 0;
			resp.net = UPLINK_NET_OTHER;
			snprintf(resp.error, sizeof(resp.error), "malformed answer");
		}
		if (r == 0 && resp.status == 413 && shrink(u, b)) {
			r = batch_build(b, after);
			if (r < 0)
				break;
			continue;
		}
		r = uplink_after_failure(u, s, "records", &resp, ++failures, &wait);
		if (r < 0)
			return r;
		if (uplink_sleep_ms(u, wait) < 0)
			break;
		/* whole again, and as the store has it now */
		r = batch_build(b, after);
		if (r < 0 || b->n == 0)
			break;
	}
	if (uplink_stopping(u)) {
		s->stop = UPLINK_STOP_SIGNAL;
		return -EINTR;
	}
	if (r < 0)
		uplink_fail(u, s, UPLINK_STOP_STORE, "store: %s", ykt_strerror(r));
	return r;
}

static int pending_count(struct ykt_uplink *u, struct uplink_summary *s, int64_t *ret)
{
	struct store_upload_status st;
	int r = store_upload_status(u->store, &st);

	if (r < 0)
		uplink_fail(u, s, UPLINK_STOP_STORE, "store: %s", ykt_strerror(r));
	else
		*ret = st.pending_purchases + st.pending_events + st.pending_qr;
	return r;
}

/* The end of a sweep: 1 for another one, 0 when done, < 0 stop. */
static int sweep_end(struct ykt_uplink *u, struct uplink_summary *s, int64_t applied, int sweeps)
{
	int64_t pending = 0;
	int r = pending_count(u, s, &pending);

	if (r < 0 || pending == 0)
		return r;
	if (applied > 0 && sweeps < MAX_SWEEPS)
		return 1;
	uplink_fail(u, s, UPLINK_STOP_UNREACHABLE, "records: %lld left unanswered by the platform",
		    (long long)pending);
	return YKT_E_NET;
}

int uplink_upload_records(struct ykt_uplink *u, struct uplink_summary *s)
{
	struct batch b = { .u = u, .json.max = SIZE_MAX, .gz.max = SIZE_MAX };
	int64_t after = 0, applied = 0;
	int sweeps = 1, r;

	for (;;) {
		if (uplink_stopping(u)) {
			s->stop = UPLINK_STOP_SIGNAL;
			r = -EINTR;
			break;
		}
		r = batch_build(&b, after);
		if (r < 0) {
			uplink_fail(u, s, UPLINK_STOP_STORE, "store: %s", ykt_strerror(r));
			break;
		}
		if (b.n == 0) {
			r = sweep_end(u, s, applied, sweeps);
			if (r <= 0)
				break;
			after = applied = 0;
			sweeps++;
			continue;
		}
		r = send_batch(u, s, &b, after, &applied);
		if (r < 0)
			break;
		after = b.last_no;
	}
	uplink_buf_free(&b.json);
	uplink_buf_free(&b.gz);
	free(b.sent);
	return r;
}
