// SPDX-License-Identifier: MIT
/*
 * The words of the control language: the tokenizer (double quotes group,
 * also in the middle of a word as in name="I/O port"; \" and \\ escape
 * inside quotes; `#` at the start of a word begins a comment), the quoting
 * that is its inverse, and the ID syntax. Kept apart from the command driver
 * so the importer can use it without the model.
 */
#include <errno.h>
#include <string.h>

#include <vmm/ctl.h>
#include <vmm/memory.h>

bool vmm_ctl_valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= VMM_ID_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (const char *p = id; *p; p++) {
		char c = *p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (!strchr("._-:@", c))
			return false;
	}
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copy one token starting at @p into @o; returns the input position after it. */
static const char *scan_token(const char *p, char **o, bool *open_quote)
{
	bool q = false;

	while (*p) {
		if (q) {
			if (*p == '"') {
				q = false;
				p++;
				continue;
			}
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			*(*o)++ = *p++;
			continue;
		}
		if (is_space(*p))
			break;
		if (*p == '"') {
			q = true;
			p++;
			continue;
		}
		*(*o)++ = *p++;
	}
	*open_quote = q;
	return p;
}

int vmm_ctl_tokenize(const char *line, char *scratch, char **tok, int max)
{
	const char *p = line;
	char *o = scratch;
	int n = 0;

	for (;;) {
		bool open_quote;

		while (is_space(*p))
			p++;
		if (!*p || *p == '#')
			return n;
		if (n >= max)
			return -EINVAL;
		tok[n++] = o;
		p = scan_token(p, &o, &open_quote);
		if (open_quote)
			return -EINVAL;
		*o++ = '\0';
	}
}

void vmm_ctl_quote(struct vmm_buf *out, const char *s)
{
	if (*s && !strpbrk(s, " \t\"#\\")) {
		vmm_buf_puts(out, s);
		return;
	}
	vmm_buf_put(out, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			vmm_buf_put(out, "\\", 1);
		vmm_buf_put(out, s, 1);
	}
	vmm_buf_put(out, "\"", 1);
}
