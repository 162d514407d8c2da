// SPDX-License-Identifier: GPL-2.0
/*
 * klp-bench - the guest side of make bench: the timings a shell cannot
 * take precisely (TCG makes every fork of a shell tool cost milliseconds).
 *
 *   klp-bench load FILE.ko NAME    load a live patch; prints the ms until
 *                                  init_module returned and until
 *                                  /sys/kernel/livepatch/NAME/transition
 *                                  read 0, then the clock at that moment
 *   klp-bench unload NAME MODULE   disable the patch, wait until it is
 *                                  gone, remove the module; prints ms
 *   klp-bench rmmod MODULE         remove a module whose patch is gone
 *                                  (replaced), waiting while it is busy
 *   klp-bench sleepers N           start N threads that sleep in pause();
 *                                  prints "ready" and waits for SIGTERM
 *   klp-bench spinners N           start N processes that spin
 *   klp-bench now                  CLOCK_MONOTONIC in ms
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int read_flag(const char *path)
{
	char c = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '1' ? 1 : c == '0' ? 0 : -1;
}

/* Poll every 100 us until @path reads @want (or is gone, want -1). */
static int wait_flag(const char *path, int want, double limit_ms)
{
	double start = now_ms();
	struct timespec pause = { 0, 100000 };

	while (read_flag(path) != want) {
		if (now_ms() - start > limit_ms)
			return -1;
		nanosleep(&pause, NULL);
	}
	return 0;
}

static int cmd_load(const char *file, const char *name)
{
	char path[256];
	double t0, t1, t2;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		perror(file);
		return 1;
	}
	snprintf(path, sizeof(path), "/sys/kernel/livepatch/%s/transition",
		 name);
	t0 = now_ms();
	if (syscall(SYS_finit_module, fd, "", 0)) {
		perror("finit_module");
		return 1;
	}
	t1 = now_ms();
	if (wait_flag(path, 0, 600000)) {
		fprintf(stderr, "%s: transition did not finish\n", name);
		return 1;
	}
	t2 = now_ms();
	printf("%.3f %.3f %.3f\n", t1 - t0, t2 - t0, t2);
	close(fd);
	return 0;
}

/*
 * A patch's sysfs directory goes before the core drops its reference to
 * the module: a busy module may need a moment more.
 */
static int remove_module(const char *module, double t0)
{
	while (syscall(SYS_delete_module, module, O_NONBLOCK)) {
		struct timespec pause = { 0, 1000000 };

		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			perror("delete_module");
			return 1;
		}
		if (now_ms() - t0 > 600000) {
			fprintf(stderr, "%s: module still busy\n", module);
			return 1;
		}
		nanosleep(&pause, NULL);
	}
	return 0;
}

static int cmd_unload(const char *name, const char *module)
{
	char path[256];
	double t0 = now_ms();
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/livepatch/%s/enabled", name);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		perror(path);
		return 1;
	}
	close(fd);
	if (wait_flag(path, -1, 600000)) {
		fprintf(stderr, "%s: still there\n", name);
		return 1;
	}
	if (remove_module(module, t0))
		return 1;
	printf("%.3f\n", now_ms() - t0);
	return 0;
}

static int cmd_rmmod(const char *module)
{
	double t0 = now_ms();

	if (remove_module(module, t0))
		return 1;
	printf("%.3f\n", now_ms() - t0);
	return 0;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static int cmd_sleepers(long n)
{
	pthread_attr_t attr;
	sigset_t set;
	int sig;
	long i;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);	/* inherited by the threads */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < n; i++) {
		pthread_t t;
		int err = pthread_create(&t, &attr, sleeper, NULL);

		if (err) {
			fprintf(stderr, "thread %ld: %s\n", i, strerror(err));
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	return 0;
}

static int cmd_spinners(long n)
{
	long i;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			volatile unsigned long x = 0;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				x++;
		}
		if (pid < 0) {
			perror("fork");
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "load"))
		return cmd_load(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "unload"))
		return cmd_unload(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "rmmod"))
		return cmd_rmmod(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "sleepers"))
		return cmd_sleepers(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "spinners"))
		return cmd_spinners(atol(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "now")) {
		printf("%.3f\n", now_ms());
		return 0;
	}
	fprintf(stderr, "usage: klp-bench load FILE.ko NAME | unload NAME MODULE"
		" | rmmod MODULE | sleepers N | spinners N | now\n");
	return 2;
}
