/* SPDX-License-Identifier: GPL-2.0-or-later */
/* terminal/base/clock.h: the sim:, system: and file: clocks and the CST time parser. */
#include "clock.h"

#include "check.h"
#include "ykt_config.h"

#include <stdio.h>

#include <errno.h>
#include <pthread.h>
#include <time.h>

static void test_parse(void)
{
	int64_t s = 1;

	CHECK_INT(ykt_parse_cst_iso("1970-01-01T08:00:00", &s), 0);
	CHECK_INT(s, 0);
	CHECK_INT(ykt_parse_cst_iso("2026-11-21T07:30:00", &s), 0);
	CHECK_INT(s, 1795217400);
	CHECK_INT(ykt_parse_cst_iso("2000-02-29T00:00:00", &s), 0);
	CHECK_INT(s, 951753600);
	CHECK_INT(ykt_parse_cst_iso("2020-12-27T14:04:56", &s), 0);
	CHECK_INT(s, 1609049096);

	static const char *const bad[] = {
		"",
		"2026-11-21",
		"2026-11-21T07:30",
		"2026-11-21 07:30:00",
		"2026-11-21T07:30:00Z",
		"2026-11-21T07:30:00+08:00",
		"2026-13-01T00:00:00",
		"2026-02-29T00:00:00",
		"2026-11-31T00:00:00",
		"2026-11-21T24:00:00",
		"2026-11-21T23:60:00",
		"2026-11-21T23:59:60",
		"1899-12-31T23:59:59",
		"abcd-11-21T07:30:00",
		"20261121T073000",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = 1;
		CHECK(ykt_parse_cst_iso(bad[i], &s) == -EINVAL, "'%s' accepted", bad[i]);
		CHECK(s == 1, "'%s': output written on error", bad[i]);
	}
}

/* The documented form is exactly YYYY-MM-DDThh:mm:ss; sscanf's %d also takes
 * signs, leading blanks and short fields, which are not that form. */
static void test_parse_strict(void)
{
	static const char *const bad[] = {
		"2026-11-21T07:30:-0", "2026-11-21T07:30:+0", "2026-11-21T 7:30:00",
		"2026-1-21T07:30:00",  "2026-11-21T7:30:00",  " 2026-11-21T07:30:00",
	};
	int64_t s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ykt_parse_cst_iso(bad[i], &s) == -EINVAL, "'%s' accepted", bad[i]);
}

static void test_sim(void)
{
	struct ykt_clock *c = NULL;

	CHECK_INT(ykt_clock_new("sim:2026-11-21T07:30:00", &c), 0);
	if (!c)
		return;
	CHECK_INT(ykt_clock_now_ms(c), 1795217400000LL);
	CHECK_INT(ykt_clock_now_s(c), 1795217400);
	CHECK_INT(ykt_clock_now_ms(c), 1795217400000LL); /* it stands still */
	CHECK_INT(ykt_clock_advance(c, 1500), 0);
	CHECK_INT(ykt_clock_now_ms(c), 1795217401500LL);
	CHECK_INT(ykt_clock_now_s(c), 1795217401);
	CHECK_INT(ykt_clock_advance(c, -500), 0);
	CHECK_INT(ykt_clock_now_ms(c), 1795217401000LL);
	CHECK_INT(ykt_clock_advance(c, 24LL * 3600 * 1000), 0);
	CHECK_INT(ykt_clock_now_s(c), 1795217400 + 1 + 86400);
	CHECK_INT(ykt_clock_set(c, 951753600000LL), 0);
	CHECK_INT(ykt_clock_now_ms(c), 951753600000LL);
	CHECK_INT(ykt_clock_set(c, 0), 0);
	CHECK_INT(ykt_clock_now_ms(c), 0);
	ykt_clock_free(c);
	ykt_clock_free(NULL);
}

static void *advance_thread(void *arg)
{
	struct ykt_clock *c = arg;

	for (int i = 0; i < 20000; i++)
		ykt_clock_advance(c, 1);
	return NULL;
}

static void test_sim_threads(void)
{
	struct ykt_clock *c = NULL;
	pthread_t th[4];

	CHECK_INT(ykt_clock_new("sim:2026-01-01T00:00:00", &c), 0);
	if (!c)
		return;
	for (int i = 0; i < 4; i++)
		CHECK_INT(pthread_create(&th[i], NULL, advance_thread, c), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(ykt_clock_now_ms(c), 1767196800000LL + 80000);
	ykt_clock_free(c);
}

static void test_system(void)
{
	struct ykt_clock *c = NULL;
	struct timespec ts;
	int64_t now, before;

	CHECK_INT(ykt_clock_new("system:", &c), 0);
	if (!c)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	before = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	now = ykt_clock_now_ms(c);
	CHECK(now >= before && now - before < 5000, "system clock %lld vs %lld", (long long)now,
	      (long long)before);
	CHECK_INT(ykt_clock_advance(c, 1000), -EOPNOTSUPP);
	CHECK_INT(ykt_clock_set(c, 0), -EOPNOTSUPP);
	ykt_clock_free(c);
}

static void test_bad_uri(void)
{
	static const struct {
		const char *uri;
		int err;
	} cases[] = {
		{ "ntp:pool.ntp.org", -ENOENT },
		{ "rtc:/dev/rtc0", -ENOENT },
		{ "", -ENOENT },
		{ "simulated:2026-11-21T07:30:00", -ENOENT },
		{ "sys:", -ENOENT },
		{ "sim:", -EINVAL },
		{ "sim:2026-13-01T00:00:00", -EINVAL },
		{ "sim:2026-02-29T00:00:00", -EINVAL },
		{ "sim:yesterday", -EINVAL },
		{ "sim:2026-11-21T07:30:00junk", -EINVAL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ykt_clock *c = NULL;
		int r = ykt_clock_new(cases[i].uri, &c);

		CHECK(r == cases[i].err, "'%s': %d, expected %d", cases[i].uri, r, cases[i].err);
		CHECK(c == NULL, "'%s': clock returned on error", cases[i].uri);
		if (r == 0)
			ykt_clock_free(c);
	}
}

/* file: (simulator builds): the time another process writes, read at every
 * use; anything unreadable reads as 0 (before any build date). */
static void test_file(void)
{
	char dir[256], path[512], uri[600];
	struct ykt_clock *c = NULL;

	if (!YKT_WITH_SIM) {
		CHECK_INT(ykt_clock_new("file:/tmp/clock", &c), -ENOENT);
		return;
	}
	check_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/clock", dir);
	snprintf(uri, sizeof(uri), "file:%s", path);
	CHECK_INT(ykt_clock_new("file:", &c), -EINVAL);
	CHECK_INT(ykt_clock_new(uri, &c), 0);
	if (c) {
		CHECK_INT(ykt_clock_now_ms(c), 0); /* no file yet */
		check_write_file(dir, "clock", "1795217400000\n", path, sizeof(path));
		CHECK_INT(ykt_clock_now_ms(c), 1795217400000LL);
		CHECK_INT(ykt_clock_now_s(c), 1795217400);
		check_write_file(dir, "clock", "1795217460123", path, sizeof(path));
		CHECK_INT(ykt_clock_now_ms(c), 1795217460123LL);
		CHECK_INT(ykt_clock_advance(c, 1000), -EOPNOTSUPP);
		CHECK_INT(ykt_clock_set(c, 0), -EOPNOTSUPP);
		check_write_file(dir, "clock", "17952174x", path, sizeof(path));
		CHECK_INT(ykt_clock_now_ms(c), 0);
		check_write_file(dir, "clock", "-5\n", path, sizeof(path));
		CHECK_INT(ykt_clock_now_ms(c), 0);
		check_write_file(dir, "clock", "", path, sizeof(path));
		CHECK_INT(ykt_clock_now_ms(c), 0);
		ykt_clock_free(c);
	}
	check_rm_rf(dir);
}

int main(void)
{
	test_parse();
	test_parse_strict();
	test_sim();
	test_sim_threads();
	test_system();
	test_bad_uri();
	test_file();
	return check_result();
}
