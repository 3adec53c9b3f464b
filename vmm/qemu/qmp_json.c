// SPDX-License-Identifier: MIT
/*
 * The JSON reader under the QMP client: one document (RFC 8259) into a small
 * tree of nodes with lookups by key and index. QEMU is a peer we do not
 * control, so every input is treated as hostile: nesting is bounded (the
 * parser recurses once per level), so is the document size, and anything
 * malformed is an -EINVAL naming the byte offset, never a crash. Strings
 * decode \uXXXX escapes (surrogate pairs joined, lone halves refused) to
 * UTF-8 and keep their length, since "\u0000" is legal; other bytes are kept
 * as they are. Numbers keep their integer value exactly when they are
 * integers (QMP sizes and addresses use all 64 bits) and a double otherwise.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/qmp.h>

struct vmm_json {
	enum vmm_json_type type;
	bool b;
	/* numbers: |value| in mag when integral (no fraction or exponent), unless overflow */
	bool integral, overflow, neg;
	uint64_t mag;
	double d;
	/* strings */
	char *s;
	size_t slen;
	/* arrays and objects (keys only for objects) */
	struct vmm_json **items;
	char **keys;
	size_t n, cap;
};

struct jparse {
	const char *p, *start, *end;
	struct vmm_err *err;
	int depth;
};

static int jfail(struct jparse *jp, int code, const char *what)
{
	return vmm_err_set(jp->err, code, "malformed JSON at byte %zu: %s",
			   (size_t)(jp->p - jp->start), what);
}

static void skip_ws(struct jparse *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' ||
				   *jp->p == '\r'))
		jp->p++;
}

static struct vmm_json *jnew(enum vmm_json_type t)
{
	struct vmm_json *j = calloc(1, sizeof(*j));

	if (j)
		j->type = t;
	return j;
}

void vmm_json_free(struct vmm_json *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		vmm_json_free(j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->s);
	free(j);
}

/* Append @item (and @key for objects); on failure the caller still owns both. */
static int jappend(struct vmm_json *j, char *key, struct vmm_json *item)
{
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 4;
		struct vmm_json **items = realloc(j->items, cap * sizeof(*items));
		char **keys;

		if (!items)
			return -ENOMEM;
		j->items = items;
		if (j->type == VMM_JSON_OBJECT) {
			keys = realloc(j->keys, cap * sizeof(*keys));
			if (!keys)
				return -ENOMEM;
			j->keys = keys;
		}
		j->cap = cap;
	}
	if (j->type == VMM_JSON_OBJECT)
		j->keys[j->n] = key;
	j->items[j->n++] = item;
	return 0;
}

static int hex4(const char *p, const char *end, unsigned *v)
{
	unsigned x = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*v = x;
	return 0;
}

static size_t utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* One \uXXXX escape at jp->p (after the backslash and 'u'), pairs joined. */
static int unicode_escape(struct jparse *jp, unsigned *cp)
{
	unsigned hi, lo;

	if (hex4(jp->p, jp->end, &hi))
		return jfail(jp, -EINVAL, "bad \\u escape");
	jp->p += 4;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return jfail(jp, -EINVAL, "lone low surrogate");
	if (hi < 0xd800 || hi > 0xdbff) {
		*cp = hi;
		return 0;
	}
	if (jp->end - jp->p < 6 || jp->p[0] != '\\' || jp->p[1] != 'u' ||
	    hex4(jp->p + 2, jp->end, &lo) || lo < 0xdc00 || lo > 0xdfff)
		return jfail(jp, -EINVAL, "high surrogate without its low half");
	jp->p += 6;
	*cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	return 0;
}

/*
 * A string at jp->p (the opening quote) into a malloc'd NUL-terminated copy.
 * The decoded text is never longer than the escaped one, which sizes it.
 */
static int parse_string(struct jparse *jp, char **out, size_t *outlen)
{
	const char *q = ++jp->p;
	char *s, *o;
	unsigned cp = 0;
	int r;

	while (q < jp->end && *q != '"')
		q += *q == '\\' ? 2 : 1;
	if (q >= jp->end)
		return jfail(jp, -EINVAL, "unterminated string");
	s = o = malloc((size_t)(q - jp->p) + 1);
	if (!s)
		return vmm_err_set(jp->err, -ENOMEM, "out of memory");
	while (*jp->p != '"') {
		unsigned char c = (unsigned char)*jp->p;

		if (c < 0x20) {
			r = jfail(jp, -EINVAL, "control character in string");
			goto fail;
		}
		if (c != '\\') {
			*o++ = (char)c;
			jp->p++;
			continue;
		}
		jp->p++;
		switch (*jp->p++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			r = unicode_escape(jp, &cp);
			if (r)
				goto fail;
			o += utf8_put(o, cp);
			break;
		default:
			jp->p--;
			r = jfail(jp, -EINVAL, "unknown escape");
			goto fail;
		}
	}
	jp->p++;
	*o = '\0';
	*out = s;
	*outlen = (size_t)(o - s);
	return 0;
fail:
	free(s);
	return r;
}

static bool is_digit(const struct jparse *jp)
{
	return jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9';
}

static int parse_number(struct jparse *jp, struct vmm_json *j)
{
	const char *s = jp->p;
	char *copy;

	j->integral = true;
	if (*jp->p == '-') {
		j->neg = true;
		jp->p++;
	}
	if (!is_digit(jp))
		return jfail(jp, -EINVAL, "digit expected");
	if (*jp->p == '0') {
		jp->p++;
	} else {
		while (is_digit(jp)) {
			unsigned d = (unsigned)(*jp->p++ - '0');

			if (j->mag > (UINT64_MAX - d) / 10)
				j->overflow = true;
			j->mag = j->mag * 10 + d;
		}
	}
	if (jp->p < jp->end && *jp->p == '.') {
		jp->p++;
		j->integral = false;
		if (!is_digit(jp))
			return jfail(jp, -EINVAL, "digit expected after '.'");
		while (is_digit(jp))
			jp->p++;
	}
	if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
		jp->p++;
		j->integral = false;
		if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
			jp->p++;
		if (!is_digit(jp))
			return jfail(jp, -EINVAL, "digit expected in exponent");
		while (is_digit(jp))
			jp->p++;
	}
	/* strtod wants a terminated string; the input need not be one */
	copy = strndup(s, (size_t)(jp->p - s));
	if (!copy)
		return vmm_err_set(jp->err, -ENOMEM, "out of memory");
	j->d = strtod(copy, NULL);
	free(copy);
	return 0;
}

static int parse_value(struct jparse *jp, struct vmm_json **out);

static int parse_members(struct jparse *jp, struct vmm_json *j)
{
	bool obj = j->type == VMM_JSON_OBJECT;
	char close = obj ? '}' : ']';
	struct vmm_json *item;
	char *key = NULL;
	size_t klen;
	int r;

	jp->p++;
	skip_ws(jp);
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		return 0;
	}
	for (;;) {
		skip_ws(jp);
		if (obj) {
			if (jp->p >= jp->end || *jp->p != '"')
				return jfail(jp, -EINVAL, "member name expected");
			r = parse_string(jp, &key, &klen);
			if (r)
				return r;
			skip_ws(jp);
			if (jp->p >= jp->end || *jp->p != ':') {
				free(key);
				return jfail(jp, -EINVAL, "':' expected");
			}
			jp->p++;
		}
		r = parse_value(jp, &item);
		if (!r && (r = jappend(j, key, item))) {
			vmm_json_free(item);
			r = vmm_err_set(jp->err, r, "out of memory");
		}
		if (r) {
			free(key);
			return r;
		}
		key = NULL;
		skip_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == close) {
			jp->p++;
			return 0;
		}
		return jfail(jp, -EINVAL, obj ? "',' or '}' expected" : "',' or ']' expected");
	}
}

static int parse_literal(struct jparse *jp, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n))
		return jfail(jp, -EINVAL, "unexpected character");
	jp->p += n;
	return 0;
}

static int parse_value(struct jparse *jp, struct vmm_json **out)
{
	struct vmm_json *j;
	int r;

	skip_ws(jp);
	if (jp->p >= jp->end)
		return jfail(jp, -EINVAL, "value expected, input ends");
	switch (*jp->p) {
	case '{': j = jnew(VMM_JSON_OBJECT); break;
	case '[': j = jnew(VMM_JSON_ARRAY); break;
	case '"': j = jnew(VMM_JSON_STRING); break;
	case 't': case 'f': j = jnew(VMM_JSON_BOOL); break;
	case 'n': j = jnew(VMM_JSON_NULL); break;
	default:
		if (*jp->p != '-' && !(*jp->p >= '0' && *jp->p <= '9'))
			return jfail(jp, -EINVAL, "unexpected character");
		j = jnew(VMM_JSON_NUMBER);
	}
	if (!j)
		return vmm_err_set(jp->err, -ENOMEM, "out of memory");
	switch (j->type) {
	case VMM_JSON_OBJECT:
	case VMM_JSON_ARRAY:
		if (++jp->depth > VMM_JSON_MAX_DEPTH) {
			r = jfail(jp, -E2BIG, "nested too deep");
			break;
		}
		r = parse_members(jp, j);
		jp->depth--;
		break;
	case VMM_JSON_STRING: r = parse_string(jp, &j->s, &j->slen); break;
	case VMM_JSON_BOOL:
		j->b = *jp->p == 't';
		r = parse_literal(jp, j->b ? "true" : "false");
		break;
	case VMM_JSON_NULL: r = parse_literal(jp, "null"); break;
	default: r = parse_number(jp, j); break;
	}
	if (r) {
		vmm_json_free(j);
		return r;
	}
	*out = j;
	return 0;
}

int vmm_json_parse(const char *text, size_t len, struct vmm_json **out, struct vmm_err *err)
{
	struct jparse jp = { .p = text, .start = text, .end = text + len, .err = err };
	struct vmm_json *j;
	int r;

	*out = NULL;
	if (len > VMM_JSON_MAX_SIZE)
		return vmm_err_set(err, -E2BIG, "JSON document of %zu bytes, limit %u", len,
				   VMM_JSON_MAX_SIZE);
	r = parse_value(&jp, &j);
	if (r)
		return r;
	skip_ws(&jp);
	if (jp.p != jp.end) {
		vmm_json_free(j);
		return jfail(&jp, -EINVAL, "text after the document");
	}
	*out = j;
	return 0;
}

enum vmm_json_type vmm_json_type(const struct vmm_json *j)
{
	return j ? j->type : VMM_JSON_NULL;
}

const struct vmm_json *vmm_json_get(const struct vmm_json *obj, const char *key)
{
	if (!obj || obj->type != VMM_JSON_OBJECT)
		return NULL;
	for (size_t i = obj->n; i-- > 0;)
		if (!strcmp(obj->keys[i], key))
			return obj->items[i];
	return NULL;
}

size_t vmm_json_count(const struct vmm_json *j)
{
	return j && (j->type == VMM_JSON_ARRAY || j->type == VMM_JSON_OBJECT) ? j->n : 0;
}

const struct vmm_json *vmm_json_at(const struct vmm_json *j, size_t i)
{
	return i < vmm_json_count(j) ? j->items[i] : NULL;
}

const char *vmm_json_key_at(const struct vmm_json *j, size_t i)
{
	return vmm_json_type(j) == VMM_JSON_OBJECT && i < j->n ? j->keys[i] : NULL;
}

const char *vmm_json_str(const struct vmm_json *j, size_t *len)
{
	if (vmm_json_type(j) != VMM_JSON_STRING)
		return NULL;
	if (len)
		*len = j->slen;
	return j->s;
}

int vmm_json_uint(const struct vmm_json *j, uint64_t *out)
{
	if (vmm_json_type(j) != VMM_JSON_NUMBER || !j->integral)
		return -EINVAL;
	if (j->overflow || (j->neg && j->mag))
		return -ERANGE;
	*out = j->mag;
	return 0;
}

int vmm_json_int(const struct vmm_json *j, int64_t *out)
{
	if (vmm_json_type(j) != VMM_JSON_NUMBER || !j->integral)
		return -EINVAL;
	if (j->overflow)
		return -ERANGE;
	if (j->neg) {
		if (j->mag > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		*out = j->mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)j->mag;
		return 0;
	}
	if (j->mag > (uint64_t)INT64_MAX)
		return -ERANGE;
	*out = (int64_t)j->mag;
	return 0;
}

int vmm_json_double(const struct vmm_json *j, double *out)
{
	if (vmm_json_type(j) != VMM_JSON_NUMBER)
		return -EINVAL;
	*out = j->d;
	return 0;
}

int vmm_json_bool(const struct vmm_json *j, bool *out)
{
	if (vmm_json_type(j) != VMM_JSON_BOOL)
		return -EINVAL;
	*out = j->b;
	return 0;
}

struct vmm_json *vmm_json_take(struct vmm_json *obj, const char *key)
{
	struct vmm_json *v;

	if (vmm_json_type(obj) != VMM_JSON_OBJECT)
		return NULL;
	for (size_t i = obj->n; i-- > 0;) {
		if (strcmp(obj->keys[i], key))
			continue;
		v = obj->items[i];
		free(obj->keys[i]);
		memmove(&obj->items[i], &obj->items[i + 1], (obj->n - i - 1) * sizeof(*obj->items));
		memmove(&obj->keys[i], &obj->keys[i + 1], (obj->n - i - 1) * sizeof(*obj->keys));
		obj->n--;
		return v;
	}
	return NULL;
}

void vmm_json_quote(struct vmm_buf *b, const char *s, size_t len)
{
	vmm_buf_put(b, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			vmm_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			vmm_buf_printf(b, "\\u%04x", c);
		else
			vmm_buf_put(b, &s[i], 1);
	}
	vmm_buf_put(b, "\"", 1);
}
