// SPDX-License-Identifier: MIT
/*
 * The own-mount rule for paths vmm opens at run time (backing files of RAM
 * blocks): a path that leads onto the device vmm_path_forbid_dev() named is
 * refused before anything on that device is touched. Looking at the path
 * with stat() or realpath() would itself be a request to the daemon, which
 * may be the very thread that must answer it; so the path is resolved here
 * one component at a time, with lstat() and readlink() only on paths that
 * are textually outside every mount point of that device (bind mounts
 * included, as /proc/self/mountinfo lists them), and refused the moment it
 * reaches one of them.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vmm/path.h>

#define PATH_POINTS_MAX	16	/* mount points of one device we look at */
#define PATH_HOPS_MAX	40	/* symlinks followed, as the kernel's MAXSYMLINKS */

static _Atomic unsigned long long forbidden_dev;	/* dev + 1; 0: none */

/**
 * vmm_path_forbid_dev() - name the device vmm must never open a file on
 * @dev: the st_dev of the daemon's own mount
 *
 * Process-wide: one daemon serves one mount. Call it once mounted.
 */
void vmm_path_forbid_dev(dev_t dev)
{
	atomic_store(&forbidden_dev, (unsigned long long)dev + 1);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = 0;
}

/* The mount points of @dev: a malloc'd array of @n malloc'd strings. */
static char **dev_points(dev_t dev, unsigned *n)
{
	char **pts = calloc(PATH_POINTS_MAX, sizeof(*pts));
	char line[4096], point[PATH_MAX];
	unsigned maj, min;
	FILE *f;

	*n = 0;
	if (!pts || !(f = fopen("/proc/self/mountinfo", "re")))
		return pts;
	while (*n < PATH_POINTS_MAX && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %u:%u %*s %4095s", &maj, &min, point) != 3 ||
		    makedev(maj, min) != dev)
			continue;
		unescape_octal(point);
		if ((pts[*n] = strdup(point)))
			(*n)++;
	}
	fclose(f);
	return pts;
}

static bool under(const char *path, char *const *pts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		size_t l = strlen(pts[i]);

		if (!strcmp(pts[i], "/") ||
		    (!strncmp(path, pts[i], l) && (path[l] == 0 || path[l] == '/')))
			return true;
	}
	return false;
}

/*
 * Walk @path from the root, resolving "." and ".." and following symlinks by
 * hand. Returns 1 when the walk reaches a mount point of @pts, 0 when it ends
 * elsewhere or cannot go on (open() then says why).
 */
static int walk(const char *path, dev_t dev, char *const *pts, unsigned n)
{
	char cur[PATH_MAX] = "", rest[PATH_MAX * 2], link[PATH_MAX], next[PATH_MAX * 2];
	unsigned hops = 0;
	char *r = rest;
	struct stat st;

	snprintf(rest, sizeof(rest), "%s", path);
	while (*r) {
		char *comp = r, *end;
		size_t cl = strlen(cur), len;
		ssize_t ll;

		while (*comp == '/')
			comp++;
		if (!*comp)
			break;
		end = strchr(comp, '/');
		if (!end)
			end = comp + strlen(comp);
		len = (size_t)(end - comp);
		r = end;
		if (len == 1 && comp[0] == '.')
			continue;
		if (len == 2 && comp[0] == '.' && comp[1] == '.') {
			char *up = strrchr(cur, '/');

			if (up)
				*up = 0;
			continue;
		}
		if (cl + 1 + len >= sizeof(cur))
			return 0;
		cur[cl] = '/';
		memcpy(cur + cl + 1, comp, len);
		cur[cl + 1 + len] = 0;
		if (under(cur, pts, n))
			return 1;
		if (lstat(cur, &st) < 0)
			return 0;	/* missing: open() creates it below a checked path, or fails */
		if (st.st_dev == dev)
			return 1;	/* a mount point this namespace does not list */
		if (!S_ISLNK(st.st_mode))
			continue;
		if (++hops > PATH_HOPS_MAX || (ll = readlink(cur, link, sizeof(link) - 1)) < 0)
			return 0;
		link[ll] = 0;
		cur[link[0] == '/' ? 0 : cl] = 0;
		if (snprintf(next, sizeof(next), "%s%s", link, r) >= (int)sizeof(next))
			return 0;
		memcpy(rest, next, strlen(next) + 1);
		r = rest;
	}
	return 0;
}

/**
 * vmm_path_check() - may vmm open @path?
 * @path: an absolute path
 * @err: reason on refusal
 *
 * Return: 0, -EINVAL for a relative path (the daemon's working directory is
 * "/", so it would name a file nobody meant), or -EDEADLK when the path leads
 * onto the device vmm_path_forbid_dev() named.
 */
int vmm_path_check(const char *path, struct vmm_err *err)
{
	unsigned long long dev1 = atomic_load(&forbidden_dev);
	unsigned n = 0;
	char **pts;
	int hit;

	if (path[0] != '/')
		return vmm_err_set(err, -EINVAL, "backing file '%s' must be an absolute path", path);
	if (!dev1)
		return 0;
	if (strlen(path) >= PATH_MAX)
		return vmm_err_set(err, -ENAMETOOLONG, "%s: path too long", path);
	pts = dev_points((dev_t)(dev1 - 1), &n);
	if (!pts)
		return vmm_err_set(err, -ENOMEM, "out of memory");
	hit = walk(path, (dev_t)(dev1 - 1), pts, n);
	for (unsigned i = 0; i < n; i++)
		free(pts[i]);
	free(pts);
	if (hit)
		return vmm_err_set(err, -EDEADLK, "backing file %s is on this daemon's own mount; "
				   "it would wait on itself", path);
	return 0;
}
