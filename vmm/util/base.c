// SPDX-License-Identifier: MIT
/*
 * The small shared pieces every part of vmm uses: the growable text buffer
 * that printers render into (and files are read into), the error-reason
 * buffer filled beside each -errno, and numbers both ways: the one formatter
 * of 128-bit values (hex, control-language sizes, binary units) and the
 * number syntax of the control language and attribute files.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmm/base.h>

void vmm_buf_init(struct vmm_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void vmm_buf_free(struct vmm_buf *b)
{
	free(b->data);
	vmm_buf_init(b);
}

void vmm_buf_reset(struct vmm_buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

static bool buf_reserve(struct vmm_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return false;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void vmm_buf_put(struct vmm_buf *b, const void *p, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void vmm_buf_puts(struct vmm_buf *b, const char *s)
{
	vmm_buf_put(b, s, strlen(s));
}

void vmm_buf_vprintf(struct vmm_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	if (!buf_reserve(b, 128))
		return;
	va_copy(ap2, ap);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		if (!buf_reserve(b, (size_t)n))
			return;
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void vmm_buf_printf(struct vmm_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmm_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *vmm_buf_steal(struct vmm_buf *b, size_t *len)
{
	char *p = b->data;

	if (len)
		*len = b->len;
	if (!p)
		p = calloc(1, 1);
	vmm_buf_init(b);
	return p;
}

int vmm_buf_read_fd(struct vmm_buf *b, int fd)
{
	char chunk[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return b->oom ? -ENOMEM : 0;
		vmm_buf_put(b, chunk, (size_t)n);
	}
}

int vmm_buf_read_file(struct vmm_buf *b, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = vmm_buf_read_fd(b, fd);
	close(fd);
	return r;
}

int vmm_err_set(struct vmm_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

void vmm_err_clear(struct vmm_err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

static char *u128_hex(vmm_u128 v, char *buf)
{
	char rev[32];
	size_t n = 0, i = 2;

	do {
		rev[n++] = "0123456789abcdef"[(unsigned)(v & 15)];
		v >>= 4;
	} while (v);
	buf[0] = '0';
	buf[1] = 'x';
	while (n)
		buf[i++] = rev[--n];
	buf[i] = '\0';
	return buf;
}

static char *u128_iec(vmm_u128 v, char *buf)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && v >= ((vmm_u128)1 << (10 * (u + 1))))
		u++;
	if (v % ((vmm_u128)1 << (10 * u)) == 0)
		snprintf(buf, VMM_U128_BUF, "%" PRIu64 " %s", (uint64_t)(v >> (10 * u)), units[u]);
	else
		snprintf(buf, VMM_U128_BUF, "%.1f %s", (double)v / (double)((vmm_u128)1 << (10 * u)),
			 units[u]);
	return buf;
}

char *vmm_u128_fmt(vmm_u128 v, enum vmm_u128_style style, char buf[VMM_U128_BUF])
{
	switch (style) {
	case VMM_U128_SIZE:
		if (v == VMM_U64_LIMIT) {
			snprintf(buf, VMM_U128_BUF, "16E");
			return buf;
		}
		return u128_hex(v, buf);
	case VMM_U128_IEC:
		return u128_iec(v, buf);
	case VMM_U128_HEX:
	default:
		return u128_hex(v, buf);
	}
}

static int suffix_shift(char c)
{
	switch (c) {
	case 'K': case 'k': return 10;
	case 'M': case 'm': return 20;
	case 'G': case 'g': return 30;
	case 'T': case 't': return 40;
	case 'P': case 'p': return 50;
	case 'E': case 'e': return 60;
	}
	return -1;
}

/* The value of digit @c in @base (10 or 16), or -1. */
static int digit_value(char c, unsigned base)
{
	if (isdigit((unsigned char)c))
		return c - '0';
	if (base == 16 && isxdigit((unsigned char)c))
		return tolower((unsigned char)c) - 'a' + 10;
	return -1;
}

int vmm_parse_size(const char *s, vmm_u128 *out)
{
	vmm_u128 v = 0;
	unsigned base = 10;
	const char *p = s;
	int shift;

	if (!s || !*s)
		return -EINVAL;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!isxdigit((unsigned char)*p))
			return -EINVAL;
	} else if (!isdigit((unsigned char)*p)) {
		return -EINVAL;
	}
	for (; *p; p++) {
		int d = digit_value(*p, base);

		if (d < 0)
			break;
		v = v * base + (unsigned)d;
		if (v > VMM_U64_LIMIT)
			return -ERANGE;
	}
	if (*p) {
		/* hex digits already consumed 'E'; a suffix only follows decimals */
		if (base == 16 || p[1] || (shift = suffix_shift(*p)) < 0)
			return -EINVAL;
		if (v > (VMM_U64_LIMIT >> shift))
			return -ERANGE;
		v <<= shift;
	}
	*out = v;
	return 0;
}

int vmm_parse_u64(const char *s, uint64_t *out)
{
	vmm_u128 v;
	int r = vmm_parse_size(s, &v);

	if (r)
		return r;
	if (v >= VMM_U64_LIMIT)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

/*
 * Priorities: an optional sign, then decimal or 0x hex like every other
 * number of the language (no octal: "010" is ten), no suffix, no spaces.
 */
int vmm_parse_int(const char *s, int *out)
{
	const char *p = s;
	uint64_t v = 0, limit;
	unsigned base = 10;
	bool neg = false;

	if (!p)
		return -EINVAL;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -EINVAL;
	limit = neg ? 2147483648ull : 2147483647ull;
	for (; *p; p++) {
		int d = digit_value(*p, base);

		if (d < 0)
			return -EINVAL;
		v = v * base + (unsigned)d;
		if (v > limit)
			return -ERANGE;
	}
	*out = neg ? (int)(0 - (int64_t)v) : (int)v;
	return 0;
}
