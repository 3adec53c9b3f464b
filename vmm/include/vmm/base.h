/* SPDX-License-Identifier: MIT */
/*
 * Basic types shared by every vmm header: 128-bit sizes (QEMU's Int128, so a
 * region can be exactly 2^64 bytes) and their one formatter, a growable text buffer that the printers
 * and the filesystem render into, and the error-reason buffer that every
 * rejecting call fills in beside its -errno.
 */
#ifndef VMM_BASE_H
#define VMM_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 vmm_u128;

#define VMM_U64_LIMIT ((vmm_u128)1 << 64) /* 2^64: size of a whole address space */

/* The low 64 bits (2^64 becomes 0): for values known to stay below 2^64. */
static inline uint64_t vmm_u128_lo(vmm_u128 v) { return (uint64_t)v; }

/**
 * enum vmm_u128_style - how vmm_u128_fmt() writes a value
 * @VMM_U128_HEX:  "0x" and lower-case hex digits, no leading zeros, all 128
 *                 bits ("0x0", "0x10000000000000000")
 * @VMM_U128_SIZE: a size as the control language writes it: "16E" for 2^64,
 *                 hex as VMM_U128_HEX otherwise
 * @VMM_U128_IEC:  for people: the largest binary unit that fits, "512 MiB",
 *                 "1.5 KiB", "16 EiB" (one decimal when not whole)
 */
enum vmm_u128_style { VMM_U128_HEX, VMM_U128_SIZE, VMM_U128_IEC };

/* Room for any vmm_u128_fmt() result, NUL included. */
#define VMM_U128_BUF 48

/**
 * vmm_u128_fmt() - the one formatter of 128-bit sizes, ends and offsets
 * @v:     the value
 * @style: VMM_U128_HEX, VMM_U128_SIZE or VMM_U128_IEC
 * @buf:   where the text goes
 *
 * Return: @buf, so the call can sit in a printf argument list.
 */
char *vmm_u128_fmt(vmm_u128 v, enum vmm_u128_style style, char buf[VMM_U128_BUF]);

/**
 * struct vmm_buf - growable byte buffer (always NUL-terminated when len > 0)
 * @data: contents, malloc'd
 * @len:  bytes used (excluding the NUL)
 * @cap:  bytes allocated
 * @oom:  set once an allocation failed; further appends are dropped
 */
struct vmm_buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

void vmm_buf_init(struct vmm_buf *b);
void vmm_buf_free(struct vmm_buf *b);
void vmm_buf_reset(struct vmm_buf *b);
/* Append; on allocation failure sets b->oom and keeps the old contents. */
void vmm_buf_put(struct vmm_buf *b, const void *p, size_t n);
void vmm_buf_puts(struct vmm_buf *b, const char *s);
__attribute__((format(printf, 2, 3)))
void vmm_buf_printf(struct vmm_buf *b, const char *fmt, ...);
void vmm_buf_vprintf(struct vmm_buf *b, const char *fmt, va_list ap);
/* Take ownership of the data (caller frees); the buffer is left empty. */
char *vmm_buf_steal(struct vmm_buf *b, size_t *len);
/*
 * Append everything readable from @fd, or from the file at @path, to @b.
 * Returns 0 or -errno (-ENOMEM when the buffer could not grow); on error @b
 * keeps what it had before plus whatever was read.
 */
int vmm_buf_read_fd(struct vmm_buf *b, int fd);
int vmm_buf_read_file(struct vmm_buf *b, const char *path);

#define VMM_ERR_MAX 256

/**
 * struct vmm_err - why the last call failed, in words
 * @code: the negative errno that was returned (0 when none)
 * @msg:  one line, no trailing newline
 */
struct vmm_err {
	int code;
	char msg[VMM_ERR_MAX];
};

/* Fill @e (may be NULL) and return @code (a negative errno). */
__attribute__((format(printf, 3, 4)))
int vmm_err_set(struct vmm_err *e, int code, const char *fmt, ...);
void vmm_err_clear(struct vmm_err *e);

/*
 * Numbers in the control language and attribute files: decimal, 0x hex, or a
 * binary suffix K M G T P E ("512M", "16E" == 2^64). Returns 0 or -EINVAL
 * (not a number) / -ERANGE (above 2^64).
 */
int vmm_parse_size(const char *s, vmm_u128 *out);
/* As vmm_parse_size but the value must fit in 64 bits (addresses, offsets). */
int vmm_parse_u64(const char *s, uint64_t *out);
/* Signed decimal or 0x hex, no octal and no suffix (priorities); -EINVAL or -ERANGE. */
int vmm_parse_int(const char *s, int *out);

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#endif
