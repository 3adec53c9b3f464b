/* SPDX-License-Identifier: MIT */
/*
 * The control language (README, "The control language"; mtreefs(1)): one
 * command per line, shared by scripts, the global ctl file and each region's
 * ctl file.
 *
 *   container ID SIZE [name=NAME] [PLACE]
 *   ram|rom   ID SIZE [name=NAME] [backend=anon|memfd|file:PATH] [max=SIZE] [idstr=S] [PLACE]
 *   romd      ID SIZE [name=NAME] [PLACE]
 *   io        ID SIZE [name=NAME] [device=KIND] [PLACE]
 *   alias     ID TARGET OFFSET SIZE [name=NAME] [PLACE]
 *   map       ID [in PARENT] at ADDR [prio P]
 *   unmap     ID
 *   set       ID KEY VALUE
 *   delete    ID
 *   address-space NAME ROOT
 *   delete-address-space NAME
 *   begin | commit | abort
 *   PLACE := [in PARENT] at ADDR [prio P]
 */
#ifndef VMM_CTL_H
#define VMM_CTL_H

#include <vmm/base.h>

struct vmm_memory;
struct vmm_as;

/**
 * struct vmm_ctl_ctx - where commands are executed
 * @mem: the model
 * @region: the implied region of a region's ctl file (NULL for the global ctl
 *          and scripts): "in PARENT" defaults to it for creations and map, and
 *          "set KEY VALUE" / "delete" act on it
 * @line: 1-based number of the failing line (out)
 * @pinned, @nr_pinned: address spaces that delete-address-space refuses with
 *          -EBUSY, because their owner keeps pointers to them (a machine's
 *          "memory" and "I/O")
 * @cancelled: asked before every line (NULL: never); when it answers true the
 *          call stops there, undoes what it applied and returns -EINTR, so a
 *          long script does not hold up a daemon that was told to stop
 * @cancel_arg: its argument
 */
struct vmm_ctl_ctx {
	struct vmm_memory *mem;
	const char *region;
	unsigned line;
	struct vmm_as *const *pinned;
	size_t nr_pinned;
	bool (*cancelled)(void *arg);
	void *cancel_arg;
};

/*
 * Execute @len bytes of @text. Without transaction lines the call is one
 * transaction: every line applies, or none does and the model is exactly as
 * before; a begin...commit pair inside the call nests and keeps that. A line
 * that reaches outside the call - a commit/abort closing a begin of an earlier
 * call, or a begin still open when the call ends - splits the call there: the
 * lines before it are settled first, and an error after it undoes only the
 * lines after it. Such a begin is the whole model's, open to every later
 * call; writers that must not share one use a struct vmm_ctl_session (as the
 * ctl files do). Returns 0 or -errno, with @err's message naming the line
 * ("line 3: unknown region 'foo'").
 */
int vmm_ctl_exec(struct vmm_ctl_ctx *ctx, const char *text, size_t len, struct vmm_err *err);

/* Read and execute a script file (as vmm_ctl_exec, one transaction). */
int vmm_ctl_exec_file(struct vmm_ctl_ctx *ctx, const char *path, struct vmm_err *err);

/*
 * A session: the control language as written through one open ctl file,
 * whose write() the kernel may hand over in several pieces cut anywhere
 * (README, "The control language"). It assembles lines across pieces and
 * owns the file's transaction:
 *
 * - A line runs only once its newline arrived; the partial line a piece ends
 *   with waits for the next piece (or vmm_ctl_session_flush()). The complete
 *   lines of one piece run as one vmm_ctl_exec() call: all or none.
 * - `begin` opens the session's own transaction. Its commands are checked
 *   (words, verb) as they arrive and queued, not applied; nobody else sees or
 *   joins them. `commit` runs the queue and the piece's other lines as one
 *   call, all or nothing; `abort` drops the queue. commit/abort without a
 *   begin of this session is -EINVAL.
 * - A piece that fails changed nothing: the model, the partial line, the
 *   queue and the line count are as before it.
 *
 * Line numbers in messages count the lines written through the session.
 * The caller serializes all calls on a model (the daemon's topology lock).
 */
struct vmm_ctl_session;

/* Largest transaction a session queues, in bytes of commands. */
#define VMM_CTL_TXN_MAX (64u << 20)

/* A new session, or NULL with errno set. */
struct vmm_ctl_session *vmm_ctl_session_new(void);

/* Free @s; an open transaction and a partial line are dropped. NULL is fine. */
void vmm_ctl_session_free(struct vmm_ctl_session *s);

/*
 * Take one piece. Returns 0 or -errno; on error @err names the line
 * ("line 7: unknown command 'x'") and nothing changed.
 */
int vmm_ctl_session_feed(struct vmm_ctl_session *s, struct vmm_ctl_ctx *ctx, const char *buf,
			 size_t len, struct vmm_err *err);

/*
 * The writer closed a descriptor: a partial line is complete now and runs
 * (or is queued) as if its newline had come. 0 when there was none.
 */
int vmm_ctl_session_flush(struct vmm_ctl_session *s, struct vmm_ctl_ctx *ctx,
			  struct vmm_err *err);

/*
 * The file is gone: flush, then abort a transaction still open. Returns the
 * flush's error, else -ECANCELED with @err saying what was dropped when a
 * transaction was open, else 0. The session stays valid for _free().
 */
int vmm_ctl_session_close(struct vmm_ctl_session *s, struct vmm_ctl_ctx *ctx,
			  struct vmm_err *err);

/**
 * struct vmm_ctl_session_info - an open transaction, for display
 * @begin_line: line number of its begin
 * @commands:   commands queued so far
 * @bytes:      their size
 */
struct vmm_ctl_session_info {
	unsigned begin_line;
	size_t commands;
	size_t bytes;
};

/* True when @s holds an open transaction; @info (may be NULL) describes it. */
bool vmm_ctl_session_in_txn(const struct vmm_ctl_session *s, struct vmm_ctl_session_info *info);

/* The text of the line the last failed call refused ("" when none), for logs. */
const char *vmm_ctl_session_failed_line(const struct vmm_ctl_session *s, size_t *len);

/*
 * Tokenizer, exposed for the importer and tests: split one line into tokens
 * (double quotes group, backslash escapes \" and \\ inside quotes, # starts a
 * comment outside quotes). Returns the token count or -EINVAL (unterminated
 * quote, too many tokens). Tokens point into @scratch (at least strlen+1 bytes).
 */
#define VMM_CTL_MAX_TOKENS 32
/* Longest accepted line, in bytes, without its newline. */
#define VMM_CTL_LINE_MAX 4096
int vmm_ctl_tokenize(const char *line, char *scratch, char **tok, int max);

/* Quote @s for the control language if it needs it (spaces, quotes, '#', empty). */
void vmm_ctl_quote(struct vmm_buf *out, const char *s);

/*
 * Emit a script that rebuilds the whole model: regions in creation order (an
 * alias after its target), then the mappings of each container in the order
 * that reproduces its subregion list exactly, then the attributes that differ
 * from a fresh region's, then the address spaces. Executing it on an empty
 * model gives identical flat views and identical `info mtree` text.
 */
void vmm_ctl_dump_script(struct vmm_memory *m, struct vmm_buf *out);

/* True when @id is a valid region ID (letters, digits, "._-:@", not "." or ".."). */
bool vmm_ctl_valid_id(const char *id);

/* What the VALUE of `set ID KEY VALUE` is, by key. */
enum vmm_ctl_kind {
	VMM_CTL_BOOL,		/* an on/off word, see vmm_ctl_parse_bool() */
	VMM_CTL_INT,		/* a signed number (prio) */
	VMM_CTL_U64,		/* an address or offset below 2^64 */
	VMM_CTL_SIZE,		/* a size, up to 2^64 */
	VMM_CTL_REGION,		/* a region ID (an alias's target) */
};

/**
 * struct vmm_ctl_key - one key that `set ID KEY VALUE` accepts
 * @key:  the KEY word ("log-dirty")
 * @file: the attribute file under regions/ID/ whose write is sugar for this
 *        set ("log_dirty"; README, "The filesystem"), or NULL when no file
 *        writes it
 * @kind: what VALUE is
 */
struct vmm_ctl_key {
	const char *key;
	const char *file;
	enum vmm_ctl_kind kind;
};

/*
 * The settable keys, the only list of them: the @i-th (from 0), or NULL past
 * the last. The filesystem learns from it which attribute files are writable.
 */
const struct vmm_ctl_key *vmm_ctl_key_at(size_t i);

/* The key named @key, or the one whose attribute file is @file; NULL when none. */
const struct vmm_ctl_key *vmm_ctl_key_find(const char *key);
const struct vmm_ctl_key *vmm_ctl_key_find_file(const char *file);

/**
 * vmm_ctl_parse_bool() - read an on/off word
 * @s:  the word: on/off, 1/0, true/false, yes/no or y/n, in any case
 * @on: the value (out)
 *
 * The one list of these words, for `set` lines and the attribute files alike.
 * Return: 0, or -EINVAL when @s is none of them.
 */
int vmm_ctl_parse_bool(const char *s, bool *on);

/**
 * vmm_ctl_set() - apply `set ID KEY VALUE`
 * @m:     the model
 * @id, @key, @value: the line's words
 * @err:   the reason of a refusal, worded as the ctl line's (without "line N:")
 *
 * One model call, so it is its own transaction, or part of the one a ctl
 * begin holds open. Return: 0 or -errno (-ENOENT unknown region, -EINVAL
 * unknown key or bad value, or the model's refusal).
 */
int vmm_ctl_set(struct vmm_memory *m, const char *id, const char *key, const char *value,
		struct vmm_err *err);

#endif
