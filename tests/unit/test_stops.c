/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stop sources (drivers/stop.h) and matching them to the fare table
 * (terminal/stops.h):
 *   - NMEA: real-form $GPRMC / $GNGGA sentences, no-fix sentences,
 *     checksums, every truncation and 50 000 seeded mutations (never a
 *     crash, never a fix from a sentence whose checksum fails);
 *   - matching: codes, counts up and down the line (clamped), GPS positions
 *     to the nearest stop within the radius, between stops the last one;
 *   - keys: key events written into a FIFO as the kernel's gpio-keys
 *     driver delivers them (first, next, prev, repeats ignored, split
 *     writes);
 *   - nmea: sentences through a pseudo-terminal at 9600 baud, noise and
 *     over-long lines dropped;
 *   - sim: and malformed URIs.
 * The threads are waited for by watching the reading's serial, never by
 * timing.
 */
#include "stop.h"
#include "stops.h"

#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int nmea(const char *s, struct nmea_fix *fix)
{
	return nmea_parse(s, strlen(s), fix);
}

/* "$" body "*hh" with the right checksum */
static void with_sum(const char *body, char *out, size_t cap)
{
	unsigned sum = 0;

	for (const char *c = body; *c; c++)
		sum ^= (unsigned char)*c;
	snprintf(out, cap, "$%s*%02X\r\n", body, sum);
}

static void nmea_sentences(void)
{
	struct nmea_fix f;
	char s[160];

	/* the classic example sentence (48°07.038'N 11°31.000'E) */
	CHECK_INT(nmea("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A", &f),
		  0);
	CHECK(f.valid && f.lat_e6 == 48117300 && f.lon_e6 == 11516666, "RMC %d %d", f.lat_e6,
	      f.lon_e6);
	CHECK_INT(nmea("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47", &f), 0);
	CHECK(f.valid && f.lat_e6 == 48117300, "GGA");
	/* Beijing, south and west hemispheres, a BeiDou+GPS talker */
	with_sum("GNRMC,080000.00,A,3954.1620,N,11625.2900,E,0.0,0.0,211126,,,A", s, sizeof(s));
	CHECK_INT(nmea(s, &f), 0);
	CHECK(f.lat_e6 == 39902700 && f.lon_e6 == 116421500, "GN %d %d", f.lat_e6, f.lon_e6);
	with_sum("GPGGA,080000,3354.1620,S,07025.2900,W,2,07,1.0,10.0,M,0,M,,", s, sizeof(s));
	CHECK(nmea(s, &f) == 0 && f.lat_e6 == -33902700 && f.lon_e6 == -70421500, "S/W");
	/* no fix: a valid sentence that gives no position */
	CHECK(nmea("$GPRMC,,V,,,,,,,,,,N*53", &f) == 0 && !f.valid, "RMC status V");
	with_sum("GPGGA,080000,,,,,0,00,,,M,,M,,", s, sizeof(s));
	CHECK(nmea(s, &f) == 0 && !f.valid, "GGA quality 0");
	/* other sentences, broken ones */
	with_sum("GPGSV,3,1,11,03,03,111,00", s, sizeof(s));
	CHECK_INT(nmea(s, &f), -ENOMSG);
	CHECK_INT(nmea("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6B", &f),
		  -EBADMSG);
	CHECK_INT(nmea("GPRMC,123519,A,4807.038,N,01131.000,E*6A", &f), -EBADMSG);
	with_sum("GPRMC,123519,A,4867.038,N,01131.000,E,0,0,230394,,", s, sizeof(s));
	CHECK_INT(nmea(s, &f), -EBADMSG); /* 67 minutes */
	with_sum("GPRMC,123519,A,9107.038,N,01131.000,E,0,0,230394,,", s, sizeof(s));
	CHECK_INT(nmea(s, &f), -EBADMSG); /* 91 degrees */
	with_sum("GPRMC,123519,A,4807.038,X,01131.000,E,0,0,230394,,", s, sizeof(s));
	CHECK_INT(nmea(s, &f), -EBADMSG);
	with_sum("GPRMC,123519,A,48a7.038,N,01131.000,E,0,0,230394,,", s, sizeof(s));
	CHECK_INT(nmea(s, &f), -EBADMSG);
	with_sum("GPRMC,1", s, sizeof(s));
	CHECK_INT(nmea(s, &f), -EBADMSG);
}

static void nmea_hostile(void)
{
	const char *good = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A";
	uint64_t seed = 0x4E4D4541;
	char buf[128];
	struct nmea_fix f;
	int fixes = 0;

	for (size_t n = 0; n < strlen(good); n++)
		CHECK(nmea_parse(good, n, &f) < 0, "cut at %zu", n);
	for (int i = 0; i < 50000; i++) {
		size_t len = strlen(good);

		memcpy(buf, good, len);
		for (int k = 0; k < 1 + i % 3; k++)
			buf[check_rand(&seed) % len] = (char)check_rand(&seed);
		if (nmea_parse(buf, len, &f) == 0 && f.valid)
			fixes++;
	}
	/* a byte changed in the body changes the XOR checksum: only changes
	 * that cancel out, or that hit no-op positions, may still parse */
	CHECK(fixes < 2000, "%d mutated sentences gave a fix", fixes);
}

static struct ykt_fare_stop line_stops[4] = {
	{ 0x0001, "", true, 39902700, 116421500 },
	{ 0x0002, "", true, 39906000, 116421500 },
	{ 0x0003, "", false, 0, 0 },
	{ 0x0004, "", true, 39915000, 116421500 },
};

static void matching(void)
{
	struct ykt_fare_table t = {
		.type = YKT_FARE_BUS_STOPS, .n_stops = 4, .stops = line_stops, .stop_radius_m = 150
	};
	struct ykt_fare_table other = t;
	struct ykt_stop_tracker tr;
	struct ykt_stop_reading r = { .kind = YKT_STOP_CODE, .code = 0x0003 };
	uint16_t code = 0;
	double d = ykt_stop_distance_m(39902700, 116421500, 39906000, 116421500);

	CHECK(d > 366 && d < 368, "0.0033 degrees of latitude: %.1f m", d);
	ykt_stop_tracker_init(&tr);
	CHECK(ykt_stop_resolve(&tr, &t, &r, true, &code) == 0 && code == 3, "code");
	r.code = 0x0009;
	CHECK_INT(ykt_stop_resolve(&tr, &t, &r, true, &code), -ENOENT);
	r = (struct ykt_stop_reading){ .kind = YKT_STOP_COUNT, .count = 1 };
	CHECK(ykt_stop_resolve(&tr, &t, &r, true, &code) == 0 && code == 2, "count up");
	CHECK(ykt_stop_resolve(&tr, &t, &r, false, &code) == 0 && code == 3, "count down");
	r.count = 99;
	CHECK(ykt_stop_resolve(&tr, &t, &r, true, &code) == 0 && code == 4, "clamped");
	/* 50 m north of stop 2 */
	r = (struct ykt_stop_reading){ .kind = YKT_STOP_POSITION,
				       .lat_e6 = 39906450,
				       .lon_e6 = 116421500 };
	CHECK(ykt_stop_resolve(&tr, &t, &r, true, &code) == 0 && code == 2, "near stop 2");
	/* between stop 2 and stop 4, 500 m from both: still at stop 2 */
	r.lat_e6 = 39910500;
	CHECK(ykt_stop_resolve(&tr, &t, &r, true, &code) == 0 && code == 2, "between stops");
	/* another table: the last stop matched was not one of its stops */
	CHECK_INT(ykt_stop_resolve(&tr, &other, &r, true, &code), -ENOENT);
	r.lat_e6 = 39915100;
	CHECK(ykt_stop_resolve(&tr, &t, &r, true, &code) == 0 && code == 4, "at stop 4");
	ykt_stop_tracker_init(&tr);
	r.lat_e6 = 39910500;
	CHECK_INT(ykt_stop_resolve(&tr, &t, &r, true, &code), -ENOENT);
}

/* Wait (up to 10 s) for the source's serial to pass since. */
static int wait_reading(struct ykt_stop *s, uint64_t since, struct ykt_stop_reading *r)
{
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < 10000; i++) {
		if (ykt_stop_read(s, r) == 0 && r->serial > since)
			return 0;
		nanosleep(&ms, NULL);
	}
	return -ETIMEDOUT;
}

static void key(int fd, int code, int value)
{
	struct input_event ev = { .type = EV_KEY, .code = (uint16_t)code, .value = value };
	struct input_event syn = { .type = EV_SYN };

	CHECK(write(fd, &ev, sizeof(ev)) == sizeof(ev), "write key");
	CHECK(write(fd, &syn, sizeof(syn)) == sizeof(syn), "write syn");
}

static void keys_source(const char *dir)
{
	char path[300], uri[340], err[200] = "";
	struct ykt_stop *s = NULL;
	struct ykt_stop_reading r;
	struct input_event ev = { .type = EV_KEY, .code = KEY_RIGHT, .value = 1 };
	int fd;

	snprintf(path, sizeof(path), "%s/event1", dir);
	CHECK(mkfifo(path, 0600) == 0, "mkfifo");
	fd = open(path, O_RDWR | O_CLOEXEC); /* the writer end stays open */
	snprintf(uri, sizeof(uri), "keys:%s,next=106,prev=105,first=102", path);
	CHECK(ykt_stop_open(uri, &s, err, sizeof(err)) == 0, "open: %s", err);
	if (!s || fd < 0)
		return;
	CHECK(ykt_stop_read(s, &r) == 0 && r.kind == YKT_STOP_COUNT && r.count == 0,
	      "starts at the first stop");
	key(fd, KEY_RIGHT, 1);
	key(fd, KEY_RIGHT, 0); /* release */
	key(fd, KEY_RIGHT, 2); /* auto-repeat */
	CHECK(wait_reading(s, r.serial, &r) == 0 && r.count == 1, "next: %d", r.count);
	key(fd, KEY_RIGHT, 1);
	CHECK(wait_reading(s, r.serial, &r) == 0 && r.count == 2, "next again");
	key(fd, KEY_LEFT, 1);
	CHECK(wait_reading(s, r.serial, &r) == 0 && r.count == 1, "prev");
	/* an event split over two writes */
	CHECK(write(fd, &ev, 10) == 10 &&
		  write(fd, (char *)&ev + 10, sizeof(ev) - 10) == (ssize_t)(sizeof(ev) - 10),
	      "split");
	CHECK(wait_reading(s, r.serial, &r) == 0 && r.count == 2, "split event");
	key(fd, KEY_A, 1); /* not one of ours */
	key(fd, KEY_HOME, 1);
	CHECK(wait_reading(s, r.serial, &r) == 0 && r.count == 0, "first");
	ykt_stop_free(s);
	close(fd);
	CHECK_INT(ykt_stop_open("keys:", &s, err, sizeof(err)), -EINVAL);
	CHECK_INT(ykt_stop_open("keys:/x,next=0", &s, err, sizeof(err)), -EINVAL);
	CHECK_INT(ykt_stop_open("keys:/x,jump=3", &s, err, sizeof(err)), -EINVAL);
	CHECK(ykt_stop_open("keys:/nonexistent/event9", &s, err, sizeof(err)) == -ENOENT &&
		  strstr(err, "/nonexistent/event9"),
	      "missing device: %s", err);
}

static void nmea_source(void)
{
	char uri[300], err[200] = "", s[160], junk[300];
	struct ykt_stop *src = NULL;
	struct ykt_stop_reading r = { 0 };
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0 || grantpt(m) || unlockpt(m)) {
		printf("no pseudo-terminal: nmea: not tried here\n");
		if (m >= 0)
			close(m);
		return;
	}
	snprintf(uri, sizeof(uri), "nmea:%s:9600", ptsname(m));
	CHECK(ykt_stop_open(uri, &src, err, sizeof(err)) == 0, "open: %s", err);
	if (!src) {
		close(m);
		return;
	}
	CHECK_INT(ykt_stop_read(src, &r), -ENODATA);
	memset(junk, 'x', sizeof(junk) - 2);
	junk[sizeof(junk) - 2] = '\n';
	junk[sizeof(junk) - 1] = '\0';
	CHECK(write(m, junk, strlen(junk)) > 0, "noise");
	CHECK(write(m, "$GPRMC,,V,,,,,,,,,,N*53\r\n", 25) == 25, "no fix");
	with_sum("GNRMC,080000.00,A,3954.1620,N,11625.2900,E,0.0,0.0,211126,,,A", s, sizeof(s));
	CHECK(write(m, s, strlen(s)) == (ssize_t)strlen(s), "fix");
	CHECK(wait_reading(src, 0, &r) == 0 && r.kind == YKT_STOP_POSITION && r.serial == 1 &&
		  r.lat_e6 == 39902700 && r.lon_e6 == 116421500,
	      "one fix, the noise and the no-fix sentence dropped: %d %d", r.lat_e6, r.lon_e6);
	ykt_stop_free(src);
	close(m);
	CHECK_INT(ykt_stop_open("nmea:/dev/null:1234", &src, err, sizeof(err)), -EINVAL);
	CHECK_INT(ykt_stop_open("nmea:", &src, err, sizeof(err)), -EINVAL);
}

static void sim_and_uris(void)
{
	struct ykt_stop *s = NULL;
	struct ykt_stop_reading r;
	char err[200] = "";

	CHECK(ykt_stop_open("sim:", &s, err, sizeof(err)) == 0 && ykt_stop_is_sim(s), "sim:");
	CHECK_INT(ykt_stop_read(s, &r), -ENODATA);
	CHECK_INT(ykt_stop_sim_set(s, 0x0102), 0);
	CHECK(ykt_stop_read(s, &r) == 0 && r.kind == YKT_STOP_CODE && r.code == 0x0102, "set");
	ykt_stop_free(s);
	CHECK(ykt_stop_open("sim:0201", &s, err, sizeof(err)) == 0 && ykt_stop_read(s, &r) == 0 &&
		  r.code == 0x0201,
	      "sim:CODE");
	ykt_stop_free(s);
	CHECK_INT(ykt_stop_open("sim:12", &s, err, sizeof(err)), -EINVAL);
	CHECK(ykt_stop_open("gps:/dev/ttyS3", &s, err, sizeof(err)) == -ENOENT &&
		  strstr(err, "sim, keys, nmea"),
	      "unknown: %s", err);
	CHECK_INT(ykt_stop_sim_set(NULL, 1), -EOPNOTSUPP);
	CHECK(!ykt_stop_is_sim(NULL), "NULL");
	ykt_stop_free(NULL);
}

int main(void)
{
	char dir[256];

	check_tmpdir(dir, sizeof(dir));
	nmea_sentences();
	nmea_hostile();
	matching();
	keys_source(dir);
	nmea_source();
	sim_and_uris();
	check_rm_rf(dir);
	return check_result();
}
