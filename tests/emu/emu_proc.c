/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "emu_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define EMU_MAX_ARGS 32

int emu_proc_start(struct emu_proc *p, const char *emu_path, const char *dir,
		   const char *const *args)
{
	const char *argv[EMU_MAX_ARGS] = { emu_path, "--link", p->link };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	char line[256];
	size_t n = 3;
	int fds[2], rc;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	snprintf(p->link, sizeof(p->link), "%s/pn532", dir);
	snprintf(p->uri, sizeof(p->uri), "libnfc:pn532_uart:%s", p->link);
	argv[2] = p->link;
	for (size_t i = 0; args && args[i] && n < EMU_MAX_ARGS - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none); /* the validator blocks SIGTERM */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawn(&p->pid, emu_path, &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		p->pid = -1;
		return -rc;
	}
	p->out = fdopen(fds[0], "r");
	if (!p->out)
		return -errno;
	return emu_proc_wait(p, "pty ", line, sizeof(line));
}

int emu_proc_wait(struct emu_proc *p, const char *prefix, char *line, size_t cap)
{
	char buf[256];

	while (p->out && fgets(buf, sizeof(buf), p->out)) {
		if (strncmp(buf, prefix, strlen(prefix)) != 0)
			continue;
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(line, cap, "%s", buf);
		return 0;
	}
	return -EPIPE;
}

static int reap(struct emu_proc *p)
{
	int status = 0;

	if (p->pid > 0 && waitpid(p->pid, &status, 0) < 0)
		status = -1;
	p->pid = -1;
	if (p->out)
		fclose(p->out);
	p->out = NULL;
	return status < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int emu_proc_stop(struct emu_proc *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGTERM);
	return reap(p);
}

void emu_proc_kill(struct emu_proc *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGKILL);
	reap(p);
}
