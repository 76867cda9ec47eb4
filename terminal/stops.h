/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The stop a stop source's reading (drivers/stop.h) names on the fare
 * table in force: a stop code as it is, a count of stops from the start of
 * the line in the direction of travel, a GPS position matched to the
 * nearest stop within the table's radius.  Between stops a bus is still at
 * the last stop it was matched to: passengers who board between stop X and
 * X + 1 boarded at X.
 */
#ifndef YKT_STOPS_H
#define YKT_STOPS_H

#include "params.h"
#include "stop.h"

#include <stdbool.h>
#include <stdint.h>

/* What the tracker remembers between taps. */
struct ykt_stop_tracker {
	int last_index;			    /* the stop matched last, -1 none */
	const struct ykt_fare_table *table; /* the table last_index belongs to (compared only) */
};

void ykt_stop_tracker_init(struct ykt_stop_tracker *tr);

/* The current stop's code from reading r on table t (direction: up counts
 * from the table's first stop, down from its last).  -ENOENT when r names
 * no stop of t (an unknown code; a position far from every stop with no
 * stop matched before). */
int ykt_stop_resolve(struct ykt_stop_tracker *tr, const struct ykt_fare_table *t,
		     const struct ykt_stop_reading *r, bool up, uint16_t *ret_code);

/* Metres between two WGS-84 positions (degrees x 10^6), equirectangular:
 * good to well under a metre over the few hundred metres that matter. */
double ykt_stop_distance_m(int32_t lat1_e6, int32_t lon1_e6, int32_t lat2_e6, int32_t lon2_e6);

#endif
