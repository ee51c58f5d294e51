/* The recording tee: a probe source that forwards to another one and writes
 * each answer as a probe record line (docs/specs/probe-record.md). Recording
 * what the probe actually asked keeps a record complete by construction: no
 * second list of paths to keep in step with the probe. */
#include "blanket/probe_src.h"

#include <stdbool.h>
#include <string.h>

/* Write s escaped. A value may hold inner spaces; its end spaces are escaped
 * since editors strip trailing blanks. Paths and entries escape every space,
 * which would end the field. */
static void put_escaped(FILE *out, const char *s, bool value)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool plain_space = c == ' ' && value && i > 0 && i + 1 < n;

		if (c == '\\')
			fputs("\\\\", out);
		else if (c < 0x20 || c > 0x7e || (c == ' ' && !plain_space))
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

static int tee_cpuid(void *ctx, uint32_t leaf, uint32_t subleaf,
		     uint32_t regs[4])
{
	struct probe_tee *tee = ctx;
	int rc = tee->inner.ops->cpuid(tee->inner.ctx, leaf, subleaf, regs);

	/* Unlisted leaves replay as zero: leave the empty ones out. */
	if (!rc && (regs[0] | regs[1] | regs[2] | regs[3]))
		fprintf(tee->out, "cpuid %08x %08x %08x %08x %08x %08x\n", leaf,
			subleaf, regs[0], regs[1], regs[2], regs[3]);
	return rc;
}

static int tee_read_file(void *ctx, const char *path, char *buf, size_t len)
{
	struct probe_tee *tee = ctx;
	int rc;

	/* Never record a value longer than a reader accepts. */
	if (len > PROBE_REC_MAX_STR)
		len = PROBE_REC_MAX_STR;
	rc = tee->inner.ops->read_file(tee->inner.ctx, path, buf, len);
	if (rc)
		return rc;
	fputs("file ", tee->out);
	put_escaped(tee->out, path, false);
	if (buf[0]) {
		fputc(' ', tee->out);
		put_escaped(tee->out, buf, true);
	}
	fputc('\n', tee->out);
	return BL_OK;
}

struct tee_dir {
	struct probe_tee *tee;
	const char *path;
	probe_dir_fn fn;
	void *arg;
};

static int tee_dir_entry(void *arg, const char *name)
{
	struct tee_dir *td = arg;

	/* Longer names cannot be replayed; Linux's NAME_MAX makes them rare. */
	if (strlen(name) < PROBE_REC_MAX_STR) {
		fputs("dir ", td->tee->out);
		put_escaped(td->tee->out, td->path, false);
		fputc(' ', td->tee->out);
		put_escaped(td->tee->out, name, false);
		fputc('\n', td->tee->out);
	}
	return td->fn(td->arg, name);
}

static int tee_list_dir(void *ctx, const char *path, probe_dir_fn fn, void *arg)
{
	struct probe_tee *tee = ctx;
	struct tee_dir td = {tee, path, fn, arg};

	return tee->inner.ops->list_dir(tee->inner.ctx, path, tee_dir_entry,
					&td);
}

static const struct probe_src_ops tee_ops = {
    .cpuid = tee_cpuid,
    .read_file = tee_read_file,
    .list_dir = tee_list_dir,
};

struct probe_src probe_tee_begin(struct probe_tee *tee, struct probe_src inner,
				 FILE *out)
{
	tee->inner = inner;
	tee->out = out;
	fprintf(out, "blanket-probe-record %d\n", PROBE_REC_VERSION);
	return (struct probe_src){.ops = &tee_ops, .ctx = tee};
}

int probe_tee_end(struct probe_tee *tee)
{
	fputs("end\n", tee->out);
	return fflush(tee->out) || ferror(tee->out) ? BL_ERR_IO : BL_OK;
}
