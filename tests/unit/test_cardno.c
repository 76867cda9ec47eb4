/* SPDX-License-Identifier: GPL-2.0-or-later */
/* terminal/base/cardno.h: the canonical card number and its masked form. */
#include "cardno.h"

#include "check.h"
#include "log.h"

#include <string.h>

#define CHECK_STR(got, want) CHECK(strcmp((got), (want)) == 0, "'%s', expected '%s'", got, want)

static void test_canonical(void)
{
	uint8_t serial[10];
	char out[YKT_CARDNO_LEN + 1];

	check_hex("3104 1000 1234 5678 9abc", serial, sizeof(serial));
	memset(out, 'x', sizeof(out));
	ykt_cardno_from_serial(serial, out);
	CHECK_STR(out, "31041000123456789ABC");
	CHECK_INT(strlen(out), YKT_CARDNO_LEN);

	memset(serial, 0, sizeof(serial));
	ykt_cardno_from_serial(serial, out);
	CHECK_STR(out, "00000000000000000000");
	memset(serial, 0xFF, sizeof(serial));
	ykt_cardno_from_serial(serial, out);
	CHECK_STR(out, "FFFFFFFFFFFFFFFFFFFF");
}

static void test_mask(void)
{
	char out[YKT_CARDNO_LEN + 1];

	ykt_log_set_unmasked(false);
	ykt_cardno_mask("31041000123456789ABC", 0, out);
	CHECK_STR(out, "3104************9ABC");
	ykt_cardno_mask("31041000123456789ABC", 1, out);
	CHECK_STR(out, "31041000123456789ABC");

	ykt_log_set_unmasked(true);
	ykt_cardno_mask("31041000123456789ABC", 0, out);
	CHECK_STR(out, "31041000123456789ABC");
	ykt_log_set_unmasked(false);

	/* short numbers: nothing left to hide below 9 characters */
	ykt_cardno_mask("12345678", 0, out);
	CHECK_STR(out, "12345678");
	ykt_cardno_mask("123456789", 0, out);
	CHECK_STR(out, "1234*6789");
	ykt_cardno_mask("", 0, out);
	CHECK_STR(out, "");

	/* never more than 20 characters, whatever comes in */
	ykt_cardno_mask("31041000123456789ABCDEF0", 0, out);
	CHECK_STR(out, "3104************9ABC");
	ykt_cardno_mask("31041000123456789ABCDEF0", 1, out);
	CHECK_STR(out, "31041000123456789ABC");
}

int main(void)
{
	test_canonical();
	test_mask();
	return check_result();
}
