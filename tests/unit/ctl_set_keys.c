// SPDX-License-Identifier: MIT
/*
 * The keys of `set ID KEY VALUE` and the on/off words have one owner, vmm/ctl,
 * which the filesystem's attribute files consult too: every key is found by
 * its name and by its attribute file, the words that worked in either place
 * before work in both (on/off, 1/0, true/false, yes/no, y/n, any case), other
 * words are refused with the model unchanged, and vmm_ctl_set() gives the
 * same result and reason as the ctl line.
 */
#include "ctl_helpers.h"

static void table(void)
{
	static const struct { const char *key, *file; enum vmm_ctl_kind kind; } want[] = {
		{ "enabled", "enabled", VMM_CTL_BOOL }, { "readonly", "readonly", VMM_CTL_BOOL },
		{ "nonvolatile", "nonvolatile", VMM_CTL_BOOL }, { "romd", "romd", VMM_CTL_BOOL },
		{ "log-dirty", "log_dirty", VMM_CTL_BOOL }, { "prio", "prio", VMM_CTL_INT },
		{ "addr", "addr", VMM_CTL_U64 }, { "alias-offset", "alias_offset", VMM_CTL_U64 },
		{ "size", "size", VMM_CTL_SIZE }, { "alias", NULL, VMM_CTL_REGION },
	};
	size_t n = sizeof(want) / sizeof(want[0]), i;

	for (i = 0; vmm_ctl_key_at(i); i++)
		;
	is(i, n, "%zu settable keys", n);
	for (i = 0; i < n; i++) {
		const struct vmm_ctl_key *k = vmm_ctl_key_find(want[i].key);

		ok(k && k == vmm_ctl_key_at(i), "key %s is found, in its place", want[i].key);
		if (!k)
			continue;
		is(k->kind, want[i].kind, "%s takes the right kind of value", want[i].key);
		if (want[i].file)
			ok(vmm_ctl_key_find_file(want[i].file) == k, "file %s writes %s",
			   want[i].file, want[i].key);
		else
			ok(!k->file, "no attribute file writes %s", want[i].key);
	}
	ok(!vmm_ctl_key_find("log_dirty") && !vmm_ctl_key_find_file("log-dirty"),
	   "the key and the file name are not mixed up");
	ok(!vmm_ctl_key_find("name") && !vmm_ctl_key_find_file("type"),
	   "read-only attributes are no keys");
}

static void words(struct vmm_memory *m)
{
	static const char *const on[] = { "on", "1", "true", "yes", "y", "ON", "True", "YES", "Y" };
	static const char *const off[] = { "off", "0", "false", "no", "n", "OFF", "False", "No", "N" };
	static const char *const bad[] = { "2", "enable", "o", "", "yess", "0x1", "-1" };
	struct vmm_mr *r = vmm_mr_find(m, "r");
	char cmd[64];
	bool v;

	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		ok(!vmm_ctl_parse_bool(on[i], &v) && v, "'%s' is on", on[i]);
		ok(!vmm_ctl_parse_bool(off[i], &v) && !v, "'%s' is off", off[i]);
		snprintf(cmd, sizeof(cmd), "set r readonly %s\n", on[i]);
		is(exec(m, cmd), 0, "set r readonly %s (%s)", on[i], last_err.msg);
		ok(r->readonly, "readonly after '%s'", on[i]);
		snprintf(cmd, sizeof(cmd), "set r readonly %s\n", off[i]);
		is(exec(m, cmd), 0, "set r readonly %s (%s)", off[i], last_err.msg);
		ok(!r->readonly, "not readonly after '%s'", off[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is(vmm_ctl_parse_bool(bad[i], &v), -EINVAL, "'%s' is no on/off word", bad[i]);
		snprintf(cmd, sizeof(cmd), "set r enabled \"%s\"\n", bad[i]);
		rejects(m, cmd, -EINVAL, cmd);
	}
}

static void direct(struct vmm_memory *m)
{
	struct vmm_err err = { 0 };

	is(vmm_ctl_set(m, "r", "prio", "3", &err), 0, "vmm_ctl_set prio (%s)", err.msg);
	is(vmm_mr_find(m, "r")->priority, 3, "priority applied");
	is(vmm_ctl_set(m, "r", "enabled", "n", &err), 0, "vmm_ctl_set enabled n (%s)", err.msg);
	ok(!vmm_mr_find(m, "r")->enabled, "disabled");
	is(vmm_ctl_set(m, "nope", "prio", "1", &err), -ENOENT, "unknown region");
	is_str(err.msg, "unknown region 'nope'", "reason as the ctl line's");
	is(vmm_ctl_set(m, "r", "colour", "red", &err), -EINVAL, "unknown key");
	is_str(err.msg, "unknown attribute 'colour' (enabled readonly nonvolatile romd log-dirty "
	       "prio addr alias-offset size alias)", "the reason lists every key");
	is(exec(m, "set r colour red\n"), -EINVAL, "the ctl line refuses it too");
	is_str(last_err.msg, "line 1: unknown attribute 'colour' (enabled readonly nonvolatile romd "
	       "log-dirty prio addr alias-offset size alias)", "with the same reason");
	is(vmm_ctl_set(m, "r", "prio", "x", &err), -EINVAL, "bad number");
	is_str(err.msg, "priority 'x' is not a number", "names the value");
	is(vmm_ctl_set(m, "r", "readonly", "maybe", &err), -EINVAL, "bad word");
	is_str(err.msg, "readonly takes on or off, not 'maybe'", "says what it takes");
}

int main(void)
{
	struct vmm_memory *m = vmm_memory_new();

	table();
	is(exec(m, "container sys 1M\nram r 4K in sys at 0\n"), 0, "model (%s)", last_err.msg);
	words(m);
	direct(m);
	vmm_memory_free(m);
	return done_testing();
}
