/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cards' ledger, and the invariants checked against the store:
 *   lost        a debit in a card's ledger with no record (complete, grey,
 *               or an intent) of that card serial and INIT ATC
 *   duplicated  a second record for one debit
 *   phantom     a completed record with no such debit, or one whose amount,
 *               type or TAC is not the debit's
 * A grey record for a debit that never happened is neither: its outcome
 * is unknown to the validator and the platform settles it.
 */
#include "powerloss.h"

#include "sim.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pl_card *pl_card_of(struct pl *h, const struct sim_card *card)
{
	for (int i = 0; i < PL_CARDS; i++)
		if (h->cards[i].card == card)
			return &h->cards[i];
	return NULL;
}

static int ledger_append(struct pl_card *c, const struct sim_debit *d)
{
	if (c->n_debits == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct pl_debit *more = realloc(c->debits, cap * sizeof(*more));

		if (!more)
			return -1;
		c->debits = more;
		c->cap = cap;
	}
	c->debits[c->n_debits] = (struct pl_debit){ .atc = d->atc,
						    .amount_fen = d->amount_fen,
						    .trans_type = d->trans_type };
	memcpy(c->debits[c->n_debits].tac, d->tac, 4);
	c->n_debits++;
	return 0;
}

/* Copy the debits the card applied since last time (its ATC moved once
 * per debit; the card's own list keeps only the newest 256). */
int pl_ledger_collect(struct pl *h, struct sim_card *card)
{
	struct pl_card *c = pl_card_of(h, card);
	struct sim_card_info info;

	if (!c)
		return -1;
	sim_card_info(card, &info);
	while (c->next_atc != info.offline_atc) {
		const struct sim_debit *d = NULL;

		for (size_t i = info.n_debits; i-- > 0 && !d;)
			if (info.debits[i].atc == c->next_atc)
				d = &info.debits[i];
		if (!d || ledger_append(c, d) < 0) {
			fprintf(stderr, "powerloss: card %s: no debit for ATC %u in its ledger\n",
				c->serial, c->next_atc);
			return -1;
		}
		c->next_atc++;
	}
	return 0;
}

static struct pl_debit *debit_of(struct pl *h, const char *serial, uint16_t atc)
{
	for (int i = 0; i < PL_CARDS; i++) {
		struct pl_card *c = &h->cards[i];
		uint16_t k = (uint16_t)(atc - c->first_atc);

		if (c->card && strcmp(c->serial, serial) == 0)
			return k < c->n_debits ? &c->debits[k] : NULL;
	}
	return NULL;
}

struct check {
	struct pl *h;
	struct pl_verdict v;
	int shown;
};

static void show(struct check *k, const char *what, const struct ykt_purchase_record *rec)
{
	if (k->shown++ < 20)
		fprintf(stderr, "powerloss: %s: record %lld card %s ATC %u state %d amount %lld\n",
			what, (long long)rec->record_no, rec->card_serial, rec->init_atc,
			rec->state, (long long)rec->amount_fen);
}

static int check_record(const struct ykt_purchase_record *rec, void *userdata)
{
	struct check *k = userdata;
	struct pl_debit *d;

	if (rec->state == STORE_VOID) {
		k->v.voids++;
		return 0;
	}
	d = debit_of(k->h, rec->card_serial, rec->init_atc);
	if (d)
		d->records++;
	if (rec->state != STORE_COMPLETE) {
		k->v.grey++;
		k->v.intents_left += rec->state == STORE_INTENT;
		k->v.grey_not_debited += !d;
		return 0;
	}
	k->v.complete++;
	if (!d || d->amount_fen != rec->amount_fen || d->trans_type != rec->trans_type ||
	    !rec->has_tac || memcmp(d->tac, rec->tac, 4) != 0) {
		k->v.phantom++;
		show(k, "phantom", rec);
	}
	return 0;
}

static void check_debits(struct check *k)
{
	for (int i = 0; i < PL_CARDS; i++) {
		const struct pl_card *c = &k->h->cards[i];

		for (size_t j = 0; j < c->n_debits; j++) {
			const struct pl_debit *d = &c->debits[j];

			k->v.debits++;
			if (d->records > 1)
				k->v.duplicated += d->records - 1;
			if (d->records == 0) {
				k->v.lost++;
				if (k->shown++ < 20)
					fprintf(stderr,
						"powerloss: lost: card %s ATC %u amount %u\n",
						c->serial, d->atc, d->amount_fen);
			}
		}
	}
}

int pl_check(struct pl *h, struct pl_verdict *ret)
{
	struct check k = { .h = h };
	struct ykt_store *store;
	char err[256];
	int rc = store_open(h->db, NULL, &store, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "powerloss: store %s: %s\n", h->db, err);
		return rc;
	}
	for (int i = 0; i < PL_CARDS; i++)
		for (size_t j = 0; j < h->cards[i].n_debits; j++)
			h->cards[i].debits[j].records = 0;
	rc = store_purchase_foreach(store, check_record, &k);
	store_close(store);
	if (rc < 0)
		return rc;
	check_debits(&k);
	*ret = k.v;
	return 0;
}
