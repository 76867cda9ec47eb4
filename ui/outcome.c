/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "outcome.h"

static const struct outcome_text outcome_texts[TAP_OUTCOME_COUNT] = {
	[TAP_PAID] = { "paid", "交易成功", "Paid" },
	[TAP_INSUFFICIENT] = { "insufficient-balance", "余额不足", "Insufficient balance" },
	[TAP_EXPIRED] = { "expired", "卡片过期", "Card expired" },
	[TAP_NOT_YET_VALID] = { "not-yet-valid", "卡片未到启用日期", "Card not yet valid" },
	[TAP_BLOCKED] = { "blocked", "卡片已锁定", "Card blocked" },
	[TAP_NOT_ENABLED] = { "not-enabled", "卡片未启用", "Card not activated" },
	[TAP_NOT_TUNION] = { "not-tunion", "非交通联合卡", "Not a T-Union card" },
	[TAP_NON_INTERCONNECT] = { "non-interconnect", "非互通卡", "Card not valid in this city" },
	[TAP_CARD_REMOVED] = { "card-removed", "请重新刷卡", "Card removed, tap again" },
	[TAP_GREY] = { "grey", "请重刷", "Please tap again" },
	[TAP_CARD_ERROR] = { "card-error", "读卡失败", "Card read error" },
	[TAP_OUT_OF_SERVICE] = { "out-of-service", "暂停服务", "Out of service" },
	[TAP_MULTI_CARD] = { "multiple-cards", "请单张刷卡", "One card at a time" },
	[TAP_GREY_PENDING] = { "grey-pending", "交易待确认", "Fare pending check" },
	[TAP_BLACKLISTED] = { "blacklisted", "黑名单卡", "Card blacklisted" },
	[TAP_ALREADY_TAPPED] = { "already-tapped", "已刷卡", "Already tapped" },
	[TAP_NO_ENTRY] = { "no-entry", "无进站记录", "No entry record" },
	[TAP_NO_EXIT] = { "no-exit", "上次未出站", "Last trip not closed" },
	[TAP_WRONG_STATION] = { "wrong-station", "进站信息有误", "Entry station not valid" },
	[TAP_CARD_TYPE_REFUSED] = { "card-type-refused", "本卡种不受理", "Card type not accepted" },
};

const struct outcome_text *tap_outcome_text(enum tap_outcome outcome)
{
	if ((unsigned)outcome >= TAP_OUTCOME_COUNT)
		outcome = TAP_CARD_ERROR;
	return &outcome_texts[outcome];
}
