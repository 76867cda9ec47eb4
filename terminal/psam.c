/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "psam.h"

#include "apdu.h"
#include "bytes.h"
#include "log.h"
#include "sam.h"
#include "ykt_error.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PSAM_FILE_SERIAL      0x15 /* MF: 10-byte PSAM serial */
#define PSAM_FILE_TERMINAL    0x16 /* MF: 6-byte terminal number */
#define PSAM_FILE_KEY_INDEX   0x17 /* DF 8011: 1-byte key index */
#define PSAM_MAX_GET_RESPONSE 4

static const uint8_t psam_fid_mf[2] = { 0x3F, 0x00 };

struct ykt_psam {
	struct ykt_sam *slot;
	uint8_t app_df[2];
	bool ready;
	uint32_t insertions; /* the slot's count when psam_start() began */
	uint8_t terminal_no[6];
	uint8_t serial_no[10];
	uint8_t key_index;
	uint16_t last_sw;

	bool serial_known; /* next_serial: the last MAC1's serial + 1 */
	uint32_t next_serial;

	/* a MAC1 in flight (psam_mac1_begin .. psam_mac1_end) */
	bool mac1_busy, mac1_threaded, mac1_predicted;
	pthread_t mac1_thread;
	struct psam_mac1_input mac1_in;
	uint32_t mac1_guess, mac1_serial;
	uint8_t mac1_out[4];
	int mac1_rc;
};

int psam_new(struct ykt_sam *slot, uint16_t app_df, struct ykt_psam **ret_psam)
{
	struct ykt_psam *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->slot = slot;
	ykt_put_be16(p->app_df, app_df);
	*ret_psam = p;
	return 0;
}

void psam_free(struct ykt_psam *psam)
{
	uint32_t serial;
	uint8_t mac1[4];

	if (!psam)
		return;
	if (psam->mac1_busy)
		psam_mac1_end(psam, &serial, mac1);
	free(psam);
}

static int psam_raw(struct ykt_psam *p, const struct apdu *a, struct rapdu *ret)
{
	uint8_t cmd[APDU_MAX_CMD], resp[APDU_MAX_RESP];
	size_t cmd_len, resp_len = 0;
	int r = apdu_encode(a, cmd, sizeof(cmd), &cmd_len);

	if (r < 0)
		return r;
	r = ykt_sam_transmit(p->slot, cmd, cmd_len, resp, sizeof(resp), &resp_len);
	if (r < 0)
		return r;
	if (rapdu_parse(resp, resp_len, ret) < 0)
		return YKT_E_SAM_FORMAT;
	p->last_sw = ret->sw;
	return 0;
}

/* One command, following T=0 61xx with GET RESPONSE; 0 only on 9000. */
static int psam_exchange(struct ykt_psam *p, const struct apdu *a, struct rapdu *ret)
{
	int r = psam_raw(p, a, ret);

	for (int i = 0; r == 0 && (ret->sw >> 8) == SW1_MORE_DATA; i++) {
		struct apdu get = { 0x00, 0xC0, 0x00, 0x00, NULL, 0, ret->sw & 0xff };

		if (i == PSAM_MAX_GET_RESPONSE)
			return YKT_E_SAM_FORMAT;
		if (get.le == 0)
			get.le = 256;
		r = psam_raw(p, &get, ret);
	}
	if (r < 0)
		return r;
	return ret->sw == SW_OK ? 0 : YKT_E_SAM_SW;
}

static int psam_select(struct ykt_psam *p, const uint8_t fid[2])
{
	struct apdu a = { 0x00, 0xA4, 0x00, 0x00, fid, 2, -1 };
	struct rapdu r;

	return psam_exchange(p, &a, &r);
}

static int psam_read(struct ykt_psam *p, uint8_t sfi, uint8_t *out, size_t len)
{
	struct apdu a = { 0x00, 0xB0, (uint8_t)(0x80 | sfi), 0x00, NULL, 0, (int)len };
	struct rapdu r;
	int rc = psam_exchange(p, &a, &r);

	if (rc < 0)
		return rc;
	if (r.len != len)
		return YKT_E_SAM_FORMAT;
	memcpy(out, r.data, len);
	return 0;
}

int psam_start(struct ykt_psam *p)
{
	uint8_t atr[64];
	size_t atr_len;
	int r;

	p->ready = false;
	p->serial_known = false;
	/* taken before the reset: a swap during start-up shows as a change */
	if (ykt_sam_presence(p->slot, &p->insertions) == 0)
		return YKT_E_SAM_ABSENT;
	r = ykt_sam_reset(p->slot, atr, sizeof(atr), &atr_len);
	if (r == 0)
		r = psam_select(p, psam_fid_mf);
	if (r == 0)
		r = psam_read(p, PSAM_FILE_SERIAL, p->serial_no, sizeof(p->serial_no));
	if (r == 0)
		r = psam_read(p, PSAM_FILE_TERMINAL, p->terminal_no, sizeof(p->terminal_no));
	if (r == 0 && !ykt_bcd_valid(p->terminal_no, sizeof(p->terminal_no)))
		r = YKT_E_SAM_FORMAT;
	if (r == 0)
		r = psam_select(p, p->app_df);
	if (r == 0)
		r = psam_read(p, PSAM_FILE_KEY_INDEX, &p->key_index, 1);
	if (r < 0) {
		log_err("psam", "start-up failed: %s (SW %04X)", ykt_strerror(r), p->last_sw);
		return r;
	}
	p->ready = true;
	return 0;
}

bool psam_ready(const struct ykt_psam *psam)
{
	return psam && psam->ready;
}

bool psam_present(const struct ykt_psam *psam)
{
	uint32_t insertions;
	int r;

	if (!psam || !psam->ready)
		return false;
	r = ykt_sam_presence(psam->slot, &insertions);
	if (r == -EOPNOTSUPP)
		return true; /* the slot cannot tell: the next command will */
	return r == 1 && insertions == psam->insertions;
}

void psam_invalidate(struct ykt_psam *psam)
{
	psam->ready = false;
}

const uint8_t *psam_terminal_no(const struct ykt_psam *psam)
{
	return psam->terminal_no;
}

const uint8_t *psam_serial_no(const struct ykt_psam *psam)
{
	return psam->serial_no;
}

uint8_t psam_key_index(const struct ykt_psam *psam)
{
	return psam->key_index;
}

uint16_t psam_last_sw(const struct ykt_psam *psam)
{
	return psam->last_sw;
}

/* 8070 data layout (reference/jtt978.md §4.2) */
enum {
	M1_RANDOM = 0,
	M1_ATC = 4,
	M1_AMOUNT = 6,
	M1_TYPE = 10,
	M1_DATETIME = 11,
	M1_KEY_VERSION = 18,
	M1_ALGORITHM = 19,
	M1_SERIAL = 20,
	M1_ISSUER = 28,
	M1_LEN = 36,
};

int psam_mac1(struct ykt_psam *p, const struct psam_mac1_input *in, uint32_t *ret_serial,
	      uint8_t ret_mac1[4])
{
	uint8_t data[M1_LEN];
	struct apdu a = { 0x80, 0x70, 0x00, 0x00, data, M1_LEN, -1 };
	struct rapdu r;
	int rc;

	if (!p->ready)
		return YKT_E_SAM_NOT_READY;
	memcpy(data + M1_RANDOM, in->random, 4);
	ykt_put_be16(data + M1_ATC, in->atc);
	ykt_put_be32(data + M1_AMOUNT, in->amount_fen);
	data[M1_TYPE] = in->trans_type;
	memcpy(data + M1_DATETIME, in->datetime, 7);
	data[M1_KEY_VERSION] = in->key_version;
	data[M1_ALGORITHM] = in->algorithm_id;
	memcpy(data + M1_SERIAL, in->app_serial_low8, 8);
	memcpy(data + M1_ISSUER, in->issuer_id, 8);
	rc = psam_exchange(p, &a, &r);
	if (rc == 0 && r.len != 8)
		rc = YKT_E_SAM_FORMAT;
	if (rc < 0) {
		if (rc != YKT_E_SAM_SW)
			p->ready = false; /* no answer or garbage: restart before trusting it */
		p->serial_known = false;
		return rc;
	}
	*ret_serial = ykt_be32(r.data);
	memcpy(ret_mac1, r.data + 4, 4);
	p->next_serial = *ret_serial + 1;
	p->serial_known = true;
	return 0;
}

static void *mac1_thread(void *userdata)
{
	struct ykt_psam *p = userdata;

	p->mac1_rc = psam_mac1(p, &p->mac1_in, &p->mac1_serial, p->mac1_out);
	return NULL;
}

int psam_mac1_begin(struct ykt_psam *p, const struct psam_mac1_input *in)
{
	if (p->mac1_busy)
		return -EBUSY;
	p->mac1_busy = true;
	p->mac1_in = *in;
	/* taken now: the thread rewrites next_serial when the PSAM answers */
	p->mac1_predicted = p->serial_known && p->ready;
	p->mac1_guess = p->next_serial;
	p->mac1_threaded = pthread_create(&p->mac1_thread, NULL, mac1_thread, p) == 0;
	if (!p->mac1_threaded)
		mac1_thread(p);
	return 0;
}

int psam_mac1_end(struct ykt_psam *p, uint32_t *ret_serial, uint8_t ret_mac1[4])
{
	if (!p->mac1_busy)
		return -EINVAL;
	if (p->mac1_threaded)
		pthread_join(p->mac1_thread, NULL);
	p->mac1_busy = false;
	if (p->mac1_rc < 0)
		return p->mac1_rc;
	*ret_serial = p->mac1_serial;
	memcpy(ret_mac1, p->mac1_out, 4);
	return 0;
}

bool psam_mac1_predicted(const struct ykt_psam *p, uint32_t *ret_serial)
{
	if (!p->mac1_busy || !p->mac1_predicted)
		return false;
	*ret_serial = p->mac1_guess;
	return true;
}

int psam_verify_mac2(struct ykt_psam *p, const uint8_t mac2[4])
{
	struct apdu a = { 0x80, 0x72, 0x00, 0x00, mac2, 4, -1 };
	struct rapdu r;

	int rc;

	if (!p->ready)
		return YKT_E_SAM_NOT_READY;
	rc = psam_exchange(p, &a, &r);
	if (rc < 0 && rc != YKT_E_SAM_SW)
		p->ready = false; /* no answer or garbage: restart before trusting it */
	return rc;
}

int psam_block_mac(struct ykt_psam *p, const uint8_t app_serial_low8[8], const uint8_t issuer_id[8],
		   const uint8_t challenge[4], bool permanent, uint8_t ret_mac[4])
{
	uint8_t factor[16], data[16] = { 0 };
	struct apdu div = { 0x80, 0x1A, 0x45, 0x02, factor, sizeof(factor), -1 };
	struct apdu mac = { 0x80, 0xFA, 0x05, 0x00, data, sizeof(data), -1 };
	const uint8_t header[8] = { 0x84, 0x1E, 0x00, permanent ? 0x01 : 0x00,
				    0x04, 0x80, 0x00, 0x00 };
	struct rapdu r;
	int rc;

	if (!p->ready)
		return YKT_E_SAM_NOT_READY;
	if (p->mac1_busy)
		return -EBUSY;
	/* lowest level first: the card, then its issuer */
	memcpy(factor, app_serial_low8, 8);
	memcpy(factor + 8, issuer_id, 8);
	memcpy(data, challenge, 4); /* IV = challenge ‖ 00 x 4 */
	memcpy(data + 8, header, 8);
	rc = psam_exchange(p, &div, &r);
	if (rc == 0)
		rc = psam_exchange(p, &mac, &r);
	if (rc == 0 && r.len != 4)
		rc = YKT_E_SAM_FORMAT;
	if (rc < 0)
		return rc;
	memcpy(ret_mac, r.data, 4);
	return 0;
}
