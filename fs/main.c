// SPDX-License-Identifier: MIT
/*
 * mtreefs: build a machine and mount its memory topology as a FUSE
 * filesystem (README.md's "The filesystem" and "The daemon", mtreefs(1)).
 * Without -f the daemon forks first and the parent waits until the child has
 * built the machine, mounted it and answered the kernel's first request, so
 * `mtreefs MNT && ls MNT` works, errors reach the terminal and exit 0 always
 * means a mount that serves. The machine is built in the child because a KVM
 * VM belongs to the process that created it. One daemon per mountpoint (an
 * flock on it); the mount's device is handed to vmm so that nothing it opens
 * later can be a file on this mount. SIGINT/SIGTERM/SIGHUP end the session
 * loop and unmount cleanly.
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vmm/machine.h>
#include <vmm/path.h>

#include "attach.h"
#include "mtreefs.h"

#define MTREEFS_VERSION "0.1"
/*
 * Descriptors the daemon needs before any ctl command runs (/dev/fuse, KVM's
 * system, VM and vCPU fds, a memfd per block, the loop's pipes, with room to
 * spare): fewer is refused at start, never found out later as a quietly
 * different machine (no KVM) or a caller whose pipe is never closed.
 */
#define MTREEFS_MIN_FDS 64

struct cli {
	const char *mnt;
	char mnt_real[PATH_MAX];	/* resolved before mounting: never a request to ourselves */
	struct vmm_machine_opts mo;
	struct mfs_attach_opts attach;
	mode_t ram_mode;
	size_t max_pinned;
	bool foreground;
	bool debug;
	struct fuse_args fargs;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mtreefs MOUNTPOINT [options]\n"
		"\n"
		"Builds a machine and mounts its memory topology at MOUNTPOINT.\n"
		"\n"
		"  --machine M        pc (default, i440fx) or q35, as QEMU builds them\n"
		"  -m SIZE            guest RAM (default 512M; K M G suffixes)\n"
		"  -smp N             vCPUs (default 1; the firmware runs on vCPU 0)\n"
		"  --ram-backend B    anon (default), memfd or file:PATH for pc.ram\n"
		"  --accel A          kvm, none or auto (default: kvm when /dev/kvm works)\n"
		"  --script FILE      build the topology from a control script\n"
		"  --qemu-dump DIR    import QEMU's info mtree -D (and -f) text from DIR\n"
		"  --qemu SOCKET      attach to the running QEMU at this QMP socket instead\n"
		"  --refresh MS       with --qemu: re-read its topology when older (default 200)\n"
		"  --writable-ram     with --qemu: let ram files write QEMU's guest RAM\n"
		"  --ram-mode MODE    permission bits of the ram files (octal, default 0600;\n"
		"                     others need -o allow_other too); ctl stays owner-only\n"
		"  -f                 stay in the foreground\n"
		"  -d                 FUSE debug output (implies -f)\n"
		"  -o OPT[,OPT...]    FUSE mount options (allow_other, max_read=N, ...)\n"
		"  -o max_pinned=SIZE bytes one user's open files may pin (default 64M;\n"
		"                     0: no bound); the mounting user is not bounded\n"
		"  -h, --help         this text\n"
		"  -V, --version      the version\n"
		"\n"
		"Unmount with 'fusermount3 -u MOUNTPOINT' or by signalling the daemon.\n");
}

/* Guest memory is data, never a program: no x, setuid or sticky bits; the owner keeps rw. */
static int parse_mode(const char *s, mode_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || end == s || *end || (v & ~0666ul) || (v & 0600) != 0600)
		return -1;
	*out = (mode_t)v;
	return 0;
}

/* The same words vmm accepts, checked here so a typo is a usage error (exit 2). */
static int check_accel(const char *a)
{
	if (!strcmp(a, "kvm") || !strcmp(a, "none") || !strcmp(a, "auto"))
		return 0;
	fprintf(stderr, "mtreefs: unknown accelerator '%s' (kvm, none, auto)\n", a);
	return -1;
}

/* The daemon works in "/", so a relative backing file is refused rather than guessed at. */
static int check_backend(const char *b)
{
	if (!strcmp(b, "anon") || !strcmp(b, "memfd") || (!strncmp(b, "file:", 5) && b[5] == '/'))
		return 0;
	if (!strncmp(b, "file:", 5) && b[5])
		fprintf(stderr, "mtreefs: backing file '%s' must be an absolute path\n", b + 5);
	else
		fprintf(stderr, "mtreefs: unknown backend '%s' (anon, memfd or file:PATH)\n", b);
	return -1;
}

static int parse_ms(const char *s, unsigned *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 3600000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_cli(int argc, char **argv, struct cli *c)
{
	static const struct option longopts[] = {
		{ "machine", required_argument, NULL, 'M' },
		{ "smp", required_argument, NULL, 'S' },
		{ "ram-backend", required_argument, NULL, 'b' },
		{ "accel", required_argument, NULL, 'a' },
		{ "script", required_argument, NULL, 's' },
		{ "qemu-dump", required_argument, NULL, 'q' },
		{ "ram-mode", required_argument, NULL, 'r' },
		{ "qemu", required_argument, NULL, 'Q' },
		{ "refresh", required_argument, NULL, 'R' },
		{ "writable-ram", no_argument, NULL, 'W' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	vmm_u128 size;
	unsigned long n;
	char *end;
	int opt;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-smp"))	/* QEMU spells it with one dash */
			argv[i] = "--smp";
	while ((opt = getopt_long(argc, argv, "m:fdo:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (vmm_parse_size(optarg, &size) < 0 || size == 0 || size >> 63) {
				fprintf(stderr, "mtreefs: bad RAM size '%s'\n", optarg);
				return 2;
			}
			c->mo.ram_size = (uint64_t)size;
			break;
		case 'M': c->mo.machine = optarg; break;
		case 'S':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || n < 1 || n > 255) {
				fprintf(stderr, "mtreefs: bad -smp '%s': a vCPU count 1..255\n",
					optarg);
				return 2;
			}
			c->mo.vcpus = (unsigned)n;
			break;
		case 'b':
			if (check_backend(optarg) < 0)
				return 2;
			c->mo.ram_backend = optarg;
			break;
		case 'a':
			if (check_accel(optarg) < 0)
				return 2;
			c->mo.accel = optarg;
			break;
		case 's': c->mo.script = optarg; break;
		case 'q': c->mo.qemu_dump = optarg; break;
		case 'r':
			if (parse_mode(optarg, &c->ram_mode) < 0) {
				fprintf(stderr, "mtreefs: bad --ram-mode '%s': an octal mode within "
					"0666 that keeps the owner's read and write\n", optarg);
				return 2;
			}
			break;
		case 'Q': c->attach.socket = optarg; break;
		case 'R':
			if (parse_ms(optarg, &c->attach.refresh_ms) < 0) {
				fprintf(stderr, "mtreefs: bad --refresh '%s': milliseconds\n", optarg);
				return 2;
			}
			break;
		case 'W': c->attach.writable = true; break;
		case 'f': c->foreground = true; break;
		case 'd': c->debug = c->foreground = true; break;
		case 'o':
			if (fuse_opt_add_arg(&c->fargs, "-o") || fuse_opt_add_arg(&c->fargs, optarg))
				return 1;
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("mtreefs %s\n", MTREEFS_VERSION); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	c->mnt = argv[optind];
	if (c->attach.socket && (c->mo.script || c->mo.qemu_dump)) {
		fprintf(stderr, "mtreefs: --qemu shows a running QEMU: no --script or --qemu-dump\n");
		return 2;
	}
	return 0;
}

/*
 * libfuse parses -o only when the session is made, after the machine is
 * built; a throwaway session on a copy of the options finds a typo first, so
 * it is a usage error (exit 2) that costs nothing.
 */
static int check_fuse_opts(const struct cli *c)
{
	struct fuse_args copy = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se = NULL;
	int i;

	for (i = 0; i < c->fargs.argc; i++)
		if (fuse_opt_add_arg(&copy, c->fargs.argv[i]))
			break;
	if (i == c->fargs.argc)
		se = fuse_session_new(&copy, &mfs_ops, sizeof(mfs_ops), NULL);
	fuse_opt_free_args(&copy);
	if (!se) {
		fprintf(stderr, "mtreefs: bad -o options (see mount.fuse3(8) for FUSE's own)\n");
		return -1;
	}
	fuse_session_destroy(se);
	return 0;
}

/* Before anything opens a file: with too few descriptors even the -o check fails. */
static int check_fds(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MTREEFS_MIN_FDS) {
		fprintf(stderr, "mtreefs: too few file descriptors: ulimit -n is %llu, mtreefs "
			"needs at least %d\n", (unsigned long long)rl.rlim_cur, MTREEFS_MIN_FDS);
		return -1;
	}
	return 0;
}

/* Say clearly why we cannot mount, before building anything. */
static int check_environment(const char *mnt)
{
	struct stat st;
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "mtreefs: cannot open /dev/fuse: %s\n%s", strerror(errno),
			errno == ENOENT ? "  load the fuse module (modprobe fuse) or give the "
					  "container --device /dev/fuse\n" : "");
		return -1;
	}
	close(fd);
	if (stat(mnt, &st) < 0) {
		if (errno == ENOTCONN)
			fprintf(stderr, "mtreefs: %s is a dead FUSE mount; run 'fusermount3 -u %s'\n",
				mnt, mnt);
		else
			fprintf(stderr, "mtreefs: mountpoint %s: %s\n", mnt, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "mtreefs: mountpoint %s is not a directory\n", mnt);
		return -1;
	}
	return 0;
}

/*
 * The newest FUSE mount exactly at @real (a resolved path) in
 * /proc/self/mountinfo: true, with its device number in @dev when not NULL.
 */
static bool fuse_mount_at(const char *real, dev_t *dev)
{
	char line[4096], point[PATH_MAX], type[256];
	unsigned maj, min;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (sscanf(line, "%*s %*s %u:%u %*s %4095s", &maj, &min, point) == 3 && sep &&
		    sscanf(sep + 3, "%255s", type) == 1 && !strcmp(point, real) &&
		    !strncmp(type, "fuse", 4)) {
			found = true;
			if (dev)
				*dev = makedev(maj, min);
		}
	}
	fclose(f);
	return found;
}

/*
 * What the daemon still owes its starter once it serves: the verdict on the
 * notify pipe, and the caller's stdin/stdout/stderr given back (so
 * `$(mtreefs MNT)` returns). /dev/null is opened before the machine is built,
 * so running out of descriptors is a start-up error with a message.
 */
static struct {
	int notify;
	int null;
	bool pending;
	bool serving;		/* INIT answered */
	int lock;		/* the mountpoint's flock (see lock_mountpoint) */
} starter = { -1, -1, false, false, -1 };

static void detach(void)
{
	char ok = 0;

	if (!starter.pending)
		return;
	starter.pending = false;
	if (starter.notify >= 0) {
		if (write(starter.notify, &ok, 1) != 1)
			perror("mtreefs: notify");
		close(starter.notify);
		starter.notify = -1;
	}
	dup2(starter.null, 0);
	dup2(starter.null, 1);
	dup2(starter.null, 2);
	close(starter.null);
	starter.null = -1;
	if (chdir("/") < 0)
		perror("mtreefs: chdir");
}

/*
 * The kernel's INIT is the first request the session loop reads: once it is
 * answered the mount serves. Only then does the starter hear "mounted" (exit
 * 0); a loop that cannot start (no memory for its first thread) still has
 * the terminal for its message, and the starter exits 1.
 */
static struct fuse_lowlevel_ops run_ops;

static void run_init(void *userdata, struct fuse_conn_info *conn)
{
	mfs_ops.init(userdata, conn);
	starter.serving = true;
	detach();
}

/*
 * One daemon per mountpoint: two started at the same instant would both see
 * it free and both mount. An flock on the directory itself, held (through the
 * fork) until the daemon has unmounted, serialises them: the second waits
 * while the first starts or stops, then finds it mounted (busy) or gone. The
 * kernel drops the lock when a daemon dies, however it dies.
 */
#define LOCK_WAIT_MS	20000	/* longer than building any machine we know */

static int lock_mountpoint(const char *mnt, const char *real)
{
	int fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "mtreefs: mountpoint %s: %s\n", mnt, strerror(errno));
		return -1;
	}
	for (int ms = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; ms += 50) {
		if (errno != EWOULDBLOCK || fuse_mount_at(real, NULL) || ms >= LOCK_WAIT_MS) {
			fprintf(stderr, "mtreefs: mountpoint %s is busy: another mtreefs %s there\n",
				mnt, errno != EWOULDBLOCK ? "holds it" :
				ms >= LOCK_WAIT_MS ? "is still starting" : "is mounted");
			close(fd);
			return -1;
		}
		usleep(50 * 1000);
	}
	starter.lock = fd;
	return 0;
}

static void unlock_mountpoint(void)
{
	if (starter.lock >= 0)
		close(starter.lock);
	starter.lock = -1;
}

static struct fuse_session *mount_fs(struct cli *c, struct mfs *fs)
{
	struct fuse_session *se;

	if (fuse_opt_add_arg(&c->fargs, "-o") ||
	    fuse_opt_add_arg(&c->fargs, "default_permissions,fsname=mtreefs,subtype=mtreefs") ||
	    (c->debug && fuse_opt_add_arg(&c->fargs, "-d")))
		return NULL;
	run_ops = mfs_ops;
	run_ops.init = run_init;
	se = fuse_session_new(&c->fargs, &run_ops, sizeof(run_ops), fs);
	if (!se)
		return NULL;
	if (fuse_session_mount(se, c->mnt) != 0) {
		fprintf(stderr, "mtreefs: cannot mount at %s\n", c->mnt);
		fuse_session_destroy(se);
		return NULL;
	}
	return se;
}

static int serve(struct fuse_session *se)
{
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	int rc;

	if (!cfg)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(cfg, 0);
	fuse_loop_cfg_set_idle_threads(cfg, 8);
	rc = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return rc;
}

/* Fork; the parent exits with the child's verdict, written to @fd[1] once serving. */
static int daemonize(int *notify)
{
	int p[2];
	pid_t pid;
	char ok = 1;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &ok, 1) != 1)
			ok = 1;
		_exit(ok ? 1 : 0);
	}
	close(p[0]);
	setsid();
	*notify = p[1];
	return 0;
}

static int run(struct cli *c)
{
	struct mfs fs = { 0 };
	struct fuse_session *se;
	struct vmm_err err;
	sigset_t sigs, old;
	dev_t dev;
	int rc = 1;

	/* vCPU threads must not take the signals that end the session loop. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	vmm_err_clear(&err);
	if (c->attach.socket ? mfs_attach_open(&c->attach, &fs.mc, &err) < 0 :
	    vmm_machine_create(&c->mo, &fs.mc, &err) < 0) {
		fprintf(stderr, "mtreefs: cannot %s: %s\n", c->attach.socket ? "attach to QEMU" :
			"build the machine", err.msg);
		return 1;
	}
	fs.mem = fs.mc->mem;
	fs.uid = getuid();
	fs.gid = getgid();
	fs.ram_mode = c->ram_mode;
	fs.max_pinned = c->max_pinned;
	clock_gettime(CLOCK_REALTIME, &fs.mount_time);
	mfs_errlog_init(&fs);
	if (mfs_fh_init(&fs) < 0 || mfs_ino_init(&fs) < 0) {
		fprintf(stderr, "mtreefs: out of memory\n");
		goto out_machine;
	}
	se = mount_fs(c, &fs);
	if (!se)
		goto out_ino;
	fs.se = se;
	/* From mountinfo, not stat(): the loop is not running yet to answer a stat. */
	if (!fuse_mount_at(c->mnt_real, &dev)) {
		fprintf(stderr, "mtreefs: mounted at %s but cannot find the mount in "
			"/proc/self/mountinfo\n", c->mnt_real);
		goto out_unmount;
	}
	vmm_path_forbid_dev(dev);
	if (fuse_set_signal_handlers(se) != 0) {
		fprintf(stderr, "mtreefs: cannot set signal handlers\n");
		goto out_unmount;
	}
	if (mfs_attach_start(&fs, se) < 0)
		goto out_unmount;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* A positive result is the signal that ended the loop: a clean stop. */
	rc = serve(se) < 0 ? 1 : 0;
	if (rc && !starter.serving)
		fprintf(stderr, "mtreefs: cannot serve %s: the session loop did not start "
			"(see the line above); unmounting\n", c->mnt);
	fuse_remove_signal_handlers(se);
out_unmount:
	rc = mfs_attach_stop(rc);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	unlock_mountpoint();	/* a new daemon may mount here while this one tears down */
out_ino:
	mfs_fh_fini(&fs);
	mfs_ino_fini(&fs);
out_machine:
	vmm_machine_destroy(fs.mc);
	mfs_attach_close();
	mfs_errlog_fini(&fs);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c = { .fargs = FUSE_ARGS_INIT(0, NULL), .ram_mode = 0600,
			 .attach.refresh_ms = MFS_ATTACH_REFRESH_MS };
	int rc = 1;

	vmm_machine_opts_default(&c.mo);
	if (fuse_opt_add_arg(&c.fargs, argv[0]))
		goto out;
	rc = parse_cli(argc, argv, &c);
	if (rc)
		goto out;
	rc = 1;
	if (check_fds() < 0)
		goto out;
	rc = 2;
	if (mfs_opt_max_pinned(&c.fargs, &c.max_pinned) < 0 || check_fuse_opts(&c) < 0)
		goto out;
	rc = 1;
	if (check_environment(c.mnt) < 0)
		goto out;
	if (!realpath(c.mnt, c.mnt_real)) {
		fprintf(stderr, "mtreefs: mountpoint %s: %s\n", c.mnt, strerror(errno));
		goto out;
	}
	/* the daemon moves to /: a relative mountpoint would not unmount at the end */
	c.mnt = c.mnt_real;
	if (lock_mountpoint(c.mnt, c.mnt_real) < 0)
		goto out;
	if (fuse_mount_at(c.mnt_real, NULL)) {
		fprintf(stderr, "mtreefs: mountpoint %s is busy: a FUSE filesystem is already "
			"mounted there (fusermount3 -u %s, or make stop)\n", c.mnt, c.mnt);
		goto out;
	}
	if (mfs_table_init() < 0) {
		fprintf(stderr, "mtreefs: out of memory\n");
		goto out;
	}
	starter.null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (starter.null < 0) {
		fprintf(stderr, "mtreefs: cannot open /dev/null: %s\n", strerror(errno));
		goto out;
	}
	if (!c.foreground) {
		if (daemonize(&starter.notify) < 0) {
			perror("mtreefs: fork");
			goto out;
		}
		starter.pending = true;
	}
	rc = run(&c);
out:
	if (starter.null >= 0)
		close(starter.null);
	unlock_mountpoint();
	mfs_table_fini();
	fuse_opt_free_args(&c.fargs);
	return rc;
}
