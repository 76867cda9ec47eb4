/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * terminal/apdu.h and the terminal/card.h builders: every command comes out
 * byte for byte as in reference/jtt978.md §1.2, §2 and §3.
 */
#include "apdu.h"
#include "card.h"

#include "check.h"

#include <errno.h>
#include <string.h>

/* Encode a and compare with hex. */
#define CHECK_APDU(a, hex)                                                                         \
	do {                                                                                       \
		uint8_t buf_[APDU_MAX_CMD];                                                        \
		size_t len_ = 0;                                                                   \
		int r_ = apdu_encode((a), buf_, sizeof(buf_), &len_);                              \
		CHECK(r_ == 0, "apdu_encode: %d", r_);                                             \
		if (r_ == 0)                                                                       \
			CHECK_HEX(buf_, len_, hex);                                                \
	} while (0)

static const uint8_t terminal_no[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };

static void test_select(void)
{
	static const uint8_t phone_aid[16] = { 0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05,
					       0x10, 0x00, 0x91, 0x56, 0x00, 0x00, 0x14, 0xA1 };
	struct apdu a;

	card_cmd_select_ppse(&a);
	CHECK_APDU(&a, "00A404000E325041592E5359532E444446303100");
	card_cmd_select_aid(&a, tunion_ep_aid, TUNION_AID_LEN);
	CHECK_APDU(&a, "00A4040008A00000063201010500");
	CHECK_HEX(tunion_ep_aid, TUNION_AID_LEN, "A000000632010105");
	card_cmd_select_aid(&a, phone_aid, sizeof(phone_aid));
	CHECK_APDU(&a, "00A4040010A00000063201010510009156000014A100");
}

static void test_read(void)
{
	struct apdu a;

	card_cmd_read_binary(&a, CARD_SFI_PUBLIC, CARD_FILE15_LEN);
	CHECK_APDU(&a, "00B095001E");
	card_cmd_read_binary(&a, CARD_SFI_MANAGE, CARD_FILE17_LEN);
	CHECK_APDU(&a, "00B097003C");
	card_cmd_read_binary(&a, CARD_SFI_PUBLIC, 0);
	CHECK_APDU(&a, "00B0950000");
	card_cmd_read_record(&a, CARD_SFI_HISTORY, 1, CARD_REC1E_LEN);
	CHECK_APDU(&a, "00B201F430");
	card_cmd_read_record(&a, CARD_SFI_LOG, 10, 23);
	CHECK_APDU(&a, "00B20AC417");
	card_cmd_read_record(&a, CARD_SFI_PROCESS, 2, 0x80);
	CHECK_APDU(&a, "00B202D480");
}

static void test_init(void)
{
	uint8_t buf[11];
	struct apdu a;

	card_cmd_init_purchase(&a, buf, TRANS_CAPP, 0x01, 200, terminal_no);
	CHECK_APDU(&a, "805003020B01000000C80011223344550F");
	card_cmd_init_purchase(&a, buf, TRANS_PURCHASE, 0x01, 200, terminal_no);
	CHECK_APDU(&a, "805001020B01000000C80011223344550F");
	card_cmd_init_purchase(&a, buf, TRANS_PURCHASE, 0x02, 0x12345678, terminal_no);
	CHECK_APDU(&a, "805001020B02123456780011223344550F");
}

static void test_update_debit_prove(void)
{
	static const uint8_t dt[7] = { 0x20, 0x12, 0x02, 0x29, 0x13, 0x51, 0x00 };
	static const uint8_t mac1[4] = { 0xF1, 0x5C, 0xAB, 0x75 };
	uint8_t rec[CARD_REC1E_LEN], dbuf[15], pbuf[2];
	char hex[2 * (5 + CARD_REC1E_LEN) + 1] = "80DC00F030";
	struct apdu a;

	for (size_t i = 0; i < sizeof(rec); i++) {
		rec[i] = (uint8_t)(i * 7 + 1);
		snprintf(hex + 10 + 2 * i, 3, "%02X", rec[i]);
	}
	card_cmd_update_capp_1e(&a, rec);
	CHECK_APDU(&a, hex);

	/* §5.6: terminal serial 00000001, 2012-02-29 13:51:00, MAC1 F15CAB75 */
	card_cmd_debit(&a, dbuf, 1, dt, mac1);
	CHECK_APDU(&a, "805401000F 00000001 20120229135100 F15CAB75 08");
	card_cmd_debit(&a, dbuf, 0xA1B2C3D4, dt, mac1);
	CHECK_APDU(&a, "805401000F A1B2C3D4 20120229135100 F15CAB75 08");

	card_cmd_get_trans_prove(&a, pbuf, TRANS_CAPP, 0x0012);
	CHECK_APDU(&a, "805A000902 0012 08");
	card_cmd_get_trans_prove(&a, pbuf, TRANS_PURCHASE, 0xFFFF);
	CHECK_APDU(&a, "805A000602 FFFF 08");
}

static void test_encode_cases(void)
{
	static const uint8_t data[APDU_MAX_DATA + 1] = { 0xAB };
	uint8_t out[APDU_MAX_CMD + 1];
	size_t len = 99;
	struct apdu a = { 0x00, 0x84, 0x00, 0x00, NULL, 0, -1 };

	CHECK_APDU(&a, "00840000"); /* case 1 */
	a.le = 4;
	CHECK_APDU(&a, "0084000004"); /* case 2 */
	a.le = 256;
	CHECK_APDU(&a, "0084000000"); /* Le 256 is sent as 00 */
	a = (struct apdu){ 0x84, 0x1E, 0x00, 0x00, data, 4, -1 };
	CHECK_APDU(&a, "841E000004AB000000"); /* case 3 */

	a = (struct apdu){ 0x00, 0xD6, 0x00, 0x00, data, APDU_MAX_DATA, 256 };
	CHECK_INT(apdu_encode(&a, out, APDU_MAX_CMD, &len), 0);
	CHECK_INT(len, APDU_MAX_CMD);
	CHECK_INT(out[4], 0xFF);
	CHECK_INT(out[5], 0xAB);
	CHECK_INT(out[APDU_MAX_CMD - 1], 0x00);

	/* errors leave *ret_len alone */
	len = 99;
	CHECK_INT(apdu_encode(&a, out, APDU_MAX_CMD - 1, &len), -ENOSPC);
	a.lc = APDU_MAX_DATA + 1;
	CHECK_INT(apdu_encode(&a, out, sizeof(out), &len), -EINVAL);
	a = (struct apdu){ 0x00, 0xD6, 0x00, 0x00, NULL, 4, -1 };
	CHECK_INT(apdu_encode(&a, out, sizeof(out), &len), -EINVAL);
	a = (struct apdu){ 0x00, 0xB0, 0x95, 0x00, NULL, 0, 257 };
	CHECK_INT(apdu_encode(&a, out, sizeof(out), &len), -EINVAL);
	a.le = -2;
	CHECK_INT(apdu_encode(&a, out, sizeof(out), &len), -EINVAL);
	a.le = 0;
	CHECK_INT(apdu_encode(&a, out, 4, &len), -ENOSPC);
	CHECK_INT(apdu_encode(&a, out, 0, &len), -ENOSPC);
	CHECK_INT(len, 99);
	CHECK_INT(apdu_encode(&a, out, 5, &len), 0);
	CHECK_INT(len, 5);
}

static void test_rapdu(void)
{
	uint8_t raw[APDU_MAX_RESP + 1];
	struct rapdu r;

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)i;

	CHECK_INT(rapdu_parse(raw, 0, &r), -EBADMSG);
	CHECK_INT(rapdu_parse(raw, 1, &r), -EBADMSG);
	raw[0] = 0x90;
	raw[1] = 0x00;
	CHECK_INT(rapdu_parse(raw, 2, &r), 0);
	CHECK_INT(r.len, 0);
	CHECK_INT(r.sw, SW_OK);
	raw[0] = 0x00;
	raw[1] = 0x01;

	/* 256 data bytes + SW: the longest short answer */
	raw[256] = 0x94;
	raw[257] = 0x01;
	CHECK_INT(rapdu_parse(raw, APDU_MAX_RESP, &r), 0);
	CHECK_INT(r.len, 256);
	CHECK_INT(r.sw, SW_INSUFFICIENT);
	CHECK_INT(r.data[0], 0x00);
	CHECK_INT(r.data[255], 0xFF);
	CHECK_INT(rapdu_parse(raw, APDU_MAX_RESP + 1, &r), -EBADMSG);

	/* 61xx and 6Cxx keep SW2 for the caller */
	raw[0] = SW1_MORE_DATA;
	raw[1] = 0x08;
	CHECK_INT(rapdu_parse(raw, 2, &r), 0);
	CHECK_INT(r.sw, 0x6108);
}

static void test_sw_text(void)
{
	CHECK(strstr(apdu_sw_text(SW_INSUFFICIENT), "balance") != NULL, "9401: %s",
	      apdu_sw_text(SW_INSUFFICIENT));
	CHECK(strstr(apdu_sw_text(SW_MAC_INVALID), "MAC") != NULL, "9302: %s",
	      apdu_sw_text(SW_MAC_INVALID));
	CHECK(apdu_sw_text(0x1234) != NULL && apdu_sw_text(0x1234)[0], "unknown SW has text");
	CHECK(strcmp(apdu_sw_text(SW_OK), apdu_sw_text(0x1234)) != 0, "9000 is not unexpected");
}

int main(void)
{
	test_select();
	test_read();
	test_init();
	test_update_debit_prove();
	test_encode_cases();
	test_rapdu();
	test_sw_text();
	return check_result();
}
