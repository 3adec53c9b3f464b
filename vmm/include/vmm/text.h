/* SPDX-License-Identifier: MIT */
/*
 * Names as printed text. A region, address space or RAM block name comes
 * from a control write or a QEMU dump and ends up in files read by people
 * and by line-splitting programs (info/mtree, flatview, ramblock, error_log,
 * mtree import-qemu). The one rule: a character that could end a line or
 * steer a terminal is printed as \xNN, one per byte of its UTF-8 form: C0
 * controls (U+0000-U+001F), DEL, C1 controls (U+0080-U+009F) and the line
 * and paragraph separators U+2028 and U+2029. Everything else, spaces,
 * backslashes and bytes that are not UTF-8 included, prints as itself, as
 * QEMU prints it.
 */
#ifndef VMM_TEXT_H
#define VMM_TEXT_H

#include <stddef.h>

#include <vmm/base.h>

size_t vmm_utf8_len(const unsigned char *p);
size_t vmm_text_unsafe(const unsigned char *p);
void vmm_buf_put_name(struct vmm_buf *b, const char *name);
char *vmm_name_printable(const char *name, char *buf, size_t cap);

#endif
