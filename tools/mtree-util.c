// SPDX-License-Identifier: MIT
/*
 * Helpers shared by the mtree subcommands: reading a whole input file (or
 * stdin for "-") into memory, NUL-terminated, so every subcommand parses a
 * plain string.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtree.h"

static char *slurp_fd(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap), *p;
	ssize_t r;

	if (!buf)
		return NULL;
	for (;;) {
		if (cap - n < 2) {
			p = realloc(buf, cap * 2);
			if (!p)
				goto fail;
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:
	r = errno;
	free(buf);
	errno = (int)r;
	return NULL;
}

char *mtree_slurp(const char *path, size_t *len)
{
	char *buf;
	int fd, saved;

	if (!strcmp(path, "-"))
		return slurp_fd(STDIN_FILENO, len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = slurp_fd(fd, len);
	saved = errno;
	close(fd);
	errno = saved;
	return buf;
}
