// SPDX-License-Identifier: MIT
/*
 * The JSON dump parses (python3's json module, a strict RFC 8259 parser) and
 * says what the model holds: names with quotes, backslashes, control
 * characters (tab, 0x01), UTF-8 and an invalid byte survive the round trip (the invalid
 * byte as U+00FF), a 2^64 size is the string "0x10000000000000000", address
 * spaces point at their flat view, subregions keep list order, ranges name
 * their region and offset, RAM blocks and memslots are listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmm/kvm.h>
#include <vmm/memory.h>
#include <vmm/print.h>
#include "tap.h"

static const char checker[] =
	"import json, sys\n"
	"d = json.load(open(sys.argv[1]))\n"
	"regs = {r['id']: r for r in d['regions']}\n"
	"fvs = {f['id']: f for f in d['flatviews']}\n"
	"def check(cond, what):\n"
	"    print(('ok' if cond else 'not ok') + ' - json: ' + what)\n"
	"check(regs['weird']['name'] == 'a\"b\\\\c\\td\\x01e\\u00e9\\u00ff', 'escaped name round-trips')\n"
	"check(regs['sys']['size'] == '0x10000000000000000', '2^64 size as a string')\n"
	"check(regs['sys']['subregions'] == ['hi', 'weird', 'lo'], 'subregions in list order')\n"
	"check(regs['lo']['container'] == 'sys' and regs['lo']['addr'] == '0x0', 'container and addr')\n"
	"check(regs['lo']['alias'] == 'ram' and regs['lo']['alias_offset'] == '0x1000', 'alias link')\n"
	"check(regs['ram']['ramblock'] == 'ram' and regs['ram']['type'] == 'ram', 'ramblock link')\n"
	"a = d['address_spaces'][0]\n"
	"check(a['name'] == 'memory' and a['root'] == 'sys' and a['flatview'] in fvs, 'address space')\n"
	"check(d['address_spaces'][1]['name'] == 'I/\"O', 'quoted address-space name')\n"
	"r = fvs[a['flatview']]['ranges']\n"
	"check([x['region'] for x in r] == ['ram', 'weird', 'hi'], 'ranges in address order')\n"
	"check(r[0]['start'] == '0x0' and r[0]['end'] == '0x1fff' and r[0]['offset'] == '0x1000', 'range fields')\n"
	"check(r[0]['memslot'] == 5 and r[1]['memslot'] is None, 'range memslot link')\n"
	"check(d['ramblocks'][0]['idstr'] == 'ram' and d['ramblocks'][0]['used_length'] == '0x4000', 'ramblocks')\n"
	"check(d['memslots'] == [{'slot': 5, 'as_id': 0, 'guest_phys_addr': '0x0', 'memory_size': '0x2000',"
	" 'userspace_addr': '0x1000', 'flags': '-'}], 'memslots')\n"
	"check(d['accel'] == 'none', 'accel name')\n";

static int run_checker(const char *json)
{
	char jpath[] = "/tmp/print_json_XXXXXX", ppath[] = "/tmp/print_json_py_XXXXXX";
	char cmd[256], line[512];
	int jfd = mkstemp(jpath), pfd = mkstemp(ppath), rc = -1;
	FILE *p;

	if (jfd < 0 || pfd < 0 || write(jfd, json, strlen(json)) < 0 ||
	    write(pfd, checker, strlen(checker)) < 0)
		goto out;
	snprintf(cmd, sizeof(cmd), "python3 %s %s 2>&1", ppath, jpath);
	p = popen(cmd, "r");
	if (!p)
		goto out;
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "ok - ", 5))
			ok(1, "%s", line + 5);
		else if (!strncmp(line, "not ok - ", 9))
			ok(0, "%s", line + 9);
		else
			diag("%s", line);
	}
	rc = pclose(p);
out:
	if (jfd >= 0)
		close(jfd);
	if (pfd >= 0)
		close(pfd);
	unlink(jpath);
	unlink(ppath);
	return rc;
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();
	struct vmm_accel *a = vmm_accel_new_soft(0);
	struct vmm_mr *sys, *ram, *lo, *weird, *hi, *pio;
	struct vmm_err e;
	struct vmm_buf b;
	int r = 0;

	if (system("python3 -c 'import json' >/dev/null 2>&1"))
		skip_all("python3 is needed to parse the JSON");
	r |= vmm_mr_new_container(m, "sys", NULL, VMM_U64_LIMIT, &sys, &e);
	r |= vmm_mr_new_ram(m, VMM_MR_RAM, "ram", NULL, 0x4000, NULL, &ram, &e);
	r |= vmm_mr_new_alias(m, "lo", NULL, ram, 0x1000, 0x2000, &lo, &e);
	r |= vmm_mr_new_io(m, "weird", "a\"b\\c\td\001e\xc3\xa9\xff", 0x1000, NULL, &weird, &e);
	r |= vmm_mr_new_io(m, "hi", NULL, 0x1000, NULL, &hi, &e);
	if (r) {
		ok(0, "regions created: %s", e.msg);
		return done_testing();
	}
	r |= vmm_mr_map(lo, sys, 0, 0, &e);
	r |= vmm_mr_map(weird, sys, 0x2000, 0, &e);
	r |= vmm_mr_map(hi, sys, 0x3000, 1, &e);
	r |= vmm_as_new(m, "memory", sys, NULL, &e);
	r |= vmm_mr_new_io(m, "pio", NULL, 0x10000, NULL, &pio, &e);
	r |= vmm_as_new(m, "I/\"O", pio, NULL, &e);
	if (!ok(r == 0 && a, "model built")) {
		diag("%s", e.msg);
		return done_testing();
	}
	/* a slot exactly over the first range, as the KVM listener would add */
	vmm_accel_set_memslot(a, 5, 0, 0, 0, 0x2000, 0x1000);
	vmm_buf_init(&b);
	vmm_print_json(m, a, &b);
	ok(!b.oom && b.data, "json rendered");
	is(run_checker(b.data ? b.data : ""), 0, "python3 parsed it");
	vmm_buf_free(&b);
	vmm_accel_free(a);
	vmm_memory_free(m);
	return done_testing();
}
