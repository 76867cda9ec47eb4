/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/display — what the display costs a tap, and what a screen costs.
 *
 * 1. Tap-to-feedback with the display off (none) and on (fbfile: an
 *    800x480 XRGB8888 framebuffer in a file, the same code as /dev/fb0),
 *    in one run, rounds alternating off/on: the validator runs a shift on
 *    the simulated field (sim: outputs in both) and each tap is timed from
 *    the card seen to its screen and pattern posted
 *    (ykt_screens_last_feedback_ns()). Two pacings:
 *      back-to-back  the link model off: taps follow each other at once,
 *                    the render thread is busy all along (the worst case);
 *      paced         the link model on (as `ykt run --realtime`): taps take
 *                    their real ~0.1 s, as at a bus door.
 * 2. Drawing every example screen at 480x272 and 800x480 (mean of N), and
 *    showing a frame: framebuffer blit at 16 and 32 bpp, PNG file.
 * 3. Posting a screen into the render mailbox (what the tap pays).
 *
 * The shift's files (store included) go to /dev/shm unless --disk: the
 * store's fsyncs on a disk vary by milliseconds and would hide the display.
 *
 * Prints `name: value unit` lines. Run from a release build:
 *   bench/display [--taps N] [--rounds N] [--paced-taps N] [--renders N] [--disk] [--tiny]
 */
#include "clock.h"
#include "config.h"
#include "display.h"
#include "fb.h"
#include "render.h"
#include "screen.h"
#include "screens.h"
#include "ui.h"
#include "validator.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CARDS 8

struct samples {
	double v[8192];
	size_t n;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* nearest-rank percentile; sorts */
static double pct(struct samples *s, double p)
{
	size_t k;

	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(double), cmp_double);
	k = (size_t)(p / 100.0 * (double)s->n + 0.999999);
	return s->v[(k ? k : 1) - 1];
}

static double mean(const struct samples *s)
{
	double sum = 0;

	for (size_t i = 0; i < s->n; i++)
		sum += s->v[i];
	return s->n ? sum / (double)s->n : 0;
}

static void print(const char *name, double value, const char *unit)
{
	printf("%s: %.3f %s\n", name, value, unit);
}

static int arg_int(int argc, char **argv, const char *name, int def)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return atoi(argv[i + 1]) > 0 ? atoi(argv[i + 1]) : def;
	return def;
}

static bool arg_flag(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

/* ---- a shift on the simulated field ---- */

static char dir[256];

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* adult, student and senior cards of 1000 yuan, each its own serial */
static void write_cards(void)
{
	static const char *const types[] = { "01", "02", "03" };
	char name[32], text[1024];

	for (int i = 0; i < CARDS; i++) {
		snprintf(name, sizeof(name), "c%d.card", i);
		snprintf(text, sizeof(text),
			 "name = bench%d\nuid = 04B1B2%02X\nissuer_id = 01011000FFFFFFFF\n"
			 "app_type = 02\napp_version = 01\napp_serial = 100010000000009%05d\n"
			 "start_date = 20240101\nexpiry_date = 20301231\ncard_type = %s\n"
			 "deposit = 00\nbalance_fen = 100000\noffline_atc = 1\nstate = active\n"
			 "country = 00000156\nprovince = 1100\ncity = 1000\ninterconnect = 0001\n"
			 "card_kind = 01\noverdraft_limit_fen = 0\nkey_index = 01\n"
			 "key_version = 01\nalgorithm_id = 00\nkeys = %s/keys/issuer-3des.keys\n",
			 i, i, i, types[i % 3], YKT_BENCH_DATA);
		write_file(name, text);
	}
}

/* every tenth tap an expired card: refusal screens too */
static void write_script(int taps)
{
	size_t cap = (size_t)taps * 96 + 64, used = 0;
	char *text = malloc(cap);

	if (!text)
		exit(1);
	used += (size_t)snprintf(text, cap, "clock 2026-11-21T07:30:00\n");
	for (int t = 0; t < taps; t++) {
		if (t % 10 == 9)
			used += (size_t)snprintf(text + used, cap - used,
						 "tap %s/cards/expired.card\n", YKT_BENCH_DATA);
		else
			used +=
			    (size_t)snprintf(text + used, cap - used, "tap c%d.card\n", t % CARDS);
		used += (size_t)snprintf(text + used, cap - used, "wait 30s\n");
	}
	write_file("shift.tap", text);
	free(text);
}

static void write_config(void)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "[device]\nid = BENCH-1\nline = 0029\ndirection = up\nacquirer_city = 1000\n"
		 "acquirer_institution = 11011000FFFFFFFF\n"
		 "[hardware]\nreader = sim:shift.tap\nsam = sim:%s/psam/psam.psam\n"
		 "clock = sim:2026-11-21T07:30:00\ngpio = sim:\n"
		 "[outputs]\nbuzzer = gpiochip0:17\ngreen_led = gpiochip0:22\n"
		 "red_led = gpiochip0:23\ngate_relay = gpiochip0:24\n"
		 "[store]\npath = records.db\nmin_free_bytes = 1048576\nstate_dir =\n"
		 "[purchase]\nmode = compound\nselect = direct\nfare_fen = 200\n"
		 "clock_floor = 2026-01-01T00:00:00\n"
		 "[charge_percent]\n02 = 50\n03 = 0\n",
		 YKT_BENCH_DATA);
	write_file("ykt.conf", text);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

struct run {
	struct ykt_validator *v;
	struct samples *feedback_ms;
	int taps;
};

static void on_tap(int n, const struct tap_result *res, void *userdata)
{
	struct run *r = userdata;
	struct samples *s = r->feedback_ms;

	r->taps = n;
	if (n > 2 && s->n < sizeof(s->v) / sizeof(s->v[0])) /* two warm-up taps */
		s->v[s->n++] = ykt_screens_last_feedback_ns(ykt_validator_screens(r->v)) / 1e6;
}

/* One shift; display on (fbfile) or off (none). */
static int run_shift(bool display, bool paced, struct samples *feedback_ms,
		     struct ykt_ui_stats *ret_stats)
{
	static struct ykt_config cfg;
	char path[512], err[512];
	struct run r = { .feedback_ms = feedback_ms };
	int rc;

	snprintf(path, sizeof(path), "%s/ykt.conf", dir);
	snprintf(err, sizeof(err), "%s/records.db", dir);
	unlink(err);
	if (ykt_config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	cfg.realtime = paced;
	if (display)
		snprintf(cfg.display_uri, sizeof(cfg.display_uri), "fbfile:%s/panel,800x480,32",
			 dir);
	rc = ykt_validator_new(&cfg, &r.v, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "validator: %s\n", err);
		return rc;
	}
	rc = ykt_validator_run(r.v, on_tap, &r);
	ykt_ui_flush(ykt_screens_ui(ykt_validator_screens(r.v)));
	ykt_ui_get_stats(ykt_screens_ui(ykt_validator_screens(r.v)), ret_stats);
	ykt_validator_free(r.v);
	return rc;
}

static void bench_taps(const char *mode, bool paced, int rounds)
{
	static struct samples off, on;
	struct ykt_ui_stats st, all = { 0 };
	char name[128];
	double off50, on50, off_mean, on_mean;

	off.n = on.n = 0;
	for (int i = 0; i < rounds; i++) {
		if (run_shift(false, paced, &off, &st) < 0 || run_shift(true, paced, &on, &st) < 0)
			exit(1);
		all.posted += st.posted;
		all.rendered += st.rendered;
		all.superseded += st.superseded;
		all.render_ns += st.render_ns;
	}
	off_mean = mean(&off);
	on_mean = mean(&on);
	off50 = pct(&off, 50);
	on50 = pct(&on, 50);
#define FIG(what, v)                                                                               \
	do {                                                                                       \
		snprintf(name, sizeof(name), "tap_to_feedback_%s_%s", mode, what);                 \
		print(name, v, "ms");                                                              \
	} while (0)
	FIG("display_off_p50", off50);
	FIG("display_on_p50", on50);
	FIG("display_off_p99", pct(&off, 99));
	FIG("display_on_p99", pct(&on, 99));
	FIG("display_off_mean", off_mean);
	FIG("display_on_mean", on_mean);
	FIG("on_minus_off_p50", on50 - off50);
	FIG("on_minus_off_mean", on_mean - off_mean);
#undef FIG
	snprintf(name, sizeof(name), "display_%s_taps_measured", mode);
	print(name, (double)on.n, "taps");
	snprintf(name, sizeof(name), "display_%s_screens_drawn", mode);
	print(name, (double)all.rendered, "screens");
	snprintf(name, sizeof(name), "display_%s_screens_superseded", mode);
	print(name, (double)all.superseded, "screens");
}

/* ---- drawing and showing screens ---- */

static double render_ms(struct ui_canvas *c, const struct ui_screen *s, int n)
{
	int64_t t0 = ykt_monotonic_ns();

	for (int i = 0; i < n; i++)
		ui_canvas_render(c, s, NULL);
	return (double)(ykt_monotonic_ns() - t0) / n / 1e6;
}

static void bench_render_size(int w, int h, int n)
{
	struct samples all = { .n = 0 };
	struct ui_canvas *c;
	struct ui_screen s;
	const char *name;
	char fig[128];

	if (ui_canvas_new(w, h, &c) < 0)
		exit(1);
	ui_screen_sample(0, &s, &name);
	ui_canvas_render(c, &s, NULL); /* the fonts load once */
	for (size_t i = 0; ui_screen_sample(i, &s, &name); i++) {
		double ms = render_ms(c, &s, n);

		snprintf(fig, sizeof(fig), "render_%s_%dx%d", name, w, h);
		print(fig, ms, "ms");
		all.v[all.n++] = ms;
	}
	snprintf(fig, sizeof(fig), "render_mean_%dx%d", w, h);
	print(fig, mean(&all), "ms");
	snprintf(fig, sizeof(fig), "render_max_%dx%d", w, h);
	print(fig, pct(&all, 100), "ms");
	ui_canvas_free(c);
}

/* A frame to the framebuffer file (bpp) and to a PNG file. */
static void bench_present(int n)
{
	struct ykt_display *d;
	struct ui_canvas *c;
	struct ui_screen s;
	const char *name;
	char uri[600], err[256], fig[64];

	ui_screen_sample(2, &s, &name);
	if (ui_canvas_new(800, 480, &c) < 0 || ui_canvas_render(c, &s, NULL) < 0)
		exit(1);
	for (int bpp = 16; bpp <= 32; bpp += 16) {
		snprintf(uri, sizeof(uri), "fbfile:%s/fb%d,800x480,%d", dir, bpp, bpp);
		if (ykt_display_open(uri, &d, err, sizeof(err)) < 0)
			exit(1);
		int64_t t0 = ykt_monotonic_ns();

		for (int i = 0; i < n; i++)
			ykt_display_present(d, &s, c);
		snprintf(fig, sizeof(fig), "fb_blit_800x480_%dbpp", bpp);
		print(fig, (double)(ykt_monotonic_ns() - t0) / n / 1e6, "ms");
		ykt_display_free(d);
	}
	snprintf(uri, sizeof(uri), "png:%s", dir);
	if (ykt_display_open(uri, &d, err, sizeof(err)) < 0)
		exit(1);
	int64_t t0 = ykt_monotonic_ns();

	for (int i = 0; i < n; i++)
		ykt_display_present(d, &s, c);
	print("png_write_800x480", (double)(ykt_monotonic_ns() - t0) / n / 1e6, "ms");
	ykt_display_free(d);
	ui_canvas_free(c);
}

/* what ykt_ui_show() costs the tap, the render thread busy meanwhile */
static void bench_post(int n)
{
	char uri[600], err[256];
	struct ykt_ui_options o = { uri, NULL, 0 };
	struct ykt_ui *ui;
	struct ui_screen s;
	const char *name;
	struct samples *lat = calloc(1, sizeof(*lat));

	snprintf(uri, sizeof(uri), "fbfile:%s/post,800x480,32", dir);
	if (!lat || ykt_ui_new(&o, &ui, err, sizeof(err)) < 0)
		exit(1);
	ui_screen_sample(2, &s, &name);
	for (int i = 0; i < n && lat->n < sizeof(lat->v) / sizeof(lat->v[0]); i++) {
		int64_t t0 = ykt_monotonic_ns();

		ykt_ui_show(ui, &s);
		lat->v[lat->n++] = (double)(ykt_monotonic_ns() - t0) / 1e3;
		if (i % 16 == 15)
			ykt_ui_flush(ui);
	}
	ykt_ui_free(ui);
	print("post_screen_p50", pct(lat, 50), "us");
	print("post_screen_p99", pct(lat, 99), "us");
	print("post_screen_size", (double)sizeof(struct ui_screen), "bytes");
	free(lat);
}

int main(int argc, char **argv)
{
	bool tiny = arg_flag(argc, argv, "--tiny");
	int taps = arg_int(argc, argv, "--taps", tiny ? 10 : 200);
	int rounds = arg_int(argc, argv, "--rounds", tiny ? 1 : 3);
	int paced_taps = arg_int(argc, argv, "--paced-taps", tiny ? 0 : 60);
	int renders = arg_int(argc, argv, "--renders", tiny ? 1 : 20);
	const char *tmp = getenv("TMPDIR");

	/* the store's fsyncs on a disk vary by milliseconds from tap to tap and
	 * would hide what the display adds: by default the shift runs on tmpfs */
	if (!arg_flag(argc, argv, "--disk") && access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	snprintf(dir, sizeof(dir), "%s/ykt-bench-display-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# shift files in %s\n", dir);
	write_cards();
	write_config();
	write_script(taps);
	bench_taps("back_to_back", false, rounds);
	if (paced_taps > 0) {
		write_script(paced_taps);
		bench_taps("paced", true, tiny ? 1 : 2);
	}
	bench_render_size(480, 272, renders);
	bench_render_size(800, 480, renders);
	bench_present(tiny ? 1 : 50);
	bench_post(tiny ? 16 : 2000);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
