/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The render thread's mailbox keeps only the newest screen:
 *   - the thread is held inside a display write (a text: display on a FIFO
 *     whose buffer the test filled), 100 screens are posted meanwhile, and
 *     once the FIFO drains at most the screen it was writing and the last
 *     one are drawn: every screen in between is counted as superseded;
 *   - posting never waits for the display (the posts above return while
 *     the thread is stuck in write());
 *   - a tap's screen is held, then the base screen (idle) comes back; an
 *     unchanged base is not redrawn, a changed one is;
 *   - display none draws nothing and starts no thread.
 */
#include "check.h"
#include "screen.h"
#include "ui.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POSTS 100

static char dir[512];

static void paid_screen(struct ui_screen *s, int fen)
{
	const char *name;

	ui_screen_sample(2, s, &name); /* paid */
	s->u.paid.amount_fen = fen;
	s->u.paid.nominal_fen = fen;
}

/* a FIFO with a small buffer, already full: a writer blocks */
static int full_fifo(const char *path)
{
	int rfd, wfd;

	CHECK(mkfifo(path, 0600) == 0, "mkfifo: %s", strerror(errno));
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	wfd = open(path, O_WRONLY | O_NONBLOCK);
	CHECK(rfd >= 0 && wfd >= 0, "open fifo: %s", strerror(errno));
	fcntl(rfd, F_SETPIPE_SZ, 4096);
	while (write(wfd, "x", 1) == 1)
		;
	CHECK(errno == EAGAIN, "filling the fifo: %s", strerror(errno));
	close(wfd);
	return rfd;
}

/* read the FIFO until the line for the last post has come */
static void drain(int rfd, char *out, size_t cap)
{
	size_t used = 0;
	ssize_t n;

	fcntl(rfd, F_SETFL, 0); /* blocking */
	while (used + 1 < cap && (n = read(rfd, out + used, cap - 1 - used)) > 0) {
		used += (size_t)n;
		out[used] = '\0';
		if (strstr(out, "| ¥0.99 |"))
			break;
	}
	out[used] = '\0';
}

static void check_latest_wins(void)
{
	static char text[1 << 16];
	struct ykt_ui_options o = { .hold_ms = 60000 };
	struct ykt_ui_stats st;
	struct ykt_ui *ui = NULL;
	char path[600], uri[640], err[256];
	struct ui_screen s;
	int rfd, lines = 0;
	const char *last = NULL;

	snprintf(path, sizeof(path), "%s/display.fifo", dir);
	rfd = full_fifo(path);
	snprintf(uri, sizeof(uri), "text:%s", path);
	o.display_uri = uri;
	CHECK_INT(ykt_ui_new(&o, &ui, err, sizeof(err)), 0);
	if (!ui)
		return;
	for (int i = 0; i < POSTS; i++) {
		paid_screen(&s, i);
		ykt_ui_show(ui, &s); /* returns while the thread is stuck writing */
	}
	drain(rfd, text, sizeof(text));
	ykt_ui_flush(ui);
	ykt_ui_get_stats(ui, &st);
	for (char *p = strstr(text, "screen: "); p; p = strstr(p + 1, "screen: ")) {
		lines++;
		last = p;
	}
	CHECK(lines >= 1 && lines <= 2, "%d screens drawn, want the held one and the last", lines);
	CHECK(last && strstr(last, "| ¥0.99 |"), "the last drawn is not the last posted");
	CHECK_INT(st.posted, POSTS);
	CHECK_INT(st.rendered, lines);
	CHECK_INT(st.rendered + st.superseded, POSTS);
	CHECK(st.superseded >= POSTS - 2, "only %llu superseded",
	      (unsigned long long)st.superseded);
	ykt_ui_free(ui);
	close(rfd);
}

static size_t count_lines(const char *path, const char *word)
{
	char line[1024];
	size_t n = 0;
	FILE *f = fopen(path, "re");

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, word) != NULL;
	if (f)
		fclose(f);
	return n;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

static void check_base_returns(void)
{
	struct ykt_ui_options o = { .hold_ms = 1 };
	struct ykt_ui_stats st;
	struct ykt_ui *ui = NULL;
	char path[600], uri[640], err[256];
	struct ui_screen idle, paid, oos;
	const char *name;

	snprintf(path, sizeof(path), "%s/display.txt", dir);
	snprintf(uri, sizeof(uri), "text:%s", path);
	o.display_uri = uri;
	CHECK_INT(ykt_ui_new(&o, &ui, err, sizeof(err)), 0);
	if (!ui)
		return;
	ui_screen_sample(0, &idle, &name);
	paid_screen(&paid, 200);
	/* the first out-of-service sample, after the paid and refused ones */
	for (size_t i = 0; ui_screen_sample(i, &oos, &name); i++)
		if (oos.kind == UI_SCREEN_OUT_OF_SERVICE)
			break;
	CHECK(oos.kind == UI_SCREEN_OUT_OF_SERVICE, "sample %s", name);
	ykt_ui_set_base(ui, &idle);
	ykt_ui_flush(ui);
	ykt_ui_show(ui, &paid);
	ykt_ui_flush(ui);
	/* the hold is 1 ms: wait (up to 10 s) for idle to come back */
	for (int i = 0; i < 1000 && count_lines(path, "screen: idle") < 2; i++)
		sleep_ms(10);
	CHECK_INT(count_lines(path, "screen: idle"), 2);
	CHECK_INT(count_lines(path, "screen: paid"), 1);
	ykt_ui_get_stats(ui, &st);
	ykt_ui_set_base(ui, &idle); /* unchanged: not drawn again */
	ykt_ui_flush(ui);
	CHECK_INT(count_lines(path, "screen: idle"), 2);
	ykt_ui_set_base(ui, &oos);
	ykt_ui_flush(ui);
	CHECK_INT(count_lines(path, "screen: out-of-service"), 1);
	ykt_ui_free(ui);
}

static void check_none(void)
{
	struct ykt_ui_options o = { .display_uri = "none" };
	struct ykt_ui_stats st;
	struct ykt_ui *ui = NULL;
	struct ui_screen s;
	char err[256];

	CHECK_INT(ykt_ui_new(&o, &ui, err, sizeof(err)), 0);
	if (!ui)
		return;
	CHECK(ykt_ui_is_none(ui), "none");
	paid_screen(&s, 1);
	ykt_ui_show(ui, &s);
	ykt_ui_set_base(ui, &s);
	ykt_ui_flush(ui);
	ykt_ui_get_stats(ui, &st);
	CHECK(st.posted == 1 && st.rendered == 0, "none drew %llu",
	      (unsigned long long)st.rendered);
	ykt_ui_free(ui);
	o.display_uri = "vga:0";
	CHECK_INT(ykt_ui_new(&o, &ui, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "unknown display") != NULL, "reason '%s'", err);
}

int main(void)
{
	check_tmpdir(dir, sizeof(dir));
	check_latest_wins();
	check_base_returns();
	check_none();
	check_rm_rf(dir);
	return check_result();
}
