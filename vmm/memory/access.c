// SPDX-License-Identifier: MIT
/*
 * Accesses through an address space's current flat view, as the guest (or
 * QEMU's address_space_rw) sees them: RAM is copied through its host mapping,
 * ROM and readonly RAM drop writes unless forced, ROM devices read from RAM
 * in romd mode and send everything else to their device, io regions get
 * naturally aligned 1/2/4/8-byte device calls, and holes read as all-ones.
 */
#include <errno.h>
#include <string.h>

#include <vmm/flatview.h>
#include <vmm/ramblock.h>

/* Largest naturally aligned access size (8, 4, 2, 1) at @off that fits @len. */
static unsigned piece_size(uint64_t off, size_t len)
{
	unsigned s = 8;

	while (s > 1 && ((off & (s - 1)) || s > len))
		s >>= 1;
	return s;
}

static int io_read(const struct vmm_mr *mr, uint64_t off, uint8_t *buf, size_t len)
{
	while (len) {
		unsigned s = piece_size(off, len);
		uint64_t v = ~0ull;
		unsigned i;
		int r;

		if (mr->ops && mr->ops->read) {
			r = mr->ops->read(mr->opaque, off, &v, s);
			if (r)
				return r;
		}
		for (i = 0; i < s; i++)
			buf[i] = (uint8_t)(v >> (8 * i));
		off += s;
		buf += s;
		len -= s;
	}
	return 0;
}

static int io_write(const struct vmm_mr *mr, uint64_t off, const uint8_t *buf, size_t len)
{
	while (len) {
		unsigned s = piece_size(off, len);
		uint64_t v = 0;
		unsigned i;
		int r;

		for (i = 0; i < s; i++)
			v |= (uint64_t)buf[i] << (8 * i);
		if (mr->ops && mr->ops->write) {
			r = mr->ops->write(mr->opaque, off, v, s);
			if (r)
				return r;
		}
		off += s;
		buf += s;
		len -= s;
	}
	return 0;
}

/* Reads come from RAM by the region's own romd mode, as QEMU's memory_access_is_direct. */
static bool direct_read(const struct vmm_flat_range *fr)
{
	return vmm_mr_reads_ram(fr->mr, fr->mr->romd_mode);
}

/**
 * vmm_flat_range_host() - host address of guest address @addr inside @fr
 * @fr: a flat range of a view the caller holds
 * @addr: an address in [fr->start, fr->start + fr->size)
 *
 * Return: the host address, or NULL when @fr's region has no RAM there.
 */
void *vmm_flat_range_host(const struct vmm_flat_range *fr, vmm_u128 addr)
{
	return vmm_mr_host(fr->mr, (uint64_t)(fr->offset_in_region + (addr - fr->start)));
}

/* One piece of an access inside flat range @fr (or a hole when @fr is NULL). */
static int access_piece(const struct vmm_flat_range *fr, uint64_t addr, uint8_t *buf,
			size_t len, bool write, bool force)
{
	uint64_t off;
	void *host;

	if (!fr) {
		if (!write)
			memset(buf, 0xff, len);
		return 0;
	}
	off = (uint64_t)(fr->offset_in_region + (addr - fr->start));
	if (write) {
		if (fr->mr->type == VMM_MR_IO || (fr->mr->type == VMM_MR_ROMD && !force))
			return io_write(fr->mr, off, buf, len);
		if (fr->readonly && !force)
			return 0;
	} else if (!direct_read(fr) && !(force && vmm_mr_is_ram(fr->mr))) {
		return io_read(fr->mr, off, buf, len);
	}
	host = vmm_flat_range_host(fr, addr);
	if (!host || off + len > fr->mr->rb->used_length)
		return -EFAULT;
	if (write)
		memcpy(host, buf, len);
	else
		memcpy(buf, host, len);
	return 0;
}

static int as_rw(struct vmm_as *as, uint64_t addr, uint8_t *buf, size_t len, bool write,
		 bool force)
{
	struct vmm_flatview *fv = vmm_as_get_flatview(as);
	vmm_u128 a = addr;
	int r = 0;

	if ((vmm_u128)addr + len > VMM_U64_LIMIT)
		r = -EINVAL;
	while (!r && len) {
		size_t i = vmm_flatview_lower_bound(fv, a);
		const struct vmm_flat_range *fr = i < fv->nr ? vmm_flatview_range(fv, i) : NULL;
		vmm_u128 end = a + len;
		size_t n;

		if (fr && fr->start > a) {
			end = fr->start < end ? fr->start : end;
			fr = NULL;
		} else if (fr && fr->start + fr->size < end) {
			end = fr->start + fr->size;
		}
		n = (size_t)(end - a);
		r = access_piece(fr, (uint64_t)a, buf, n, write, force);
		a += n;
		buf += n;
		len -= n;
	}
	vmm_flatview_unref(fv);
	return r;
}

int vmm_as_read(struct vmm_as *as, uint64_t addr, void *buf, size_t len)
{
	return as_rw(as, addr, buf, len, false, false);
}

int vmm_as_write(struct vmm_as *as, uint64_t addr, const void *buf, size_t len)
{
	return as_rw(as, addr, (uint8_t *)buf, len, true, false);
}

/**
 * vmm_as_write_force() - write as the host may: ROM and readonly RAM included
 * @as: address space
 * @addr: guest address
 * @buf: data
 * @len: bytes
 *
 * io ranges still go to their device; holes ignore the data.
 *
 * Return: 0 or -errno from a device.
 */
int vmm_as_write_force(struct vmm_as *as, uint64_t addr, const void *buf, size_t len)
{
	return as_rw(as, addr, (uint8_t *)buf, len, true, true);
}

/**
 * vmm_as_translate() - resolve one guest address through the current flat view
 * @as: address space
 * @addr: guest address
 * @out: leaf region, offset, bytes to the end of the range, host address
 *
 * Return: 0 (a hole gives @out->mr == NULL and the length to the next range).
 */
int vmm_as_translate(struct vmm_as *as, uint64_t addr, struct vmm_xlate *out)
{
	struct vmm_flatview *fv = vmm_as_get_flatview(as);
	size_t i = vmm_flatview_lower_bound(fv, addr);
	const struct vmm_flat_range *fr = i < fv->nr ? vmm_flatview_range(fv, i) : NULL;

	memset(out, 0, sizeof(*out));
	if (!fr || fr->start > addr) {
		out->len = (fr ? fr->start : VMM_U64_LIMIT) - addr;
	} else {
		out->mr = fr->mr;
		out->offset = (uint64_t)(fr->offset_in_region + (addr - fr->start));
		out->len = fr->start + fr->size - addr;
		out->readonly = fr->readonly || fr->mr->type == VMM_MR_ROMD;
		if (vmm_mr_is_ram(fr->mr))
			out->host = vmm_flat_range_host(fr, addr);
	}
	vmm_flatview_unref(fv);
	return 0;
}
