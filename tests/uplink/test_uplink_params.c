/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parameters down through `ykt sync`: the reference platform offers
 * packages built and signed by ykt-params-pack with a test key made here;
 * the uplink downloads those newer than what is installed, in version order,
 * into its staging directory, and the parameters module verifies and
 * installs them.  A tampered package is refused and changes nothing, a
 * download cut in the middle is refused and fetched again by the next pass,
 * kinds this build does not install are left alone, and a terminal with no
 * [params] directory says so.
 *
 * Usage: test-uplink-params YKT MAKE_CERTS KEYS YKT_PARAMS_PACK
 */
#include "uplink_test.h"

#include "clock.h"
#include "params.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_argc;
static char **g_argv;
static const char *pack_tool;

struct pkg_env {
	struct env e;
	char offer[600]; /* the platform's package directory */
	char key[600];	 /* the platform's test private key */
};

static void run(char *const argv[])
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s failed\n", argv[0]);
		abort();
	}
}

/* KIND-VERSION.pkg in the platform's directory, from INPUT. */
static void pack(struct pkg_env *p, const char *kind, unsigned version, unsigned base,
		 const char *input)
{
	char out[700], v[16], b[16];

	snprintf(out, sizeof(out), "%s/%s-%u.pkg", p->offer, kind, version);
	snprintf(v, sizeof(v), "%u", version);
	snprintf(b, sizeof(b), "%u", base);
	if (base)
		run((char *const[]){ (char *)pack_tool, "--kind", (char *)kind, "--version", v,
				     "--base", b, "--key", p->key, (char *)input, out, NULL });
	else
		run((char *const[]){ (char *)pack_tool, "--kind", (char *)kind, "--version", v,
				     "--key", p->key, (char *)input, out, NULL });
}

static void data_file(const struct pkg_env *p, const char *name, char *out, size_t cap)
{
	char keys[512];

	snprintf(keys, sizeof(keys), "%s", p->e.keys);
	snprintf(out, cap, "%s/../params/%s", dirname(keys), name);
}

static void setup(struct pkg_env *p, bool configured)
{
	struct platform_options po = { 0 };
	char pub[600];

	env_init(&p->e, g_argc, g_argv);
	snprintf(p->offer, sizeof(p->offer), "%s/offer", p->e.dir);
	snprintf(p->key, sizeof(p->key), "%s/platform.key", p->e.dir);
	snprintf(pub, sizeof(pub), "%s/platform.pub", p->e.dir);
	if (mkdir(p->offer, 0700) < 0)
		abort();
	run((char *const[]){ (char *)pack_tool, "--genkey", p->key, pub, NULL });
	po.params_dir = p->offer;
	env_platform(&p->e, &po, false);
	if (configured)
		snprintf(p->e.conf_extra, sizeof(p->e.conf_extra),
			 "[params]\ndir = params\npublic_key = platform.pub\n");
}

/* The versions installed, by set (0: none). */
static int note(const struct ykt_params_version *v, void *userdata)
{
	uint32_t *versions = userdata;

	if (v->set < YKT_PARAM__COUNT && v->version > versions[v->set])
		versions[v->set] = v->version;
	return 0;
}

static void installed(struct pkg_env *p, uint32_t versions[YKT_PARAM__COUNT])
{
	char dir[600], pub[600], err[256] = "";
	struct ykt_params_options po = { .dir = dir, .public_key_path = pub };
	struct ykt_params *params = NULL;
	struct ykt_clock *clock = NULL;

	memset(versions, 0, YKT_PARAM__COUNT * sizeof(uint32_t));
	snprintf(dir, sizeof(dir), "%s/params", p->e.dir);
	snprintf(pub, sizeof(pub), "%s/platform.pub", p->e.dir);
	po.store = env_store(&p->e);
	CHECK(ykt_clock_new("system:", &clock) == 0, "no clock");
	po.clock = clock;
	if (ykt_params_open(&po, &params, err, sizeof(err)) == 0)
		ykt_params_list(params, note, versions);
	else
		CHECK(0, "parameters: %s", err);
	ykt_params_free(params);
	ykt_clock_free(clock);
	store_close(po.store);
}

static int files_in(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void fetched(void)
{
	struct pkg_env p;
	uint32_t v[YKT_PARAM__COUNT];
	char out[4096], serials[600], delta[600], whitelist[600], staging[600];

	printf("== newer packages fetched and installed, in version order\n");
	setup(&p, true);
	check_write_file(p.e.dir, "serials.txt", "10001000000000000001\n10001000000000000002\n",
			 serials, sizeof(serials));
	check_write_file(p.e.dir, "delta.txt", "+10001000000000000003\n", delta, sizeof(delta));
	data_file(&p, "whitelist.json", whitelist, sizeof(whitelist));
	pack(&p, "blacklist-full", 1, 0, serials);
	pack(&p, "blacklist-delta", 2, 1, delta);
	pack(&p, "whitelist", 1, 0, whitelist);
	CHECK_INT(env_sync(&p.e, out, sizeof(out), NULL), 0);
	CHECK(strstr(out, "params fetched 3, installed 3, failed 0") != NULL, "summary: %s", out);
	installed(&p, v);
	CHECK_INT(v[YKT_PARAM_BLACKLIST], 2);
	CHECK_INT(v[YKT_PARAM_WHITELIST], 1);
	snprintf(staging, sizeof(staging), "%s/params-staging", p.e.dir);
	CHECK_INT(files_in(staging), 0);
	/* the heartbeat reports what is installed */
	CHECK_INT(db_int(p.e.platform_db,
			 "SELECT count(*) FROM heartbeat, json_each(body, '$.params')"
			 " WHERE json_extract(value, '$.set') = 'blacklist'"
			 " AND json_extract(value, '$.version') = 2"),
		  1);

	/* nothing new: nothing fetched */
	CHECK_INT(env_sync(&p.e, out, sizeof(out), NULL), 0);
	CHECK(strstr(out, "params fetched 0, installed 0, failed 0") != NULL, "summary: %s", out);

	/* a newer full list supersedes: the deltas below it are not fetched */
	pack(&p, "blacklist-delta", 3, 2, delta);
	pack(&p, "blacklist-full", 4, 0, serials);
	CHECK_INT(env_sync(&p.e, out, sizeof(out), NULL), 0);
	CHECK(strstr(out, "params fetched 1, installed 1, failed 0") != NULL, "summary: %s", out);
	installed(&p, v);
	CHECK_INT(v[YKT_PARAM_BLACKLIST], 4);
	env_done(&p.e);
}

/* Flip the last byte of a package: its payload no longer matches the SM3
 * its signed header carries. */
static void tamper(const struct pkg_env *p, const char *name)
{
	char path[700];
	unsigned char c;
	int fd;
	off_t end;

	snprintf(path, sizeof(path), "%s/%s", p->offer, name);
	fd = open(path, O_RDWR);
	end = fd >= 0 ? lseek(fd, -1, SEEK_END) : -1;
	if (end < 0 || read(fd, &c, 1) != 1 ||
	    pwrite(fd, &(unsigned char){ c ^ 0x01 }, 1, end) != 1)
		abort();
	close(fd);
}

static void refused(void)
{
	struct pkg_env p;
	uint32_t v[YKT_PARAM__COUNT];
	char out[4096], fares[600], rules[600], settings[600], junk[700];

	printf("== a tampered package, a download cut short, kinds this build does not take\n");
	setup(&p, true);
	data_file(&p, "fare-flat.json", fares, sizeof(fares));
	data_file(&p, "card-rules.json", rules, sizeof(rules));
	data_file(&p, "device-settings.json", settings, sizeof(settings));
	pack(&p, "fare-table", 1, 0, fares);
	pack(&p, "card-rules", 1, 0, rules);
	tamper(&p, "fare-table-1.pkg");
	/* offered, but not for this build: left alone, not a failure */
	check_write_file(p.offer, "transfer-rules-1.pkg", "not for us", junk, sizeof(junk));
	check_write_file(p.offer, "future-kind-9.pkg", "not for us", junk, sizeof(junk));
	CHECK_INT(env_sync(&p.e, out, sizeof(out), NULL), 6);
	CHECK(strstr(out, "params fetched 2, installed 1, failed 1") != NULL, "summary: %s", out);
	CHECK(strstr(out, "fare-table 1 refused") != NULL, "reason: %s", out);
	installed(&p, v);
	CHECK_INT(v[YKT_PARAM_FARE_TABLE], 0);
	CHECK_INT(v[YKT_PARAM_CARD_RULES], 1);

	/* half the file, then the connection closed: refused; the next pass
	 * gets it whole */
	unlink(strcat(strcpy(junk, p.offer), "/fare-table-1.pkg"));
	pack(&p, "device-settings", 1, 0, settings);
	platform_package_fault_next(p.e.platform, PLATFORM_FAULT_DROP_RESPONSE, 1);
	CHECK_INT(env_sync(&p.e, out, sizeof(out), NULL), 6);
	CHECK(strstr(out, "params fetched 0, installed 0, failed 1") != NULL, "summary: %s", out);
	CHECK_INT(env_sync(&p.e, out, sizeof(out), NULL), 0);
	CHECK(strstr(out, "params fetched 1, installed 1, failed 0") != NULL, "summary: %s", out);
	installed(&p, v);
	CHECK_INT(v[YKT_PARAM_DEVICE_SETTINGS], 1);
	env_done(&p.e);
}

static void not_configured(void)
{
	struct pkg_env p;
	char out[4096], rules[600];

	printf("== packages offered to a terminal without [params]\n");
	setup(&p, false);
	data_file(&p, "card-rules.json", rules, sizeof(rules));
	pack(&p, "card-rules", 1, 0, rules);
	CHECK_INT(env_sync(&p.e, out, sizeof(out), NULL), 6);
	CHECK(strstr(out, "no [params] dir configured") != NULL, "reason: %s", out);
	env_done(&p.e);
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s YKT MAKE_CERTS KEYS YKT_PARAMS_PACK\n", argv[0]);
		return 2;
	}
	g_argc = argc;
	g_argv = argv;
	pack_tool = argv[4];
	fetched();
	refused();
	not_configured();
	return check_result();
}
