// SPDX-License-Identifier: MIT
/*
 * vmm_u128_fmt(), the one formatter of 128-bit sizes, ends and offsets that
 * every printer shares: hex without leading zeros over all 128 bits, the
 * control language's "16E" for 2^64, and binary units for people.
 */
#include <vmm/base.h>

#include "tap.h"

int main(void)
{
	char b[VMM_U128_BUF];
	vmm_u128 max = ~(vmm_u128)0;

	is_str(vmm_u128_fmt(0, VMM_U128_HEX, b), "0x0", "zero is 0x0");
	is_str(vmm_u128_fmt(0xfffc0000, VMM_U128_HEX, b), "0xfffc0000", "no leading zeros");
	is_str(vmm_u128_fmt(VMM_U64_LIMIT, VMM_U128_HEX, b), "0x10000000000000000",
	       "2^64 keeps its 17th digit");
	is_str(vmm_u128_fmt(max, VMM_U128_HEX, b), "0xffffffffffffffffffffffffffffffff",
	       "2^128-1 uses every digit");
	is_str(vmm_u128_fmt(VMM_U64_LIMIT, VMM_U128_SIZE, b), "16E", "a size of 2^64 is 16E");
	is_str(vmm_u128_fmt(VMM_U64_LIMIT - 1, VMM_U128_SIZE, b), "0xffffffffffffffff",
	       "below 2^64 a size is hex");
	is_str(vmm_u128_fmt(VMM_U64_LIMIT + 1, VMM_U128_SIZE, b), "0x10000000000000001",
	       "above 2^64 a size is hex");
	is_str(vmm_u128_fmt(512ull << 20, VMM_U128_IEC, b), "512 MiB", "whole units");
	is_str(vmm_u128_fmt(1536, VMM_U128_IEC, b), "1.5 KiB", "one decimal otherwise");
	is_str(vmm_u128_fmt(1023, VMM_U128_IEC, b), "1023 B", "bytes below 1 KiB");
	is_str(vmm_u128_fmt(VMM_U64_LIMIT, VMM_U128_IEC, b), "16 EiB", "2^64 is 16 EiB");
	return done_testing();
}
