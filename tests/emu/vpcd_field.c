/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vpcd_field.h"

#include "pcscd_private.h"
#include "sim.h"
#include "sim_field.h"
#include "vpcd.h"
#include "ykt_error.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TAP_GUARD_S    60   /* a validator that never ends a tap: the run fails */
#define EMPTY_GUARD_MS 5000 /* pcscd's poll is about 400 ms */
#define INSERT_WAIT_MS 5000

/* PC/SC part 3: a contactless card without historical bytes, T=1 */
static const uint8_t picc_atr[] = { 0x3B, 0x80, 0x80, 0x01, 0x01 };

struct vpcd_field {
	struct vpcd *vpcd;
	char reader[128];
	char clock_path[512];
	int64_t clock_ms;

	pthread_mutex_t lock; /* the field, and the tap's state below */
	pthread_cond_t cond;
	struct sim_field *field;
	int apdus; /* reader and card APDUs in this insertion */
	bool off;  /* the validator powered the card down after an APDU */
	bool left; /* a fault took the card away */

	pthread_t runner;
	bool started;
	vpcd_field_hook hook;
	void *hook_data;
	int result;
};

/* ---- the card in the slot (vpcd's thread) ---- */

static void field_control(void *userdata, enum vpcd_control ctl)
{
	struct vpcd_field *f = userdata;

	pthread_mutex_lock(&f->lock);
	if (ctl == VPCD_POWER_OFF && f->apdus > 0) {
		f->off = true;
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
}

static size_t field_atr(void *userdata, uint8_t *atr, size_t cap)
{
	if (cap < sizeof(picc_atr))
		return 0;
	memcpy(atr, picc_atr, sizeof(picc_atr));
	return sizeof(picc_atr);
}

/* The reader's own pseudo-APDUs (class FF): GET DATA UID, else 6A81. */
static void field_reader_apdu(struct vpcd_field *f, const uint8_t *capdu, size_t len,
			      uint8_t *rapdu, size_t *ret_len)
{
	struct sim_card *card = sim_field_tap_card(f->field, 0);
	struct sim_card_info info;

	if (card && len == 5 && capdu[1] == 0xCA && capdu[2] == 0x00 && capdu[3] == 0x00) {
		sim_card_info(card, &info);
		memcpy(rapdu, info.uid, info.uid_len);
		rapdu[info.uid_len] = 0x90;
		rapdu[info.uid_len + 1] = 0x00;
		*ret_len = info.uid_len + 2;
		return;
	}
	rapdu[0] = 0x6A;
	rapdu[1] = 0x81;
	*ret_len = 2;
}

static enum vpcd_reply field_apdu(void *userdata, const uint8_t *capdu, size_t capdu_len,
				  uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct vpcd_field *f = userdata;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	f->apdus++;
	if (capdu_len >= 4 && capdu[0] == 0xFF)
		field_reader_apdu(f, capdu, capdu_len, rapdu, ret_rapdu_len);
	else
		rc = sim_field_transceive(f->field, 0, capdu, capdu_len, rapdu, rapdu_cap,
					  ret_rapdu_len);
	if (rc < 0) {
		/* gone (a leave fault), or mute: vpcd cannot time out, the
		 * card leaves instead */
		f->left = true;
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
	return rc < 0 ? VPCD_LEAVE : VPCD_REPLY;
}

static const struct vpcd_card_ops field_ops = {
	.control = field_control,
	.atr = field_atr,
	.apdu = field_apdu,
};

/* ---- the runner ---- */

static int write_clock(struct vpcd_field *f)
{
	char tmp[600];
	FILE *out;

	snprintf(tmp, sizeof(tmp), "%s.new", f->clock_path);
	out = fopen(tmp, "we");
	if (!out)
		return -errno;
	fprintf(out, "%lld\n", (long long)f->clock_ms);
	if (fclose(out) != 0)
		return -EIO;
	return rename(tmp, f->clock_path) == 0 ? 0 : -errno;
}

static int wait_tap_over(struct vpcd_field *f)
{
	struct timespec until;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += TAP_GUARD_S;
	pthread_mutex_lock(&f->lock);
	while (!f->off && !f->left && r == 0)
		r = pthread_cond_timedwait(&f->cond, &f->lock, &until);
	pthread_mutex_unlock(&f->lock);
	return r ? -ETIMEDOUT : 0;
}

static int play_tap(struct vpcd_field *f, const struct sim_field_step *step)
{
	unsigned since = 0;
	bool present;
	int r;

	pthread_mutex_lock(&f->lock);
	f->apdus = 0;
	f->off = f->left = false;
	pthread_mutex_unlock(&f->lock);
	if (step->n_cards > 1)
		return 0; /* a reader in single-card mode shows neither */
	r = pcscd_private_look(f->reader, &since, &present);
	if (r == 0)
		r = vpcd_insert(f->vpcd, INSERT_WAIT_MS);
	if (r == 0)
		r = wait_tap_over(f);
	pthread_mutex_lock(&f->lock);
	sim_field_leave(f->field); /* the passenger takes the card away */
	pthread_mutex_unlock(&f->lock);
	vpcd_remove(f->vpcd);
	/* pcscd must have seen the card come and go before the next card, as
	 * it would a real card, slower than pcscd's poll */
	return r < 0 ? r : pcscd_private_wait_card(f->reader, false, since, 2, EMPTY_GUARD_MS);
}

static int play_step(struct vpcd_field *f, const struct sim_field_step *step)
{
	switch (step->kind) {
	case SIM_FIELD_CLOCK_SET:
		f->clock_ms = step->ms;
		return write_clock(f);
	case SIM_FIELD_CLOCK_ADVANCE:
		f->clock_ms += step->ms;
		return write_clock(f);
	case SIM_FIELD_TAP:
		if (f->hook)
			f->hook(f->hook_data, step->tap_no);
		return play_tap(f, step);
	default:
		return 0;
	}
}

static void *runner(void *userdata)
{
	struct vpcd_field *f = userdata;
	struct sim_field_step step = { 0 };
	int r = 0;

	while (r == 0) {
		pthread_mutex_lock(&f->lock);
		sim_field_next(f->field, &step);
		pthread_mutex_unlock(&f->lock);
		if (step.kind == SIM_FIELD_END)
			break;
		r = play_step(f, &step);
	}
	pthread_mutex_lock(&f->lock);
	sim_field_tap_end(f->field);
	pthread_mutex_unlock(&f->lock);
	if (r < 0)
		fprintf(stderr, "vpcd field: stopped at tap %d: %s\n", step.tap_no,
			ykt_strerror(r));
	f->result = r;
	if (f->hook)
		f->hook(f->hook_data, 0);
	return NULL;
}

int vpcd_field_new(uint16_t port, const char *reader, const char *script, const char *clock_path,
		   struct vpcd_field **ret, char *err, size_t err_len)
{
	struct vpcd_field *f = calloc(1, sizeof(*f));
	int r;

	if (!f)
		return -ENOMEM;
	snprintf(f->reader, sizeof(f->reader), "%s", reader);
	snprintf(f->clock_path, sizeof(f->clock_path), "%s", clock_path);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	r = sim_field_load(script, &f->field, err, err_len);
	if (r == 0)
		r = vpcd_new(port, &field_ops, f, &f->vpcd);
	if (r < 0) {
		vpcd_field_free(f);
		return r;
	}
	*ret = f;
	return 0;
}

void vpcd_field_free(struct vpcd_field *f)
{
	if (!f)
		return;
	if (f->started)
		pthread_join(f->runner, NULL);
	vpcd_free(f->vpcd);
	sim_field_free(f->field);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

int vpcd_field_start(struct vpcd_field *f, vpcd_field_hook hook, void *userdata)
{
	f->hook = hook;
	f->hook_data = userdata;
	if (pthread_create(&f->runner, NULL, runner, f))
		return -EAGAIN;
	f->started = true;
	return 0;
}

int vpcd_field_join(struct vpcd_field *f)
{
	if (f->started)
		pthread_join(f->runner, NULL);
	f->started = false;
	return f->result;
}

struct sim_field *vpcd_field_sim(struct vpcd_field *f)
{
	return f->field;
}
