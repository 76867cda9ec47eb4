/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sim_test.h"

#include <string.h>

#include "bytes.h"

static uint16_t split(int rc, const uint8_t *r, size_t rlen, uint8_t *data, size_t *ret_len)
{
	if (rc != 0 || rlen < 2 || rlen > 258)
		return 0;
	if (data)
		memcpy(data, r, rlen - 2);
	if (ret_len)
		*ret_len = rlen - 2;
	return (uint16_t)(r[rlen - 2] << 8 | r[rlen - 1]);
}

uint16_t t_card_raw(struct sim_card *c, const uint8_t *apdu, size_t len, uint8_t *data,
		    size_t *ret_len)
{
	uint8_t r[260];
	size_t rlen = 0;
	int rc = sim_card_transmit(c, apdu, len, r, sizeof(r), &rlen);

	return split(rc, r, rlen, data, ret_len);
}

uint16_t t_card(struct sim_card *c, const char *hex, uint8_t *data, size_t *ret_len)
{
	uint8_t apdu[300];
	size_t n = check_hex(hex, apdu, sizeof(apdu));

	return n ? t_card_raw(c, apdu, n, data, ret_len) : 0;
}

uint16_t t_psam_raw(struct sim_psam *p, const uint8_t *apdu, size_t len, uint8_t *data,
		    size_t *ret_len)
{
	uint8_t r[260];
	size_t rlen = 0;
	int rc = sim_psam_transmit(p, apdu, len, r, sizeof(r), &rlen);

	return split(rc, r, rlen, data, ret_len);
}

uint16_t t_psam(struct sim_psam *p, const char *hex, uint8_t *data, size_t *ret_len)
{
	uint8_t apdu[300];
	size_t n = check_hex(hex, apdu, sizeof(apdu));

	return n ? t_psam_raw(p, apdu, n, data, ret_len) : 0;
}

uint16_t t_psam_t0(struct sim_psam *p, const uint8_t *apdu, size_t len, uint8_t *data,
		   size_t *ret_len)
{
	uint8_t get[5] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };
	uint16_t sw = t_psam_raw(p, apdu, len, data, ret_len);

	if ((sw >> 8) != 0x61)
		return sw;
	get[4] = (uint8_t)sw;
	return t_psam_raw(p, get, sizeof(get), data, ret_len);
}

const char *t_path(const char *datadir, const char *rel, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", datadir, rel);
	return buf;
}

static uint16_t select_aid(struct sim_card *card, const struct t_purchase *p, uint8_t *d, size_t *n)
{
	static const uint8_t ep[8] = { 0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05 };
	const uint8_t *aid = p->aid ? p->aid : ep;
	size_t len = p->aid ? p->aid_len : sizeof(ep);
	uint8_t apdu[5 + 16 + 1] = { 0x00, 0xA4, 0x04, 0x00, (uint8_t)len };

	if (len > 16)
		return 0;
	memcpy(apdu + 5, aid, len);
	apdu[5 + len] = 0x00;
	return t_card_raw(card, apdu, 6 + len, d, n);
}

/* SELECT EP and PSAM DF 8011; read what the purchase needs. */
static int prepare(struct sim_card *card, struct sim_psam *psam, struct t_purchase *p,
		   uint8_t *key_index)
{
	size_t aid_len = p->aid ? p->aid_len : 8;
	uint8_t d[258];
	size_t n = 0;

	/* 6F 31 84 08 <aid> A5 25 9F08 01 02 9F0C 1E <file 15>: file 15 ends it */
	if (select_aid(card, p, d, &n) != 0x9000 || n != 43 + aid_len)
		return -1;
	memcpy(p->file15, d + n - 30, 30);
	if (t_psam(psam, "00B0960006", p->terminal_no, &n) != 0x9000 || n != 6)
		return -1;
	if (t_psam(psam, "00A40000028011", NULL, NULL) != 0x9000)
		return -1;
	if (t_psam(psam, "00B0970001", key_index, &n) != 0x9000 || n != 1)
		return -1;
	return 0;
}

static int init_step(struct sim_card *card, struct t_purchase *p, uint8_t key_index)
{
	uint8_t apdu[17] = { 0x80, 0x50, 0x01, 0x02, 0x0B };
	size_t n = 0;

	apdu[2] = p->type == 0x09 ? 0x03 : 0x01;
	apdu[5] = key_index;
	ykt_put_be32(apdu + 6, p->amount_fen);
	memcpy(apdu + 10, p->terminal_no, 6);
	apdu[16] = 0x0F;
	p->sw_init = t_card_raw(card, apdu, sizeof(apdu), p->init, &n);
	return p->sw_init == 0x9000 && n == 15 ? 0 : -1;
}

static int mac1_step(struct sim_psam *psam, struct t_purchase *p)
{
	uint8_t apdu[41] = { 0x80, 0x70, 0x00, 0x00, 0x24 }, out[8];
	uint8_t *d = apdu + 5;
	size_t n = 0;

	memcpy(d, p->init + 11, 4);    /* random */
	memcpy(d + 4, p->init + 4, 2); /* ATC */
	ykt_put_be32(d + 6, p->amount_fen);
	d[10] = p->type;
	memcpy(d + 11, p->datetime, 7);
	d[18] = p->init[9];
	d[19] = p->force_alg ? p->alg_id : p->init[10];
	memcpy(d + 20, p->file15 + 12, 8);
	memcpy(d + 28, p->file15, 8);
	p->sw_mac1 = t_psam_t0(psam, apdu, sizeof(apdu), out, &n);
	if (p->sw_mac1 != 0x9000 || n != 8)
		return -1;
	p->serial = ykt_be32(out);
	memcpy(p->mac1, out + 4, 4);
	return 0;
}

static int capp_steps(struct sim_card *card, struct t_purchase *p)
{
	uint8_t apdu[5 + 128] = { 0x80, 0xDC, 0x00, 0xD0, 0x80 };

	if (p->rec1a) {
		apdu[2] = 0x00;
		memcpy(apdu + 5, p->rec1a, 128);
		p->sw_1a = t_card_raw(card, apdu, 5 + 128, NULL, NULL);
		if (p->sw_1a != 0x9000)
			return -1;
	}
	if (p->rec1e) {
		apdu[3] = 0xF0;
		apdu[4] = 0x30;
		memcpy(apdu + 5, p->rec1e, 48);
		p->sw_1e = t_card_raw(card, apdu, 5 + 48, NULL, NULL);
		if (p->sw_1e != 0x9000)
			return -1;
	}
	return 0;
}

static int debit_step(struct sim_card *card, struct sim_psam *psam, struct t_purchase *p)
{
	uint8_t apdu[21] = { 0x80, 0x54, 0x01, 0x00, 0x0F }, out[8], v[9] = { 0x80, 0x72, 0, 0, 4 };
	size_t n = 0;

	ykt_put_be32(apdu + 5, p->serial);
	memcpy(apdu + 9, p->datetime, 7);
	memcpy(apdu + 16, p->mac1, 4);
	if (p->corrupt_mac1)
		apdu[16] ^= 0x01;
	apdu[20] = 0x08;
	p->sw_debit = t_card_raw(card, apdu, sizeof(apdu), out, &n);
	if (p->sw_debit != 0x9000 || n != 8)
		return -1;
	memcpy(p->tac, out, 4);
	memcpy(p->mac2, out + 4, 4);
	memcpy(v + 5, p->mac2, 4);
	p->sw_mac2 = t_psam_raw(psam, v, sizeof(v), NULL, NULL);
	return p->sw_mac2 == 0x9000 ? 0 : -1;
}

int t_run_purchase(struct sim_card *card, struct sim_psam *psam, struct t_purchase *p)
{
	uint8_t key_index = 0;

	if (prepare(card, psam, p, &key_index) || init_step(card, p, key_index) ||
	    mac1_step(psam, p) || capp_steps(card, p))
		return -1;
	if (p->skip_debit)
		return 0;
	return debit_step(card, psam, p);
}
