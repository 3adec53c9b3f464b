// SPDX-License-Identifier: MIT
/*
 * The SVG memory map: an address space's current flat view drawn top-down
 * from the highest address, one band per flat range and per hole between
 * them. Band heights grow with log2 of the size (with a floor), so a 4 KiB
 * io page stays readable next to gigabytes of RAM and the empty top of a
 * 64-bit space does not swamp the picture. Each band is coloured by what
 * backs it and says which alias (if any) put the RAM there, because that is
 * what an `info mtree -f` reader cannot see at a glance. The output is a
 * standalone SVG document with every name XML-escaped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/flatview.h>
#include <vmm/memory.h>
#include <vmm/plot.h>

typedef __int128 s128;

enum band_kind { K_RAM, K_RAM_ALIAS, K_ROM, K_ROMD, K_IO, K_HOLE, K_NR };

static const struct {
	const char *cls;
	const char *label;
	const char *fill;
	const char *stroke;
} kinds[K_NR] = {
	[K_RAM]       = { "ram", "ram",            "#8fd694", "#3d7f43" },
	[K_RAM_ALIAS] = { "ram-alias", "ram (via alias)", "#8ccfe0", "#2f7588" },
	[K_ROM]       = { "rom", "rom / readonly", "#f3cf6d", "#9a7410" },
	[K_ROMD]      = { "romd", "romd",           "#d9a6e3", "#7a3f87" },
	[K_IO]        = { "io", "io (mmio/pio)",  "#f09a8e", "#9c3326" },
	[K_HOLE]      = { "hole", "hole",           "#f4f4f4", "#b0b0b0" },
};

/* Geometry, in SVG user units (pixels). */
#define PLOT_MARGIN	20
#define PLOT_HEADER	56
#define PLOT_BAND_X	PLOT_MARGIN
#define PLOT_BAND_W	380
#define PLOT_TEXT_X	(PLOT_BAND_X + PLOT_BAND_W + 12)
#define PLOT_WIDTH	900
#define PLOT_MIN_H	20
#define PLOT_LABEL_MAX	48	/* code points shown inside a band; <title> has it all */
#define PLOT_LEGEND_H	56

/* One band: a flat range (mr != NULL) or a hole. */
struct band {
	vmm_u128 start;
	vmm_u128 size;
	const struct vmm_flat_range *fr;
	struct vmm_mr *via;	/* outermost alias the range was rendered through */
	enum band_kind kind;
};

static unsigned u128_log2(vmm_u128 v)
{
	uint64_t hi = (uint64_t)(v >> 64), lo = (uint64_t)v;

	if (hi)
		return 127 - (unsigned)__builtin_clzll(hi);
	return lo ? 63 - (unsigned)__builtin_clzll(lo) : 0;
}

static unsigned band_height(vmm_u128 size)
{
	unsigned l = u128_log2(size);

	return l <= 12 ? PLOT_MIN_H : PLOT_MIN_H + 3 * (l - 12);
}

/* Length of the valid UTF-8 sequence at @s (0: invalid), never past the NUL. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (*s < 0x80)
		return 1;
	if (*s >= 0xc2 && *s <= 0xdf)
		n = 2;
	else if (*s >= 0xe0 && *s <= 0xef)
		n = 3;
	else if (*s >= 0xf0 && *s <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Append @s as XML character data or attribute text: the five specials become
 * entities, and bytes XML 1.0 cannot carry (controls, broken UTF-8) become
 * '?'. At most @max code points are written ("..." marks a cut); 0: no limit.
 */
static void xml_put(struct vmm_buf *out, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cps = 0;

	for (; *p; cps++) {
		size_t n = utf8_len(p);

		if (max && cps == max) {
			vmm_buf_puts(out, "...");
			return;
		}
		if (n == 0 || (*p < 0x20 && *p != '\t')) {
			vmm_buf_puts(out, "?");
			p++;
			continue;
		}
		switch (*p) {
		case '&': vmm_buf_puts(out, "&amp;"); break;
		case '<': vmm_buf_puts(out, "&lt;"); break;
		case '>': vmm_buf_puts(out, "&gt;"); break;
		case '"': vmm_buf_puts(out, "&quot;"); break;
		case '\'': vmm_buf_puts(out, "&apos;"); break;
		default: vmm_buf_put(out, p, n); break;
		}
		p += n;
	}
}

/*
 * Which leaf does render_memory_region() put at @addr below @mr (whose
 * container starts at @base), and through which alias? The same walk as the
 * renderer, for one address: disabled regions are skipped, an alias continues
 * in its target shifted by its offset, children are tried in list order
 * (earlier wins), and a terminating region owns what its children left.
 * Signed arithmetic because an alias's target may start "below zero".
 */
static struct vmm_mr *leaf_at(struct vmm_mr *mr, s128 base, s128 addr, struct vmm_mr *outer,
			      struct vmm_mr **via, unsigned depth)
{
	struct vmm_mr *sub, *leaf;

	if (!mr->enabled || depth > 64)
		return NULL;
	base += mr->addr;
	if (addr < base || addr - base >= (s128)mr->size)
		return NULL;
	if (mr->type == VMM_MR_ALIAS) {
		if (!mr->alias)
			return NULL;
		base -= (s128)mr->alias->addr + (s128)mr->alias_offset;
		return leaf_at(mr->alias, base, addr, outer ? outer : mr, via, depth + 1);
	}
	for (sub = mr->subregions; sub; sub = sub->sib_next) {
		leaf = leaf_at(sub, base, addr, outer, via, depth + 1);
		if (leaf)
			return leaf;
	}
	if (!vmm_mr_is_terminating(mr))
		return NULL;
	*via = outer;
	return mr;
}

static enum band_kind range_kind(const struct vmm_flat_range *fr, bool via_alias)
{
	switch (fr->mr->type) {
	case VMM_MR_RAM:
		if (fr->readonly)
			return K_ROM;
		return via_alias ? K_RAM_ALIAS : K_RAM;
	case VMM_MR_ROM:
		return K_ROM;
	case VMM_MR_ROMD:
		return K_ROMD;
	default:
		return K_IO;
	}
}

static void band_for_range(struct band *b, struct vmm_flatview *fv,
			   const struct vmm_flat_range *fr)
{
	struct vmm_mr *via = NULL, *leaf = NULL;

	if (fv->root)
		leaf = leaf_at(fv->root, 0, (s128)fr->start, NULL, &via, 0);
	if (leaf != fr->mr)
		via = NULL;
	b->start = fr->start;
	b->size = fr->size;
	b->fr = fr;
	b->via = via;
	b->kind = range_kind(fr, via != NULL);
}

static void band_hole(struct band *b, vmm_u128 start, vmm_u128 end)
{
	memset(b, 0, sizeof(*b));
	b->start = start;
	b->size = end - start;
	b->kind = K_HOLE;
}

/* Ranges and the holes between them, lowest address first; NULL on ENOMEM. */
static struct band *make_bands(struct vmm_flatview *fv, vmm_u128 extent, size_t *nr)
{
	struct band *bands = calloc(2 * fv->nr + 1, sizeof(*bands));
	const struct vmm_flat_range *fr;
	struct vmm_fv_iter it;
	vmm_u128 at = 0;
	size_t n = 0;

	if (!bands)
		return NULL;
	vmm_flatview_for_each(fr, it, fv) {
		if (fr->start > at)
			band_hole(&bands[n++], at, fr->start);
		band_for_range(&bands[n++], fv, fr);
		at = fr->start + fr->size;
	}
	if (extent > at)
		band_hole(&bands[n++], at, extent);
	*nr = n;
	return bands;
}

static void put_band_label(struct vmm_buf *out, const struct band *b, size_t max)
{
	if (!b->fr) {
		vmm_buf_puts(out, "(hole)");
		return;
	}
	xml_put(out, b->fr->mr->name, max);
	if (b->via) {
		vmm_buf_puts(out, " via ");
		xml_put(out, b->via->name, max);
	}
	if (b->fr->offset_in_region)
		vmm_buf_printf(out, " @0x%" PRIx64, vmm_u128_lo(b->fr->offset_in_region));
}

/* The band's group element with its data-* attributes, and its tooltip. */
static void put_band_head(struct vmm_buf *out, const struct band *b, uint64_t first,
			  uint64_t last, const char *size)
{
	/* data-* attributes: the same facts for scripts that read the SVG back */
	vmm_buf_printf(out, "<g class=\"band %s\" data-start=\"0x%" PRIx64 "\" "
		       "data-end=\"0x%" PRIx64 "\"", kinds[b->kind].cls, first, last);
	if (b->fr) {
		vmm_buf_puts(out, " data-region=\"");
		xml_put(out, b->fr->mr->name, 0);
		vmm_buf_printf(out, "\" data-offset=\"0x%" PRIx64 "\"",
			       vmm_u128_lo(b->fr->offset_in_region));
	}
	if (b->via) {
		vmm_buf_puts(out, " data-alias=\"");
		xml_put(out, b->via->name, 0);
		vmm_buf_puts(out, "\"");
	}
	vmm_buf_puts(out, ">\n<title>");
	put_band_label(out, b, 0);
	if (b->fr && b->fr->mr->id && strcmp(b->fr->mr->id, b->fr->mr->name)) {
		vmm_buf_puts(out, " (id ");
		xml_put(out, b->fr->mr->id, 0);
		vmm_buf_puts(out, ")");
	}
	vmm_buf_printf(out, ": %016" PRIx64 "-%016" PRIx64 ", %s, %s</title>\n",
		       first, last, size, kinds[b->kind].label);
}

static void put_band(struct vmm_buf *out, const struct band *b, unsigned y, unsigned h)
{
	uint64_t first = vmm_u128_lo(b->start), last = vmm_u128_lo(b->start + b->size - 1);
	unsigned base = y + h / 2 + 4;	/* text baseline, centred in the band */
	char size[VMM_U128_BUF];

	put_band_head(out, b, first, last, vmm_u128_fmt(b->size, VMM_U128_IEC, size));
	vmm_buf_printf(out, "<rect x=\"%d\" y=\"%u\" width=\"%d\" height=\"%u\" fill=\"%s\" "
		       "stroke=\"%s\"%s/>\n", PLOT_BAND_X, y, PLOT_BAND_W, h,
		       kinds[b->kind].fill, kinds[b->kind].stroke,
		       b->kind == K_HOLE ? " stroke-dasharray=\"4 3\"" : "");
	vmm_buf_printf(out, "<text x=\"%d\" y=\"%u\">", PLOT_BAND_X + 8, base);
	put_band_label(out, b, PLOT_LABEL_MAX);
	vmm_buf_printf(out, "</text>\n<text x=\"%d\" y=\"%u\">%016" PRIx64 "-%016" PRIx64
		       "</text>\n<text x=\"%d\" y=\"%u\" font-weight=\"bold\">%s</text>\n</g>\n",
		       PLOT_TEXT_X, base, first, last, PLOT_TEXT_X + 290, base, size);
}

static void put_legend(struct vmm_buf *out, unsigned y)
{
	vmm_buf_printf(out, "<g class=\"legend\">\n<text x=\"%d\" y=\"%u\" font-weight=\"bold\">"
		       "Legend (band height grows with log2 of the size)</text>\n",
		       PLOT_MARGIN, y + 14);
	for (int k = 0; k < K_NR; k++) {
		unsigned x = PLOT_MARGIN + (unsigned)k * 140;

		vmm_buf_printf(out, "<rect x=\"%u\" y=\"%u\" width=\"14\" height=\"14\" "
			       "fill=\"%s\" stroke=\"%s\"/>\n<text x=\"%u\" y=\"%u\">%s</text>\n",
			       x, y + 26, kinds[k].fill, kinds[k].stroke, x + 20, y + 38,
			       kinds[k].label);
	}
	vmm_buf_puts(out, "</g>\n");
}

static void put_header(struct vmm_buf *out, struct vmm_as *as, struct vmm_flatview *fv,
		       unsigned height)
{
	vmm_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	vmm_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		       "width=\"%d\" height=\"%u\" viewBox=\"0 0 %d %u\" "
		       "font-family=\"monospace\" font-size=\"12\">\n",
		       PLOT_WIDTH, height, PLOT_WIDTH, height);
	vmm_buf_puts(out, "<title>Memory map of address space &quot;");
	xml_put(out, as->name, 0);
	vmm_buf_puts(out, "&quot;</title>\n");
	vmm_buf_printf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%u\" fill=\"white\"/>\n",
		       PLOT_WIDTH, height);
	vmm_buf_printf(out, "<text x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">"
		       "Address space &quot;", PLOT_MARGIN);
	xml_put(out, as->name, 0);
	vmm_buf_printf(out, "&quot; (FlatView #%" PRIu64 ")</text>\n<text x=\"%d\" y=\"42\">"
		       "Root memory region: ", fv->id, PLOT_MARGIN);
	if (fv->root)
		xml_put(out, fv->root->name, 0);
	else
		vmm_buf_puts(out, "(none)");
	vmm_buf_printf(out, "; %zu ranges; highest address at the top</text>\n", fv->nr);
}

static struct vmm_as *pick_as(struct vmm_memory *m, const char *as_name)
{
	struct vmm_as *as;

	if (as_name)
		return vmm_as_find(m, as_name);
	as = vmm_as_find(m, "memory");
	return as ? as : vmm_memory_first_as(m);
}

int vmm_plot_svg(struct vmm_memory *m, const char *as_name, struct vmm_buf *out,
		 struct vmm_err *err)
{
	struct vmm_as *as = pick_as(m, as_name);
	const struct vmm_flat_range *last;
	struct vmm_flatview *fv;
	struct band *bands;
	vmm_u128 extent;
	unsigned height, y;
	size_t nr;

	if (!as && as_name)
		return vmm_err_set(err, -ENOENT, "no address space '%s'", as_name);
	if (!as)
		return vmm_err_set(err, -ENOENT, "the model has no address space");
	fv = vmm_as_get_flatview(as);
	if (!fv)
		return vmm_err_set(err, -errno, "address space '%s' has no flat view", as->name);
	/* The map spans the address space's root region, or the ranges if they go further. */
	extent = as->root ? as->root->size : 0;
	last = fv->nr ? vmm_flatview_range(fv, fv->nr - 1) : NULL;
	if (last && last->start + last->size > extent)
		extent = last->start + last->size;
	bands = make_bands(fv, extent, &nr);
	if (!bands) {
		vmm_flatview_unref(fv);
		return vmm_err_set(err, -ENOMEM, "out of memory drawing '%s'", as->name);
	}
	height = PLOT_HEADER + PLOT_LEGEND_H + PLOT_MARGIN;
	for (size_t i = 0; i < nr; i++)
		height += band_height(bands[i].size);
	put_header(out, as, fv, height);
	y = PLOT_HEADER;
	for (size_t i = nr; i-- > 0;) {
		unsigned h = band_height(bands[i].size);

		put_band(out, &bands[i], y, h);
		y += h;
	}
	put_legend(out, y + PLOT_MARGIN / 2);
	vmm_buf_puts(out, "</svg>\n");
	free(bands);
	vmm_flatview_unref(fv);
	if (out->oom)
		return vmm_err_set(err, -ENOMEM, "out of memory drawing '%s'", as->name);
	return 0;
}
