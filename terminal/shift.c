/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "shift.h"

#include "bytes.h"
#include "store.h"
#include "ykt_error.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

bool ykt_shift_driver_valid(const char *driver)
{
	static const char ok[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
	size_t len = driver ? strlen(driver) : 0;

	return len >= 1 && len <= SHIFT_DRIVER_MAX && strspn(driver, ok) == len;
}

struct shift_walk {
	int (*cb)(const struct ykt_shift *s, void *data);
	void *data;
	struct ykt_shift open;
	bool has_open;
	int64_t last_number;
};

/* The body of a shift event: {"shift": N, "driver": "ID"}.  Bodies are
 * JSON objects (the store checks that much); the fields are checked here. */
static int parse_body(const char *body, int64_t *ret_number, char driver[SHIFT_DRIVER_MAX + 1])
{
	json_object *o = json_tokener_parse(body), *n, *d;
	int r = YKT_E_PARSE;

	if (json_object_object_get_ex(o, "shift", &n) && json_object_is_type(n, json_type_int) &&
	    json_object_get_int64(n) > 0 && json_object_object_get_ex(o, "driver", &d) &&
	    json_object_is_type(d, json_type_string) &&
	    ykt_shift_driver_valid(json_object_get_string(d))) {
		*ret_number = json_object_get_int64(n);
		snprintf(driver, SHIFT_DRIVER_MAX + 1, "%s", json_object_get_string(d));
		r = 0;
	}
	json_object_put(o);
	return r;
}

static int emit_open(struct shift_walk *w, int64_t end_record_no, int64_t end_unix_s)
{
	w->open.end_record_no = end_record_no;
	w->open.end_unix_s = end_unix_s;
	w->has_open = false;
	return w->cb(&w->open, w->data);
}

static int walk_event(const struct ykt_event_record *ev, void *data)
{
	struct shift_walk *w = data;
	bool start = strcmp(ev->kind, SHIFT_KIND_START) == 0;
	char driver[SHIFT_DRIVER_MAX + 1];
	int64_t number;
	int r = 0;

	if (!start && strcmp(ev->kind, SHIFT_KIND_END) != 0)
		return 0;
	if (parse_body(ev->body, &number, driver) < 0)
		return 0; /* not one of ours; never stops the report */
	/* a start while another shift is open (power lost before sign-off)
	 * closes the open one there */
	if (w->has_open && (start || number == w->open.number))
		r = emit_open(w, ev->record_no, ev->event_unix_s);
	if (r || !start)
		return r;
	w->open = (struct ykt_shift){ .number = number,
				      .start_record_no = ev->record_no,
				      .start_unix_s = ev->event_unix_s };
	snprintf(w->open.driver, sizeof(w->open.driver), "%s", driver);
	w->has_open = true;
	if (number > w->last_number)
		w->last_number = number;
	return 0;
}

static int walk(struct ykt_store *store, struct shift_walk *w)
{
	int r = store_event_foreach(store, NULL, walk_event, w);

	if (r == 0 && w->has_open) {
		w->has_open = false;
		r = w->cb(&w->open, w->data);
	}
	return r;
}

int ykt_shift_foreach(struct ykt_store *store, int (*cb)(const struct ykt_shift *s, void *data),
		      void *data)
{
	struct shift_walk w = { .cb = cb, .data = data };

	return walk(store, &w);
}

struct shift_find {
	int64_t number; /* 0: the last */
	bool open_only, found;
	struct ykt_shift shift;
};

static int find_cb(const struct ykt_shift *s, void *data)
{
	struct shift_find *f = data;

	if (f->open_only ? s->end_record_no == 0 : !f->number || s->number == f->number) {
		f->shift = *s;
		f->found = true;
	} else if (f->open_only) {
		f->found = false;
	}
	return 0;
}

int ykt_shift_current(struct ykt_store *store, struct ykt_shift *ret)
{
	struct shift_find f = { .open_only = true };
	int r = ykt_shift_foreach(store, find_cb, &f);

	if (r == 0 && !f.found)
		r = -ENOENT;
	if (r == 0)
		*ret = f.shift;
	return r;
}

int ykt_shift_get(struct ykt_store *store, int64_t number, struct ykt_shift *ret)
{
	struct shift_find f = { .number = number };
	int r = ykt_shift_foreach(store, find_cb, &f);

	if (r == 0 && !f.found)
		r = -ENOENT;
	if (r == 0)
		*ret = f.shift;
	return r;
}

static int count_cb(const struct ykt_shift *s, void *data)
{
	int64_t *max = data;

	if (s->number > *max)
		*max = s->number;
	return 0;
}

static int add_event(struct ykt_store *store, const char *device_id, int64_t now_unix_s,
		     const char *kind, int64_t number, const char *driver, int64_t *ret_record_no)
{
	struct ykt_event_record ev = { 0 };
	struct ykt_cst t;
	json_object *o = json_object_new_object();
	int r;

	ykt_cst_from_unix(now_unix_s, &t);
	snprintf(ev.device_id, sizeof(ev.device_id), "%s", device_id);
	snprintf(ev.kind, sizeof(ev.kind), "%s", kind);
	snprintf(ev.event_time, sizeof(ev.event_time), "%04u%02u%02u%02u%02u%02u",
		 (unsigned)t.year % 10000u, (unsigned)t.month % 100u, (unsigned)t.day % 100u,
		 (unsigned)t.hour % 100u, (unsigned)t.minute % 100u, (unsigned)t.second % 100u);
	ev.event_unix_s = now_unix_s;
	json_object_object_add(o, "shift", json_object_new_int64(number));
	json_object_object_add(o, "driver", json_object_new_string(driver));
	snprintf(ev.body, sizeof(ev.body), "%s", json_object_to_json_string(o));
	json_object_put(o);
	r = store_event_add(store, &ev);
	if (r == 0)
		*ret_record_no = ev.record_no;
	return r;
}

int ykt_shift_start(struct ykt_store *store, const char *device_id, int64_t now_unix_s,
		    const char *driver, struct ykt_shift *ret)
{
	struct ykt_shift s = { 0 };
	int64_t last = 0;
	int r;

	if (!ykt_shift_driver_valid(driver))
		return -EINVAL;
	r = ykt_shift_current(store, ret);
	if (r == 0)
		return -EBUSY;
	if (r != -ENOENT)
		return r;
	r = ykt_shift_foreach(store, count_cb, &last);
	if (r < 0)
		return r;
	s.number = last + 1;
	snprintf(s.driver, sizeof(s.driver), "%s", driver);
	s.start_unix_s = now_unix_s;
	r = add_event(store, device_id, now_unix_s, SHIFT_KIND_START, s.number, driver,
		      &s.start_record_no);
	if (r == 0)
		*ret = s;
	return r;
}

int ykt_shift_end(struct ykt_store *store, const char *device_id, int64_t now_unix_s,
		  struct ykt_shift *ret)
{
	struct ykt_shift s;
	int r = ykt_shift_current(store, &s);

	if (r < 0)
		return r;
	r = add_event(store, device_id, now_unix_s, SHIFT_KIND_END, s.number, s.driver,
		      &s.end_record_no);
	if (r < 0)
		return r;
	s.end_unix_s = now_unix_s;
	*ret = s;
	return 0;
}
