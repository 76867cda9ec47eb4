/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Driver shifts, kept as event records in the store (docs/store.md):
 *
 *   shift-start  {"shift": N, "driver": "ID"}
 *   shift-end    {"shift": N, "driver": "ID"}
 *
 * Events draw their record number from the device counter that purchases
 * use, so a shift is exactly the purchases whose record numbers fall
 * between its start and end events: no clock, and no change to the
 * purchase table, is needed to match them, and the platform hears of the
 * shift the way it hears of any event.  Shifts are numbered 1, 2, ... per
 * device.
 */
#ifndef YKT_SHIFT_H
#define YKT_SHIFT_H

#include <stdbool.h>
#include <stdint.h>

struct ykt_store;

#define SHIFT_KIND_START "shift-start"
#define SHIFT_KIND_END	 "shift-end"
#define SHIFT_DRIVER_MAX 32

struct ykt_shift {
	int64_t number;
	char driver[SHIFT_DRIVER_MAX + 1];
	int64_t start_record_no, start_unix_s;
	int64_t end_record_no, end_unix_s; /* 0 while the shift is open */
};

/* Driver ids: 1-32 of A-Z a-z 0-9 . _ - */
bool ykt_shift_driver_valid(const char *driver);

/* Each shift in order; cb returning non-zero stops the walk with that value. */
int ykt_shift_foreach(struct ykt_store *store, int (*cb)(const struct ykt_shift *s, void *data),
		      void *data);
/* The open shift, or -ENOENT. */
int ykt_shift_current(struct ykt_store *store, struct ykt_shift *ret);
/* Shift number n (0: the last one), or -ENOENT. */
int ykt_shift_get(struct ykt_store *store, int64_t number, struct ykt_shift *ret);

/* Sign on: -EBUSY while a shift is open (ret gets it), -EINVAL for a bad
 * driver id.  Durable on return. */
int ykt_shift_start(struct ykt_store *store, const char *device_id, int64_t now_unix_s,
		    const char *driver, struct ykt_shift *ret);
/* Sign off the open shift: -ENOENT when none is open. */
int ykt_shift_end(struct ykt_store *store, const char *device_id, int64_t now_unix_s,
		  struct ykt_shift *ret);

/* Whether a record (purchase or event) belongs to the shift. */
static inline bool ykt_shift_contains(const struct ykt_shift *s, int64_t record_no)
{
	return record_no > s->start_record_no &&
	       (!s->end_record_no || record_no < s->end_record_no);
}

#endif
