/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fare rules (fare.h, docs/fares.md).  The order in which a fare is
 * built, for every mode:
 *
 *   nominal  = the table's fare (metro: + the overstay surcharge)
 *   amount   = fare x the card type's charge percent, rounded to the fen
 *              (+ the overstay surcharge, never discounted)
 *            - the transfer discount, when the ride before was on another
 *              line (or device) within the window
 *            = 0 for one of the day's free rides, or cut at the daily cap
 *
 * and the record keeps nominal, amount and their difference.
 */
#include "fare.h"

#include "bytes.h"
#include "store.h"
#include "ykt_error.h"

#include <string.h>

int64_t fare_percent(int64_t fen, unsigned percent)
{
	return (fen * (int64_t)percent + 50) / 100;
}

enum fare_mode fare_mode_of(const struct fare_setup *setup)
{
	if (!setup->table || setup->table->type == YKT_FARE_FLAT)
		return FARE_MODE_FLAT;
	return setup->table->type == YKT_FARE_METRO ? FARE_MODE_METRO : FARE_MODE_BUS_SEGMENT;
}

void fare_rule(const struct fare_setup *setup, uint8_t card_type, bool local,
	       struct ykt_card_rule *ret)
{
	const struct ykt_card_rules *rules = setup->rules;
	const struct ykt_card_rule *r;

	if (!rules) {
		memset(ret, 0, sizeof(*ret));
		ret->card_type = card_type;
		ret->accept = true;
		ret->charge_percent = setup->config_percent[card_type];
		return;
	}
	r = ykt_card_rules_find(rules, card_type);
	/* out-of-town cards get no local discount (field.md §1.4), unless
	 * the operator recognises the other cities' discounts */
	if (r->local_only && !local && !rules->interconnect_discounts)
		r = &rules->default_rule;
	*ret = *r;
}

void fare_plan(const struct fare_setup *setup, uint8_t card_type, bool local, struct fare_plan *ret)
{
	struct fare_plan p = { .mode = fare_mode_of(setup) };
	bool transfer;

	fare_rule(setup, card_type, local, &p.rule);
	transfer = p.rule.transfer_window_s && p.rule.transfer_discount_fen;
	p.needs_capp = p.mode != FARE_MODE_FLAT;
	if (p.mode == FARE_MODE_METRO)
		p.trip_record = CARD_REC1A_METRO;
	else if (p.mode == FARE_MODE_BUS_SEGMENT)
		p.trip_record = CARD_REC1A_BUS;
	if (p.mode == FARE_MODE_FLAT) {
		/* the ride before: the newest record */
		p.hist_min = (transfer || p.rule.repeat_window_s) ? 1 : 0;
		p.store_last = p.rule.repeat_window_s > 0;
	} else if (transfer) {
		/* the newest is this trip's entry or boarding: the one before */
		p.hist_min = 2;
	}
	p.hist_today = p.rule.free_rides_per_day || p.rule.daily_cap_fen;
	*ret = p;
}

/* ---- helpers ---- */

static void refuse(struct fare_decision *d, enum tap_outcome outcome, int err, const char *why)
{
	d->refused = true;
	d->outcome = outcome;
	d->err = err;
	d->why = why;
}

/* Unix seconds of a BCD date-time; false when it is not a real one. */
static bool bcd_seconds(const uint8_t dt[7], int64_t *ret)
{
	struct ykt_cst t;

	if (ykt_cst_from_bcd7(dt, &t) < 0)
		return false;
	*ret = ykt_cst_to_unix(&t);
	return true;
}

static bool is_ride(uint8_t type)
{
	return type == REC1E_EP_EXIT || type == REC1E_EP_SINGLE;
}

/* One end of a trip written here, now. */
static void end_here(const struct fare_place *place, bool metro, uint16_t station,
		     struct card_trip_end *e)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->city, place->city, 2);
	memcpy(e->institution, place->institution, 8);
	e->station = station;
	e->station_known = true;
	memcpy(e->terminal_no, place->terminal_no, 6);
	memcpy(e->datetime, place->datetime, 7);
	e->has_time = true;
	e->line = metro ? (uint8_t)place->line : place->line;
	if (!metro) {
		e->operator_code = place->operator_code;
		memcpy(e->vehicle, place->vehicle, 8);
	}
}

/* ---- discounts that read the card's history ---- */

struct pricing {
	const struct ykt_card_rule *rule;
	const struct fare_place *place;
	const struct fare_card *card;
	size_t skip;	   /* history records that belong to this trip (its entry) */
	int64_t ref_s;	   /* the trip's start: the transfer window runs to it */
	int64_t base;	   /* the table's fare */
	int64_t surcharge; /* added, never discounted */
};

/* The ride before this one was on another line (or device, when the rule
 * says so) of this city, and ended within the window before ref_s. */
static bool is_transfer(const struct pricing *p)
{
	const struct ykt_card_rule *rule = p->rule;
	const struct card_rec1e *prev;
	int64_t t;

	if (!rule->transfer_window_s || !rule->transfer_discount_fen || p->card->n_hist <= p->skip)
		return false;
	prev = &p->card->hist[p->skip];
	if (!is_ride(prev->type) || !bcd_seconds(prev->datetime, &t) ||
	    memcmp(prev->acquirer_city, p->place->city, 2) != 0)
		return false;
	if (t > p->ref_s || p->ref_s - t > (int64_t)rule->transfer_window_s)
		return false;
	if (prev->industry != p->place->industry || prev->line != p->place->line)
		return true;
	return rule->transfer_any_device && memcmp(prev->terminal_no, p->place->terminal_no, 6);
}

/* Today's rides and what they cost, from this city's 0x1E records; the
 * trip's own entry record is not a ride. */
static void today(const struct pricing *p, unsigned *ret_rides, int64_t *ret_paid)
{
	*ret_rides = 0;
	*ret_paid = 0;
	for (size_t i = p->skip; i < p->card->n_hist; i++) {
		const struct card_rec1e *h = &p->card->hist[i];

		if (memcmp(h->datetime, p->place->datetime, 4) != 0)
			break; /* newest first: the rest are older */
		if (memcmp(h->acquirer_city, p->place->city, 2) != 0)
			continue;
		*ret_rides += is_ride(h->type);
		if (is_ride(h->type) || h->type == REC1E_EP_ENTRY)
			*ret_paid += h->amount_fen;
	}
}

static void price(const struct pricing *p, struct fare_decision *d)
{
	const struct ykt_card_rule *rule = p->rule;
	int64_t amount = fare_percent(p->base, rule->charge_percent), paid;
	unsigned rides;

	d->nominal_fen = p->base + p->surcharge;
	if (is_transfer(p)) {
		amount =
		    amount > rule->transfer_discount_fen ? amount - rule->transfer_discount_fen : 0;
		d->transfer = true;
		d->flags |= STORE_FLAG_TRANSFER;
	}
	amount += p->surcharge;
	today(p, &rides, &paid);
	if (rule->free_rides_per_day && rides < rule->free_rides_per_day && amount) {
		amount = 0;
		d->flags |= STORE_FLAG_FREE_RIDE;
	}
	if (rule->daily_cap_fen && amount && paid + amount > (int64_t)rule->daily_cap_fen) {
		amount = paid >= (int64_t)rule->daily_cap_fen ? 0 : rule->daily_cap_fen - paid;
		d->flags |= STORE_FLAG_FREE_RIDE;
	}
	d->amount_fen = amount;
}

/* The repeat window of this card type, or at a metro gate / bus stop the
 * same-place default. */
static int64_t repeat_window(const struct ykt_card_rule *rule, bool same_place)
{
	if (rule->repeat_window_s)
		return rule->repeat_window_s;
	return same_place ? FARE_SAME_PLACE_S : 0;
}

/* ---- flat fare ---- */

/* The last ride on this line (the card's 0x1E record, any device of the
 * line) or on this device (the store, for cards without a history). */
static bool recent_ride(const struct fare_place *place, const struct fare_card *card,
			int64_t window)
{
	const struct card_rec1e *h = card->n_hist ? &card->hist[0] : NULL;
	int64_t t;

	if (card->last_here_s >= 0 && place->now_s - card->last_here_s < window &&
	    card->last_here_s <= place->now_s)
		return true;
	return h && is_ride(h->type) && h->industry == place->industry && h->line == place->line &&
	       memcmp(h->acquirer_city, place->city, 2) == 0 && bcd_seconds(h->datetime, &t) &&
	       t <= place->now_s && place->now_s - t < window;
}

static void decide_flat(const struct fare_setup *setup, const struct pricing *p,
			struct fare_decision *d)
{
	int64_t window = repeat_window(p->rule, false);

	d->action = FARE_SINGLE;
	d->rec1e_type = REC1E_EP_SINGLE;
	if (window && recent_ride(p->place, p->card, window)) {
		if (!p->rule->repeat_charge) {
			refuse(d, TAP_ALREADY_TAPPED, 0, "repeat tap within the window");
			return;
		}
		d->flags |= STORE_FLAG_REPEAT;
	}
	price(p, d);
	d->why = d->transfer ? "flat fare, transfer" : "flat fare";
}

/* ---- metro ---- */

static int64_t lowest_from(const struct ykt_fare_table *t, size_t from)
{
	int64_t low = YKT_FARE_MAX_FEN;

	for (size_t to = 0; to < t->n_stops; to++)
		if (ykt_fare_between(t, from, to) < low)
			low = ykt_fare_between(t, from, to);
	return low;
}

/* An unclosed or unreadable trip charged by rule: the table's unfinished
 * fare at the card type's percent. */
static void charge_unfinished(const struct ykt_fare_table *t, const struct ykt_card_rule *rule,
			      uint32_t flag, struct fare_decision *d)
{
	d->nominal_fen = t->unfinished_fen;
	d->amount_fen = fare_percent(t->unfinished_fen, rule->charge_percent);
	d->flags |= flag;
}

static void metro_entry(const struct ykt_fare_table *t, const struct pricing *p, size_t here,
			struct fare_decision *d)
{
	const struct card_trip *old = &p->card->trip;
	const struct fare_place *place = p->place;

	d->action = FARE_ENTRY;
	d->rec1e_type = REC1E_EP_ENTRY;
	d->why = "metro entry";
	if (p->card->has_trip && old->state == CARD_TRIP_IN) {
		if (t->no_exit == YKT_TRIP_REFUSE) {
			refuse(d, TAP_NO_EXIT, 0, "last trip has no exit");
			return;
		}
		if (t->no_exit == YKT_TRIP_CHARGE)
			charge_unfinished(t, p->rule, STORE_FLAG_UNFINISHED, d);
		d->why = "metro entry, last trip without exit";
	}
	d->keep_fen = fare_percent(lowest_from(t, here), p->rule->charge_percent);
	d->has_trip = true;
	d->trip.record = CARD_REC1A_METRO;
	d->trip.flag = 0x01;
	d->trip.state = CARD_TRIP_IN;
	end_here(place, true, place->station, &d->trip.in);
	d->trip.in_amount_fen = (uint32_t)d->amount_fen;
}

/* The entry the card names, as an index of this table; -1 when this
 * network cannot price it (another city, a station not in the table, no
 * time). */
static int metro_entry_index(const struct ykt_fare_table *t, const struct fare_place *place,
			     const struct card_trip *trip, int64_t *ret_in_s)
{
	if (!trip->in.station_known || memcmp(trip->in.city, place->city, 2) != 0 ||
	    !bcd_seconds(trip->in.datetime, ret_in_s) || *ret_in_s > place->now_s)
		return -1;
	return ykt_fare_stop_index(t, trip->in.station) < 0
		   ? -1
		   : ykt_fare_stop_index(t, trip->in.station);
}

/* An exit gate that finds no open trip on the card. */
static void metro_no_entry(const struct ykt_fare_table *t, const struct pricing *p,
			   struct fare_decision *d)
{
	if (p->place->degraded == YKT_DEGRADED_FREE_EXIT) {
		d->flags |= STORE_FLAG_DEGRADED | STORE_FLAG_NO_ENTRY;
		d->why = "metro exit without entry, free exit declared";
		return;
	}
	if (t->no_entry != YKT_TRIP_CHARGE) {
		refuse(d, TAP_NO_ENTRY, 0, "exit without entry");
		return;
	}
	charge_unfinished(t, p->rule, STORE_FLAG_NO_ENTRY, d);
	d->why = "metro exit without entry, charged";
}

/* The fare of a trip this table can price, with the ride-time rule. */
static void metro_trip_fare(const struct ykt_fare_table *t, struct pricing *p, size_t from,
			    size_t here, int64_t in_s, struct fare_decision *d)
{
	bool overstay =
	    t->max_trip_minutes && p->place->now_s - in_s > (int64_t)t->max_trip_minutes * 60;

	p->base = ykt_fare_between(t, from, here);
	p->ref_s = in_s;
	p->skip = 1; /* the newest 0x1E record is this trip's entry */
	if (overstay && p->place->degraded == YKT_DEGRADED_RELAXED_TIME)
		d->flags |= STORE_FLAG_DEGRADED;
	else if (overstay) {
		p->surcharge = t->overstay_fen;
		d->flags |= STORE_FLAG_OVERSTAY;
	}
	price(p, d);
	d->why = overstay ? "metro exit, overstay" : "metro exit";
	if (p->place->degraded == YKT_DEGRADED_FREE_EXIT) {
		d->amount_fen = 0;
		d->flags |= STORE_FLAG_DEGRADED;
		d->why = "metro exit, free exit declared";
	}
}

static void metro_exit(const struct ykt_fare_table *t, struct pricing *p, size_t here,
		       struct fare_decision *d)
{
	const struct card_trip *old = &p->card->trip;
	int64_t in_s = 0;
	int from;

	d->action = FARE_EXIT;
	d->rec1e_type = REC1E_EP_EXIT;
	d->has_trip = true;
	d->trip = *old;
	if (!p->card->has_trip || old->state != CARD_TRIP_IN) {
		memset(&d->trip, 0, sizeof(d->trip)); /* no entry to keep */
		metro_no_entry(t, p, d);
	} else if ((from = metro_entry_index(t, p->place, old, &in_s)) < 0) {
		if (p->place->degraded == YKT_DEGRADED_FREE_EXIT) {
			d->flags |= STORE_FLAG_DEGRADED | STORE_FLAG_WRONG_STATION;
			d->why = "metro exit from an unknown entry, free exit declared";
		} else if (t->wrong_station != YKT_TRIP_CHARGE) {
			refuse(d, TAP_WRONG_STATION, 0, "entry station unknown to this table");
		} else {
			charge_unfinished(t, p->rule, STORE_FLAG_WRONG_STATION, d);
			d->why = "metro exit from an unknown entry, charged";
		}
	} else {
		metro_trip_fare(t, p, (size_t)from, here, in_s, d);
	}
	if (d->refused)
		return;
	d->trip.record = CARD_REC1A_METRO;
	d->trip.flag = 0x01;
	d->trip.state = CARD_TRIP_OUT;
	end_here(p->place, true, p->place->station, &d->trip.out);
	d->trip.amount_fen = (uint32_t)d->amount_fen;
}

/* The card went in (or out) at this very station within the repeat
 * window: the same passenger tapping twice. */
static bool metro_here_again(const struct pricing *p, const struct card_trip_end *e)
{
	int64_t at;

	return e->station_known && e->station == p->place->station &&
	       !memcmp(e->city, p->place->city, 2) && bcd_seconds(e->datetime, &at) &&
	       at <= p->place->now_s && p->place->now_s - at < repeat_window(p->rule, true);
}

static void decide_metro(const struct ykt_fare_table *t, struct pricing *p, struct fare_decision *d)
{
	const struct fare_card *card = p->card;
	int here = ykt_fare_stop_index(t, p->place->station);
	bool open = card->has_trip && card->trip.state == CARD_TRIP_IN;
	bool closed = card->has_trip && card->trip.state == CARD_TRIP_OUT;

	if ((open && p->place->gate != FARE_GATE_EXIT && metro_here_again(p, &card->trip.in)) ||
	    (closed && p->place->gate != FARE_GATE_ENTRY && metro_here_again(p, &card->trip.out))) {
		refuse(d, TAP_ALREADY_TAPPED, 0, "tapped here just now");
		return;
	}

	if (here < 0) {
		refuse(d, TAP_OUT_OF_SERVICE, YKT_E_CONFIG,
		       "this station is not in the fare table");
		return;
	}
	if (p->place->gate == FARE_GATE_ENTRY || (p->place->gate == FARE_GATE_BOTH && !open))
		metro_entry(t, p, (size_t)here, d);
	else
		metro_exit(t, p, (size_t)here, d);
}

/* ---- segmented bus ---- */

/* The 标注金额 of a tap-on at stop index from: the table's unfinished fare
 * when it gives one, else the fare to the farther terminus (the dearest
 * from here; Beijing practice, field.md §1.3). */
static uint32_t bus_marked(const struct ykt_fare_table *t, size_t from)
{
	uint32_t max = 0;

	if (t->has_unfinished_fen)
		return t->unfinished_fen;
	for (size_t to = 0; to < t->n_stops; to++)
		if (ykt_fare_between(t, from, to) > max)
			max = ykt_fare_between(t, from, to);
	return max;
}

/* The open trip is on this vehicle and line, recent enough. */
static bool bus_same_trip(const struct ykt_fare_table *t, const struct fare_place *place,
			  const struct card_trip *trip, int64_t *ret_in_s)
{
	return trip->in.line == place->line && !memcmp(trip->in.vehicle, place->vehicle, 8) &&
	       !memcmp(trip->in.city, place->city, 2) && bcd_seconds(trip->in.datetime, ret_in_s) &&
	       *ret_in_s <= place->now_s &&
	       (!t->max_trip_minutes ||
		place->now_s - *ret_in_s <= (int64_t)t->max_trip_minutes * 60);
}

static void bus_board(const struct ykt_fare_table *t, const struct pricing *p, size_t here,
		      struct fare_decision *d)
{
	uint32_t marked = bus_marked(t, here);

	d->action = FARE_BOARD;
	d->rec1e_type = REC1E_EP_ENTRY;
	d->keep_fen = fare_percent(marked, p->rule->charge_percent);
	d->has_trip = true;
	d->trip.record = CARD_REC1A_BUS;
	d->trip.flag = 0x01;
	d->trip.state = CARD_TRIP_IN;
	d->trip.marked_fen = marked;
	d->trip.direction = p->place->direction_up ? 0xAB : 0xBA;
	end_here(p->place, false, (uint16_t)(here + 1), &d->trip.in);
}

static void bus_alight(const struct ykt_fare_table *t, struct pricing *p, size_t from, size_t here,
		       int64_t in_s, struct fare_decision *d)
{
	d->action = FARE_ALIGHT;
	d->rec1e_type = REC1E_EP_EXIT;
	p->base = ykt_fare_between(t, from, here);
	p->ref_s = in_s;
	p->skip = 1; /* the newest 0x1E record is this trip's boarding */
	price(p, d);
	d->why = d->transfer ? "bus tap-off, transfer" : "bus tap-off";
	d->has_trip = true;
	d->trip = p->card->trip;
	d->trip.state = CARD_TRIP_OUT;
	end_here(p->place, false, (uint16_t)(here + 1), &d->trip.out);
	d->trip.amount_fen = (uint32_t)d->amount_fen;
}

static void decide_bus(const struct fare_setup *setup, const struct ykt_fare_table *t,
		       struct pricing *p, struct fare_decision *d)
{
	const struct card_trip *old = &p->card->trip;
	int here = p->place->has_station ? ykt_fare_stop_index(t, p->place->station) : -1;
	int64_t in_s = 0;
	bool open = p->card->has_trip && old->state == CARD_TRIP_IN;

	if (here < 0) {
		refuse(d, TAP_OUT_OF_SERVICE, YKT_E_CONFIG,
		       "no current stop on this line's fare table");
		return;
	}
	if (open && bus_same_trip(t, p->place, old, &in_s) && old->in.station_known &&
	    old->in.station <= t->n_stops) {
		if (old->in.station == here + 1 &&
		    p->place->now_s - in_s < repeat_window(p->rule, true)) {
			refuse(d, TAP_ALREADY_TAPPED, 0, "tapped on here just now");
			return;
		}
		bus_alight(t, p, old->in.station - 1u, (size_t)here, in_s, d);
		return;
	}
	bus_board(t, p, (size_t)here, d);
	d->why = "bus tap-on";
	if (!open)
		return;
	/* a trip left open on another bus (or too long ago): its marked
	 * amount is charged now, as the tap-off it never had */
	d->nominal_fen =
	    old->marked_fen > setup->max_fare_fen ? setup->max_fare_fen : old->marked_fen;
	d->amount_fen = fare_percent(d->nominal_fen, p->rule->charge_percent);
	d->flags |= STORE_FLAG_UNFINISHED;
	d->why = "bus tap-on, missed tap-off charged";
}

/* ---- the decision ---- */

static void balance_rules(const struct ykt_card_rule *rule, struct fare_decision *d)
{
	d->floor_fen = rule->min_balance_fen;
	d->overdraft_capped = rule->has_overdraft_fen;
	d->overdraft_fen = rule->overdraft_fen;
}

void fare_decide(const struct fare_setup *setup, const struct fare_place *place,
		 const struct fare_card *card, struct fare_decision *ret)
{
	struct ykt_card_rule rule;
	struct pricing p = { .rule = &rule, .place = place, .card = card, .ref_s = place->now_s };

	memset(ret, 0, sizeof(*ret));
	fare_rule(setup, card->card_type, card->local, &rule);
	balance_rules(&rule, ret);
	if (!rule.accept) {
		refuse(ret, TAP_CARD_TYPE_REFUSED, 0, "card type not accepted here");
		return;
	}
	switch (fare_mode_of(setup)) {
	case FARE_MODE_METRO:
		decide_metro(setup->table, &p, ret);
		break;
	case FARE_MODE_BUS_SEGMENT:
		decide_bus(setup, setup->table, &p, ret);
		break;
	default:
		p.base = setup->table ? setup->table->flat_fen : setup->config_fare_fen;
		decide_flat(setup, &p, ret);
	}
	if (!ret->refused && (ret->amount_fen < 0 || ret->amount_fen > setup->max_fare_fen))
		refuse(ret, TAP_OUT_OF_SERVICE, YKT_E_LIMIT, "fare above max_fare_fen");
}

bool fare_balance_ok(const struct fare_decision *d, int64_t balance_fen,
		     int64_t overdraft_limit_fen)
{
	/* INITIALIZE shows the balance plus the usable overdraft; without it
	 * (SH's "returned - limit") the purse itself, below zero if overdrawn */
	int64_t purse = balance_fen - overdraft_limit_fen;
	int64_t usable = d->overdraft_capped && d->overdraft_fen < overdraft_limit_fen
			     ? d->overdraft_fen
			     : overdraft_limit_fen;
	int64_t floor = d->floor_fen > 0 ? d->floor_fen : -usable;

	return purse - d->amount_fen - d->keep_fen >= floor;
}
