/* Where `blanket node probe` reads a machine from: one small ops struct with
 * three implementations. The live one asks this machine (the cpuid
 * instruction, /sys, /proc); the recorded one answers from a probe record
 * (docs/specs/probe-record.md); the tee forwards to another source and writes
 * every answer as a record, which is how `--record` captures a machine. */
#ifndef BL_PROBE_SRC_H
#define BL_PROBE_SRC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "toolstack/common/err.h"

/* Called for each directory entry; a non-zero return stops the listing and
 * becomes list_dir's result. */
typedef int (*probe_dir_fn)(void *arg, const char *name);

struct probe_src_ops {
	/* regs[] = EAX, EBX, ECX, EDX of CPUID leaf/subleaf. */
	int (*cpuid)(void *ctx, uint32_t leaf, uint32_t subleaf,
		     uint32_t regs[4]);
	/* The first line of the file at path, without its newline, cut to
	 * len - 1 bytes and NUL-terminated in buf. BL_ERR_NOTFOUND when there
	 * is no such file, BL_ERR_IO when it cannot be read. */
	int (*read_file)(void *ctx, const char *path, char *buf, size_t len);
	/* fn for each entry of the directory at path but . and .., in no
	 * particular order. BL_ERR_NOTFOUND when there is no such directory. */
	int (*list_dir)(void *ctx, const char *path, probe_dir_fn fn,
			void *arg);
};

struct probe_src {
	const struct probe_src_ops *ops;
	void *ctx;
};

/* This machine. */
struct probe_src probe_src_live(void);

/* Probe records: the limits of docs/specs/probe-record.md. */
#define PROBE_REC_VERSION   1
#define PROBE_REC_MAX_BYTES (1024 * 1024)
#define PROBE_REC_MAX_LINE  2048 /* bytes, newline included */
#define PROBE_REC_MAX_ITEMS 4096
#define PROBE_REC_MAX_STR   256 /* a decoded path, entry or value, with NUL */

struct probe_record;

/* Parse len bytes of text (no NUL needed). On success *rec_r owns a new
 * record; free it with probe_record_free(). On error *rec_r is untouched,
 * *line_r is the offending line (one past the last for a missing end) and
 * *why_r a static reason; the rc is BL_ERR_INVAL, or BL_ERR_NOMEM. */
int probe_record_parse(const char *text, size_t len,
		       struct probe_record **rec_r, int *line_r,
		       const char **why_r) BL_MUST_CHECK;
/* Read and parse the file at path; errors are logged as "path:line: why". */
int probe_record_load(const char *path,
		      struct probe_record **rec_r) BL_MUST_CHECK;
void probe_record_free(struct probe_record *rec);
/* A source answering from rec, which must outlive it. */
struct probe_src probe_record_src(struct probe_record *rec);

/* A source that reads through inner and writes each answer to out as a
 * record line. probe_tee_begin() writes the header, probe_tee_end() the end
 * line; the record in between holds exactly what was read. */
struct probe_tee {
	struct probe_src inner;
	FILE *out;
};

struct probe_src probe_tee_begin(struct probe_tee *tee, struct probe_src inner,
				 FILE *out);
/* BL_OK, or BL_ERR_IO when any line could not be written. */
int probe_tee_end(struct probe_tee *tee) BL_MUST_CHECK;

#endif
