/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "vpcd_psam.h"

#include "sim.h"
#include "vpcd.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct vpcd_psam {
	struct vpcd *vpcd;
	pthread_mutex_t lock; /* the PSAM is swapped from the test's thread */
	struct sim_psam *psam;
	uint8_t atr[40];
	size_t atr_len;
	bool t1;
	unsigned apdus;
};

/* T=1 only: TS, T0 (TD1 follows, 8 historical bytes), TD1 = T=1, the
 * historical bytes, TCK (XOR of T0 .. the last byte). */
static size_t atr_t1(const uint8_t *t0_atr, size_t t0_len, uint8_t *out, size_t cap)
{
	size_t hist = t0_len - 4, n = 0;
	uint8_t tck = 0;

	if (cap < hist + 4)
		return 0;
	out[n++] = 0x3B;
	out[n++] = (uint8_t)(0x80 | hist);
	out[n++] = 0x01;
	memcpy(out + n, t0_atr + 4, hist);
	n += hist;
	for (size_t i = 1; i < n; i++)
		tck ^= out[i];
	out[n++] = tck;
	return n;
}

/* Load a PSAM and learn its ATR (a reset: it is not in a slot yet). */
static int psam_load(struct vpcd_psam *p, const char *path, char *err, size_t err_len)
{
	struct sim_psam *psam;
	uint8_t buf[64];
	size_t len = 0;
	int r = sim_psam_load(path, &psam, err, err_len);

	if (r == 0)
		r = sim_psam_reset(psam, buf, sizeof(buf), &len);
	/* the simulated PSAM's ATR: 3B 68 00 00 and 8 historical bytes */
	if (r == 0 && (len < 4 || len - 4 > 15))
		r = -EPROTO;
	if (r < 0)
		return r;
	sim_psam_free(p->psam);
	p->psam = psam;
	if (p->t1) {
		p->atr_len = atr_t1(buf, len, p->atr, sizeof(p->atr));
	} else {
		memcpy(p->atr, buf, len);
		p->atr_len = len;
	}
	return 0;
}

/* asked at any time (pcscd's presence polls): never resets the PSAM */
static size_t psam_atr(void *userdata, uint8_t *atr, size_t cap)
{
	struct vpcd_psam *p = userdata;
	size_t len;

	pthread_mutex_lock(&p->lock);
	len = p->atr_len <= cap ? p->atr_len : 0;
	memcpy(atr, p->atr, len);
	pthread_mutex_unlock(&p->lock);
	return len;
}

static void psam_control(void *userdata, enum vpcd_control ctl)
{
	struct vpcd_psam *p = userdata;
	uint8_t atr[64];
	size_t len;

	pthread_mutex_lock(&p->lock);
	if (ctl != VPCD_POWER_OFF)
		sim_psam_reset(p->psam, atr, sizeof(atr), &len); /* power-up: a cold reset */
	pthread_mutex_unlock(&p->lock);
}

static enum vpcd_reply psam_apdu(void *userdata, const uint8_t *capdu, size_t capdu_len,
				 uint8_t *rapdu, size_t rapdu_cap, size_t *ret_rapdu_len)
{
	struct vpcd_psam *p = userdata;

	pthread_mutex_lock(&p->lock);
	if (sim_psam_transmit(p->psam, capdu, capdu_len, rapdu, rapdu_cap, ret_rapdu_len) < 0) {
		rapdu[0] = 0x6F; /* no precise diagnosis */
		rapdu[1] = 0x00;
		*ret_rapdu_len = 2;
	}
	p->apdus++;
	pthread_mutex_unlock(&p->lock);
	return VPCD_REPLY;
}

static const struct vpcd_card_ops psam_ops = {
	.control = psam_control,
	.atr = psam_atr,
	.apdu = psam_apdu,
};

int vpcd_psam_new(uint16_t port, const char *profile_path, bool t1, struct vpcd_psam **ret,
		  char *err, size_t err_len)
{
	struct vpcd_psam *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	p->t1 = t1;
	pthread_mutex_init(&p->lock, NULL);
	r = psam_load(p, profile_path, err, err_len);
	if (r == 0)
		r = vpcd_new(port, &psam_ops, p, &p->vpcd);
	if (r < 0) {
		vpcd_psam_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

void vpcd_psam_free(struct vpcd_psam *p)
{
	if (!p)
		return;
	vpcd_free(p->vpcd);
	sim_psam_free(p->psam);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

struct vpcd *vpcd_psam_vpcd(struct vpcd_psam *p)
{
	return p->vpcd;
}

int vpcd_psam_swap(struct vpcd_psam *p, const char *profile_path, char *err, size_t err_len)
{
	int r;

	if (vpcd_inserted(p->vpcd))
		return -EBUSY;
	pthread_mutex_lock(&p->lock);
	r = psam_load(p, profile_path, err, err_len);
	pthread_mutex_unlock(&p->lock);
	return r;
}

unsigned vpcd_psam_apdus(struct vpcd_psam *p)
{
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->apdus;
	pthread_mutex_unlock(&p->lock);
	return n;
}
