// SPDX-License-Identifier: MIT
/*
 * The printing rule for names (vmm/text.h): every printer and the error
 * messages that quote a name go through here, so a name can never forge a
 * line of a printout or send a terminal an escape sequence, and the rule is
 * the same everywhere: \xNN for each byte of a control character (C0, DEL,
 * C1) and of U+2028 and U+2029. Bytes that are not UTF-8 print as they are,
 * as QEMU prints them: they are no character to a UTF-8 reader, and a name
 * is QEMU's to choose byte for byte.
 */
#include <stdio.h>
#include <string.h>

#include <vmm/text.h>

/**
 * vmm_utf8_len() - length of the valid UTF-8 sequence at @p
 * @p: NUL-terminated bytes
 *
 * Return: 1 to 4, or 0 when the bytes there are not one: stray continuation
 * bytes, overlong forms, surrogates, code points above U+10FFFF and
 * sequences cut short (by the NUL).
 */
size_t vmm_utf8_len(const unsigned char *p)
{
	unsigned c = p[0], need, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, cp = c & 0x07;
	else
		return 0;
	for (unsigned i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need + 1;
}

/**
 * vmm_text_unsafe() - must the character at @p be escaped when printed?
 * @p: NUL-terminated bytes (not at the NUL)
 *
 * Return: 0 when it prints as itself (a byte that is not UTF-8 included:
 * vmm_utf8_len() tells those), else how many bytes to escape: 1 for a C0
 * control or DEL, 2 for a C1 control, 3 for U+2028 or U+2029.
 */
size_t vmm_text_unsafe(const unsigned char *p)
{
	size_t n = vmm_utf8_len(p);

	if (n == 0)
		return 0;
	if (p[0] < 0x20 || p[0] == 0x7f)
		return 1;
	if (n == 2 && p[0] == 0xc2 && p[1] <= 0x9f)
		return 2;
	if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		return 3;
	return 0;
}

/* Append @name to @b with the printing rule applied. */
void vmm_buf_put_name(struct vmm_buf *b, const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	while (*p) {
		size_t bad = vmm_text_unsafe(p), n;

		if (bad) {
			for (; bad; bad--)
				vmm_buf_printf(b, "\\x%02x", *p++);
			continue;
		}
		n = vmm_utf8_len(p);
		n = n ? n : 1;
		vmm_buf_put(b, p, n);
		p += n;
	}
}

/**
 * vmm_name_printable() - @name with the printing rule applied, for a %s
 * @name: the name
 * @buf: room for the result
 * @cap: its size (a longer result is cut, never in the middle of an escape)
 *
 * Return: @buf, or @name itself when nothing in it needs escaping.
 */
char *vmm_name_printable(const char *name, char *buf, size_t cap)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t w = 0;

	for (; *p; p++)
		if (vmm_text_unsafe(p))
			break;
	if (!*p)
		return (char *)name;
	for (p = (const unsigned char *)name; *p && cap;) {
		size_t bad = vmm_text_unsafe(p), n = bad ? 4 * bad : vmm_utf8_len(p);

		n = n ? n : 1;

		if (w + n >= cap)
			break;
		if (bad) {
			for (; bad; bad--, w += 4)
				snprintf(buf + w, cap - w, "\\x%02x", *p++);
		} else {
			memcpy(buf + w, p, n);
			w += n;
			p += n;
		}
	}
	if (cap)
		buf[w] = 0;
	return buf;
}
