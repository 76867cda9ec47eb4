/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ykt-params-pack: build and sign a parameter package as the platform
 * would (docs/parameters.md).  For tests and for operators trying packages
 * on a bench; the production package does not ship it.
 *
 *   ykt-params-pack --kind KIND --version N [--base N] [--effective TIME]
 *                   [--created TIME] (--key PRIVATE.pem | --unsigned) [--raw]
 *                   INPUT OUTPUT
 *   ykt-params-pack --genkey PRIVATE.pem PUBLIC.pem      a test key pair
 *
 * TIME is YYYY-MM-DDThh:mm:ss, China Standard Time.  INPUT by kind:
 *   blacklist-full    serials of 20 hex digits, one per line (sorted here)
 *   blacklist-delta   lines +SERIAL (add) or -SERIAL (remove)
 *   others            the JSON document
 * --raw takes INPUT as the payload bytes exactly as they go in.
 */
#include "clock.h"
#include "params_pack.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct args {
	int kind;
	long long version, base;
	int64_t effective, created;
	const char *key_path;
	int unsigned_, raw;
};

static int usage(void)
{
	fprintf(stderr,
		"Usage: ykt-params-pack --kind KIND --version N [--base N] [--effective TIME]\n"
		"                       [--created TIME] (--key PRIVATE.pem | --unsigned) [--raw]\n"
		"                       INPUT OUTPUT\n"
		"       ykt-params-pack --genkey PRIVATE.pem PUBLIC.pem\n"
		"KIND: blacklist-full, blacklist-delta, whitelist, fare-table, card-rules,\n"
		"      device-settings.  TIME: YYYY-MM-DDThh:mm:ss (China Standard Time).\n");
	return 2;
}

static int genkey(const char *priv, const char *pub)
{
	EVP_PKEY *key = pack_key_generate();
	int r = key ? pack_key_write(key, priv, pub) : -ENOMEM;

	EVP_PKEY_free(key);
	if (r < 0) {
		fprintf(stderr, "ykt-params-pack: %s\n", strerror(-r));
		return 1;
	}
	printf("test key pair: %s (private), %s (public)\n", priv, pub);
	return 0;
}

static int parse_time(const char *text, int64_t *ret)
{
	if (ykt_parse_cst_iso(text, ret) == 0)
		return 0;
	fprintf(stderr, "ykt-params-pack: '%s' is not YYYY-MM-DDThh:mm:ss\n", text);
	return -1;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "version", required_argument, NULL, 'v' },
		{ "base", required_argument, NULL, 'b' },
		{ "effective", required_argument, NULL, 'e' },
		{ "created", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 's' },
		{ "unsigned", no_argument, NULL, 'u' },
		{ "raw", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k' && (a->kind = ykt_pkg_kind_from_name(optarg)) < 0)
			return -1;
		else if (c == 'v')
			a->version = strtoll(optarg, NULL, 10);
		else if (c == 'b')
			a->base = strtoll(optarg, NULL, 10);
		else if ((c == 'e' && parse_time(optarg, &a->effective) < 0) ||
			 (c == 'c' && parse_time(optarg, &a->created) < 0))
			return -1;
		else if (c == 's')
			a->key_path = optarg;
		else if (c == 'u')
			a->unsigned_ = 1;
		else if (c == 'r')
			a->raw = 1;
		else if (c == '?')
			return -1;
	}
	if (a->kind <= 0 || a->version < 1 || a->version > 0xffffffffLL || a->base < 0 ||
	    a->base > 0xffffffffLL || !a->key_path == !a->unsigned_ || argc - optind != 2)
		return -1;
	return 0;
}

static int make_payload(const struct args *a, const char *input, uint8_t **ret, size_t *ret_len)
{
	uint8_t *text;
	size_t len;
	int line = 0, r = pack_read_file(input, 1u << 30, &text, &len);

	if (r < 0) {
		fprintf(stderr, "ykt-params-pack: %s: %s\n", input, strerror(-r));
		return r;
	}
	if (a->raw || (a->kind != YKT_PKG_BLACKLIST_FULL && a->kind != YKT_PKG_BLACKLIST_DELTA)) {
		*ret = text;
		*ret_len = len;
		return 0;
	}
	r = a->kind == YKT_PKG_BLACKLIST_FULL
		? pack_blacklist_full((const char *)text, ret, ret_len, &line)
		: pack_blacklist_delta((const char *)text, ret, ret_len, &line);
	free(text);
	if (r < 0)
		fprintf(stderr, "ykt-params-pack: %s:%d: not a%s serial of 20 hex digits\n", input,
			line, a->kind == YKT_PKG_BLACKLIST_DELTA ? " +/-" : "");
	return r;
}

int main(int argc, char **argv)
{
	struct args a = { .kind = -1, .created = time(NULL) };
	struct ykt_pkg_header h = { 0 };
	EVP_PKEY *key = NULL;
	uint8_t *payload = NULL;
	size_t len = 0;
	int r;

	if (argc == 4 && strcmp(argv[1], "--genkey") == 0)
		return genkey(argv[2], argv[3]);
	if (parse_args(argc, argv, &a) < 0)
		return usage();
	if (a.key_path && !(key = pack_key_load(a.key_path))) {
		fprintf(stderr, "ykt-params-pack: %s: not an SM2 private key\n", a.key_path);
		return 1;
	}
	r = make_payload(&a, argv[optind], &payload, &len);
	h = (struct ykt_pkg_header){ .kind = (uint8_t)a.kind,
				     .version = (uint32_t)a.version,
				     .base_version = (uint32_t)a.base,
				     .effective_unix_s = a.effective,
				     .created_unix_s = a.created };
	if (r == 0 && (r = pack_write(argv[optind + 1], &h, payload, len, key)) < 0)
		fprintf(stderr, "ykt-params-pack: %s: %s\n", argv[optind + 1], strerror(-r));
	if (r == 0)
		printf("%s: %s version %u, %zu payload bytes%s\n", argv[optind + 1],
		       ykt_pkg_kind_name(a.kind), h.version, len, key ? ", signed" : ", unsigned");
	free(payload);
	EVP_PKEY_free(key);
	return r < 0 ? 1 : 0;
}
