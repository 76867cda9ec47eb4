/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ykt_error.h"

#include <string.h>

static const struct {
	int code;
	const char *text;
} ykt_error_texts[] = {
	{ YKT_E_CARD_GONE, "card left the field" },
	{ YKT_E_CARD_SW, "card refused the command" },
	{ YKT_E_CARD_FORMAT, "malformed card answer" },
	{ YKT_E_NO_APP, "no T-Union application on the card" },
	{ YKT_E_MULTI_CARD, "more than one card in the field" },
	{ YKT_E_SAM_ABSENT, "no PSAM" },
	{ YKT_E_SAM_SW, "PSAM refused the command" },
	{ YKT_E_SAM_FORMAT, "malformed PSAM answer" },
	{ YKT_E_SAM_NOT_READY, "PSAM not ready" },
	{ YKT_E_STORE, "record store error" },
	{ YKT_E_STORE_FULL, "record store full" },
	{ YKT_E_STORE_DUP, "record already stored" },
	{ YKT_E_STORE_SCHEMA, "record store made by a newer version" },
	{ YKT_E_STORE_CORRUPT, "record store failed its integrity check" },
	{ YKT_E_CONFIG, "invalid configuration" },
	{ YKT_E_PARSE, "malformed input" },
	{ YKT_E_CLOCK, "clock not valid" },
	{ YKT_E_LIMIT, "value beyond its sanity limit" },
	{ YKT_E_PARAM_FORMAT, "malformed parameter package" },
	{ YKT_E_PARAM_HASH, "parameter payload does not match its signed hash" },
	{ YKT_E_PARAM_UNSIGNED, "parameter package is not signed" },
	{ YKT_E_PARAM_SIGNATURE, "parameter package signature does not verify" },
	{ YKT_E_PARAM_STALE, "parameter version not newer than the installed one" },
	{ YKT_E_PARAM_BASE, "parameter delta does not apply to the installed version" },
	{ YKT_E_PARAM_KIND, "parameter kind not supported by this build" },
	{ YKT_E_PARAM_KEY, "no usable platform public key" },
	{ YKT_E_BLACKLISTED, "card is on the blacklist" },
	{ YKT_E_NOT_WHITELISTED, "card's issuer and city are not on the interconnect whitelist" },
	{ YKT_E_NET, "platform unreachable or failing" },
	{ YKT_E_REFUSED, "platform refused, or not trusted" },
	{ YKT_E_PROTOCOL, "malformed answer from the platform" },
	{ YKT_E_BUSY, "platform busy: asked to come back later" },
};

const char *ykt_strerror(int err)
{
	for (size_t i = 0; i < sizeof(ykt_error_texts) / sizeof(ykt_error_texts[0]); i++)
		if (ykt_error_texts[i].code == err)
			return ykt_error_texts[i].text;
	if (err < 0 && err > -1000)
		return strerror(-err);
	return "unknown error";
}
