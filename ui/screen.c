/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "screen.h"

#include "ykt_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Local card types (file 0x15 byte 28) as the demo cards and most city
 * schemes use them; anything else is just a transit card. */
static const struct ui_text card_types[] = {
	[0x01] = { "普通卡", "Standard" }, [0x02] = { "学生卡", "Student" },
	[0x03] = { "老年卡", "Senior" },   [0x04] = { "爱心卡", "Disability" },
	[0x05] = { "员工卡", "Staff" },
};

struct ui_text ui_card_type_text(uint8_t card_type)
{
	if (card_type < sizeof(card_types) / sizeof(card_types[0]) && card_types[card_type].zh)
		return card_types[card_type];
	return (struct ui_text){ "交通卡", "Transit card" };
}

bool ui_card_type_concession(uint8_t card_type)
{
	return card_type >= 0x02 && card_type <= 0x04;
}

static const struct ui_text outcome_hints[TAP_OUTCOME_COUNT] = {
	[TAP_INSUFFICIENT] = { "请充值后再刷卡", "Please top up your card" },
	[TAP_EXPIRED] = { "请到服务网点办理", "Please visit a service centre" },
	[TAP_NOT_YET_VALID] = { "请到服务网点办理", "Please visit a service centre" },
	[TAP_BLOCKED] = { "请联系发卡机构", "Please contact the card issuer" },
	[TAP_NOT_ENABLED] = { "请联系发卡机构", "Please contact the card issuer" },
	[TAP_NOT_TUNION] = { "本机只受理交通联合卡", "Only T-Union cards accepted" },
	[TAP_NON_INTERCONNECT] = { "本地不受理此卡", "This card is not accepted here" },
	[TAP_CARD_REMOVED] = { "刷卡时请勿移开", "Hold the card still" },
	[TAP_GREY] = { "请勿移开卡片", "Hold the card still" },
	[TAP_CARD_ERROR] = { "请重新刷卡", "Please tap again" },
	[TAP_OUT_OF_SERVICE] = { "请联系司机", "Please see the driver" },
	[TAP_MULTI_CARD] = { "请只出示一张卡", "Show one card only" },
	[TAP_GREY_PENDING] = { "本次不再扣款", "You will not be charged again" },
	[TAP_BLACKLISTED] = { "请联系发卡机构", "Please contact the card issuer" },
	[TAP_ALREADY_TAPPED] = { "本次不再扣款", "You will not be charged again" },
	[TAP_NO_ENTRY] = { "请到客服中心处理", "Please see the station staff" },
	[TAP_NO_EXIT] = { "请到客服中心处理", "Please see the station staff" },
	[TAP_WRONG_STATION] = { "请到客服中心处理", "Please see the station staff" },
	[TAP_CARD_TYPE_REFUSED] = { "请使用其他卡片", "Please use another card" },
	[TAP_QR_INVALID] = { "请出示交通联合乘车码", "Show a T-Union ride code" },
	[TAP_QR_UNKNOWN_ROOT] = { "请使用其他乘车码", "Please use another ride code" },
	[TAP_QR_ROOT_EXPIRED] = { "请联系司机", "Please see the driver" },
	[TAP_QR_BAD_CERT] = { "请使用其他乘车码", "Please use another ride code" },
	[TAP_QR_CERT_EXPIRED] = { "请更新乘车码应用", "Please update the ride code app" },
	[TAP_QR_BAD_ACCOUNT] = { "请重新生成乘车码", "Please make a new code" },
	[TAP_QR_AUTH_EXPIRED] = { "请在应用中重新授权", "Please renew in the app" },
	[TAP_QR_BAD_SIGNATURE] = { "请重新生成乘车码", "Please make a new code" },
	[TAP_QR_EXPIRED] = { "请刷新乘车码", "Please refresh the code" },
	[TAP_QR_FUTURE] = { "请校准手机时间", "Please set the phone's clock" },
	[TAP_QR_ACCOUNT_REFUSED] = { "请使用其他乘车码", "Please use another ride code" },
	[TAP_QR_OVER_LIMIT] = { "请在应用中调整限额", "Please raise the limit in the app" },
	[TAP_QR_REPLAYED] = { "本次不再扣款", "You will not be charged again" },
	[TAP_QR_REPEAT_ACCOUNT] = { "本次不再扣款", "You will not be charged again" },
	[TAP_QR_NOT_SERVED] = { "请刷卡乘车", "Please tap a card" },
};

struct ui_text ui_outcome_hint(enum tap_outcome outcome)
{
	if ((unsigned)outcome >= TAP_OUTCOME_COUNT)
		return (struct ui_text){ NULL, NULL };
	return outcome_hints[outcome];
}

bool ui_outcome_tap_again(enum tap_outcome outcome)
{
	return outcome == TAP_CARD_REMOVED || outcome == TAP_GREY || outcome == TAP_CARD_ERROR ||
	       outcome == TAP_MULTI_CARD;
}

static const struct ui_text oos_reasons[UI_OOS_REASON_COUNT] = {
	[UI_OOS_PSAM] = { "安全模块故障", "PSAM not working" },
	[UI_OOS_STORE_FULL] = { "存储空间已满", "Storage full" },
	[UI_OOS_STORE] = { "存储故障", "Storage fault" },
	[UI_OOS_CLOCK] = { "时钟错误", "Clock not valid" },
	[UI_OOS_READER] = { "读卡器故障", "Card reader fault" },
	[UI_OOS_MAINTENANCE] = { "设备维护中", "Under maintenance" },
	[UI_OOS_OTHER] = { "设备故障", "Device fault" },
};

struct ui_text ui_oos_reason_text(enum ui_oos_reason reason)
{
	if ((unsigned)reason >= UI_OOS_REASON_COUNT)
		reason = UI_OOS_OTHER;
	return oos_reasons[reason];
}

enum ui_oos_reason ui_oos_reason_from_error(int err)
{
	if (err <= YKT_E_SAM_ABSENT && err > YKT_E_SAM_ABSENT - 100)
		return UI_OOS_PSAM;
	if (err == YKT_E_STORE_FULL)
		return UI_OOS_STORE_FULL;
	if (err <= YKT_E_STORE && err > YKT_E_STORE - 100)
		return UI_OOS_STORE;
	if (err == YKT_E_CLOCK)
		return UI_OOS_CLOCK;
	return UI_OOS_OTHER;
}

struct ui_text ui_status_label(int which)
{
	static const struct ui_text labels[] = {
		{ "PSAM", "PSAM" },
		{ "网络", "Network" },
		{ "上传", "Upload" },
		{ "参数", "Parameters" },
	};

	if (which < 0 || which > 3)
		return (struct ui_text){ "?", "?" };
	return labels[which];
}

void ui_format_yuan(int64_t fen, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%lld.%02lld", fen < 0 ? "-" : "", llabs(fen) / 100, llabs(fen) % 100);
}

static void cst_tm(int64_t unix_s, struct tm *tm)
{
	time_t t = (time_t)(unix_s + 8 * 3600); /* China Standard Time, whatever the zone */

	if (!gmtime_r(&t, tm))
		memset(tm, 0, sizeof(*tm));
}

void ui_format_hhmm(int64_t unix_s, char *buf, size_t cap)
{
	struct tm tm;

	cst_tm(unix_s, &tm);
	snprintf(buf, cap, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

void ui_format_datetime(int64_t unix_s, char *buf, size_t cap)
{
	struct tm tm;

	cst_tm(unix_s, &tm);
	snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void ui_copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (!cap)
		return;
	if (n >= cap) {
		n = cap - 1;
		/* never leave half a UTF-8 character: back over continuation
		 * bytes to the lead byte of the character that was cut */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}
