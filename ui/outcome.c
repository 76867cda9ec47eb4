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
	[TAP_QR_INVALID] = { "qr-invalid", "二维码无效", "Invalid code" },
	[TAP_QR_UNKNOWN_ROOT] = { "qr-unknown-root", "不支持此二维码", "Code not accepted here" },
	[TAP_QR_ROOT_EXPIRED] = { "qr-root-expired", "二维码根证书已失效",
				  "Code root certificate no longer valid" },
	[TAP_QR_BAD_CERT] = { "qr-bad-cert", "发码机构证书无效", "Code issuer not recognised" },
	[TAP_QR_CERT_EXPIRED] = { "qr-cert-expired", "发码机构证书已过期",
				  "Code issuer certificate expired" },
	[TAP_QR_BAD_ACCOUNT] = { "qr-bad-account", "二维码账户无效", "Code account not valid" },
	[TAP_QR_AUTH_EXPIRED] = { "qr-auth-expired", "二维码授权已过期",
				  "Code authorisation expired, renew in the app" },
	[TAP_QR_BAD_SIGNATURE] = { "qr-bad-signature", "二维码签名无效", "Code signature invalid" },
	[TAP_QR_EXPIRED] = { "qr-expired", "二维码已过期", "Code expired, refresh it" },
	[TAP_QR_FUTURE] = { "qr-future", "二维码时间有误",
			    "Code time wrong, check the phone's clock" },
	[TAP_QR_ACCOUNT_REFUSED] = { "qr-account-refused", "此账户类型不可用",
				     "Account type not accepted" },
	[TAP_QR_OVER_LIMIT] = { "qr-over-limit", "超出单笔支付限额", "Above the payment limit" },
	[TAP_QR_REPLAYED] = { "qr-replayed", "二维码已使用", "Code already used" },
	[TAP_QR_REPEAT_ACCOUNT] = { "qr-repeat-account", "请勿重复扫码", "Already scanned" },
	[TAP_QR_NOT_SERVED] = { "qr-not-served", "本机暂不受理乘车码",
				"Ride codes not taken here" },
	[TAP_QR_BOUNCE] = { "qr-bounce", "", "" },
};

const struct outcome_text *tap_outcome_text(enum tap_outcome outcome)
{
	if ((unsigned)outcome >= TAP_OUTCOME_COUNT)
		outcome = TAP_CARD_ERROR;
	return &outcome_texts[outcome];
}
