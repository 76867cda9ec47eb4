/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "stops.h"

#include <errno.h>
#include <math.h>

#define EARTH_RADIUS_M 6371000.0
#define DEG_E6_TO_RAD  (M_PI / 180.0 / 1e6)

void ykt_stop_tracker_init(struct ykt_stop_tracker *tr)
{
	tr->last_index = -1;
	tr->table = NULL;
}

double ykt_stop_distance_m(int32_t lat1_e6, int32_t lon1_e6, int32_t lat2_e6, int32_t lon2_e6)
{
	double mid = ((double)lat1_e6 + lat2_e6) / 2.0 * DEG_E6_TO_RAD;
	double x = ((double)lon2_e6 - lon1_e6) * DEG_E6_TO_RAD * cos(mid);
	double y = ((double)lat2_e6 - lat1_e6) * DEG_E6_TO_RAD;

	return EARTH_RADIUS_M * sqrt(x * x + y * y);
}

/* The nearest stop with a position within the table's radius, or -1. */
static int nearest(const struct ykt_fare_table *t, int32_t lat_e6, int32_t lon_e6)
{
	double best = (double)t->stop_radius_m;
	int found = -1;

	for (size_t i = 0; i < t->n_stops; i++) {
		const struct ykt_fare_stop *s = &t->stops[i];
		double d;

		if (!s->has_position)
			continue;
		d = ykt_stop_distance_m(lat_e6, lon_e6, s->lat_e6, s->lon_e6);
		if (d <= best) {
			best = d;
			found = (int)i;
		}
	}
	return found;
}

static int index_of(struct ykt_stop_tracker *tr, const struct ykt_fare_table *t,
		    const struct ykt_stop_reading *r, bool up)
{
	int n = (int)t->n_stops, i;

	switch (r->kind) {
	case YKT_STOP_CODE:
		return ykt_fare_stop_index(t, r->code);
	case YKT_STOP_COUNT:
		i = r->count < 0 ? 0 : (r->count >= n ? n - 1 : r->count);
		return up ? i : n - 1 - i;
	case YKT_STOP_POSITION:
		i = nearest(t, r->lat_e6, r->lon_e6);
		/* between stops: still at the last one, if it is this table's */
		return i >= 0 ? i : (tr->table == t ? tr->last_index : -1);
	default:
		return -1;
	}
}

int ykt_stop_resolve(struct ykt_stop_tracker *tr, const struct ykt_fare_table *t,
		     const struct ykt_stop_reading *r, bool up, uint16_t *ret_code)
{
	int i;

	if (!t || !t->n_stops)
		return -ENOENT;
	i = index_of(tr, t, r, up);
	if (i < 0 || (size_t)i >= t->n_stops)
		return -ENOENT;
	tr->last_index = i;
	tr->table = t;
	*ret_code = t->stops[i].code;
	return 0;
}
