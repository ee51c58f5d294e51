/* Probe records (docs/specs/probe-record.md): the strict parser, and the
 * probe source that answers from a parsed record.
 *
 * Records come from other machines and people: every limit is checked
 * before memory is used, and a bad record is rejected whole with its line
 * number and a reason, never half-read. */
#include "blanket/probe_src.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"

#define HEADER "blanket-probe-record"

enum item_kind { ITEM_CPUID, ITEM_FILE, ITEM_DIR };

struct item {
	enum item_kind kind;
	uint32_t cpuid[6]; /* leaf, subleaf, eax, ebx, ecx, edx */
	char path[PROBE_REC_MAX_STR];
	char text[PROBE_REC_MAX_STR]; /* the file's value or the dir entry */
};

struct probe_record {
	size_t n, cap;
	struct item *item;
};

/* Parser state between lines. */
struct parse {
	struct probe_record *rec;
	bool header, ended;
	const char *why;
};

/* ---- fields ---- */

/* The next field of *p (up to a space or the end), or NULL when there is
 * none; *p moves past it and its space. */
static const char *next_field(char **p, size_t *len_r)
{
	char *f = *p, *sp;

	if (!f)
		return NULL;
	sp = strchr(f, ' ');
	*len_r = sp ? (size_t)(sp - f) : strlen(f);
	*p = sp ? sp + 1 : NULL;
	return f;
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Decode n bytes of an escaped field into out (PROBE_REC_MAX_STR bytes). */
static const char *decode(const char *s, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\') {
			if (i + 1 < n && s[i + 1] == '\\') {
				i++;
			} else if (i + 3 < n && s[i + 1] == 'x' &&
				   isxdigit((unsigned char)s[i + 2]) &&
				   isxdigit((unsigned char)s[i + 3])) {
				c = (unsigned char)(hexval(s[i + 2]) * 16 +
						    hexval(s[i + 3]));
				i += 3;
				if (c == 0)
					return "\\x00 is not allowed";
			} else {
				return "bad escape: write \\\\ or \\xHH";
			}
		} else if (c < 0x20 || c > 0x7e) {
			return "control or non-ASCII byte: write it as \\xHH";
		}
		if (o + 1 >= PROBE_REC_MAX_STR)
			return "field longer than 255 bytes";
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return NULL;
}

/* Exactly 8 hex digits. */
static const char *parse_hex32(const char *s, size_t n, uint32_t *v_r)
{
	uint32_t v = 0;

	if (n != 8)
		return "bad hex number: want exactly 8 hex digits";
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return "bad hex number: want exactly 8 hex digits";
		v = v << 4 | (uint32_t)hexval(s[i]);
	}
	*v_r = v;
	return NULL;
}

/* ---- items ---- */

static int add_item(struct parse *ps, struct item **it_r)
{
	struct probe_record *rec = ps->rec;

	if (rec->n == PROBE_REC_MAX_ITEMS) {
		ps->why = "more than 4096 items";
		return BL_ERR_INVAL;
	}
	if (rec->n == rec->cap) {
		size_t cap = rec->cap ? rec->cap * 2 : 64;
		struct item *bigger = realloc(rec->item, cap * sizeof(*bigger));

		if (!bigger) {
			ps->why = "out of memory";
			return BL_ERR_NOMEM;
		}
		rec->item = bigger;
		rec->cap = cap;
	}
	*it_r = &rec->item[rec->n];
	memset(*it_r, 0, sizeof(**it_r));
	return BL_OK;
}

/* Items that may appear once: a cpuid item's key is its leaf and subleaf,
 * a file's its path, a dir item's its path and entry. */
static bool same_key(const struct item *a, const struct item *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == ITEM_CPUID)
		return a->cpuid[0] == b->cpuid[0] && a->cpuid[1] == b->cpuid[1];
	return !strcmp(a->path, b->path) &&
	       (a->kind == ITEM_FILE || !strcmp(a->text, b->text));
}

/* The item with key's key, or NULL. */
static const struct item *find(const struct probe_record *rec,
			       const struct item *key)
{
	for (size_t i = 0; i < rec->n; i++)
		if (same_key(&rec->item[i], key))
			return &rec->item[i];
	return NULL;
}

static int parse_cpuid(struct parse *ps, char *args, struct item *it)
{
	const char *f;
	size_t n;

	it->kind = ITEM_CPUID;
	for (int i = 0; i < 6; i++) {
		f = next_field(&args, &n);
		if (!f) {
			ps->why = "cpuid wants LEAF SUBLEAF EAX EBX ECX EDX";
			return BL_ERR_INVAL;
		}
		ps->why = parse_hex32(f, n, &it->cpuid[i]);
		if (ps->why)
			return BL_ERR_INVAL;
	}
	if (args) {
		ps->why = "too many fields: cpuid wants 6";
		return BL_ERR_INVAL;
	}
	if (find(ps->rec, it)) {
		ps->why = "this cpuid leaf and subleaf are listed twice";
		return BL_ERR_INVAL;
	}
	return BL_OK;
}

static const char *parse_path(const char *f, size_t n, char *out)
{
	const char *why = decode(f, n, out);

	if (!why && out[0] != '/')
		why = "path is not absolute";
	return why;
}

static int parse_file(struct parse *ps, char *args, struct item *it)
{
	const char *f;
	size_t n;

	it->kind = ITEM_FILE;
	f = next_field(&args, &n);
	if (!f) {
		ps->why = "file wants PATH [VALUE]";
		return BL_ERR_INVAL;
	}
	ps->why = parse_path(f, n, it->path);
	if (!ps->why && args)
		ps->why = decode(args, strlen(args), it->text);
	if (ps->why)
		return BL_ERR_INVAL;
	if (find(ps->rec, it)) {
		ps->why = "this file is listed twice";
		return BL_ERR_INVAL;
	}
	return BL_OK;
}

static int parse_dir(struct parse *ps, char *args, struct item *it)
{
	const char *path, *entry;
	size_t plen, elen;

	it->kind = ITEM_DIR;
	path = next_field(&args, &plen);
	entry = next_field(&args, &elen);
	if (!entry) {
		ps->why = "dir wants PATH ENTRY";
		return BL_ERR_INVAL;
	}
	if (args) {
		ps->why = "too many fields: dir wants 2";
		return BL_ERR_INVAL;
	}
	ps->why = parse_path(path, plen, it->path);
	if (!ps->why)
		ps->why = decode(entry, elen, it->text);
	if (!ps->why && (!it->text[0] || strchr(it->text, '/') ||
			 !strcmp(it->text, ".") || !strcmp(it->text, "..")))
		ps->why = "entry is empty, ., .. or has a /";
	if (ps->why)
		return BL_ERR_INVAL;
	if (find(ps->rec, it)) {
		ps->why = "this directory entry is listed twice";
		return BL_ERR_INVAL;
	}
	return BL_OK;
}

static const struct {
	const char *keyword;
	int (*parse)(struct parse *ps, char *args, struct item *it);
} item_types[] = {
    {"cpuid", parse_cpuid},
    {"file", parse_file},
    {"dir", parse_dir},
};

#define N_ITEM_TYPES (sizeof(item_types) / sizeof(item_types[0]))

/* ---- lines ---- */

static int parse_header(struct parse *ps, const char *keyword, char *args)
{
	if (strcmp(keyword, HEADER)) {
		ps->why = "not a probe record: the first line must be "
			  "\"" HEADER " 1\"";
		return BL_ERR_INVAL;
	}
	/* Version 1 is the only one yet; N and N-1 once there are two. */
	if (!args || strcmp(args, "1")) {
		ps->why = "unsupported record version (this blanket reads 1)";
		return BL_ERR_INVAL;
	}
	ps->header = true;
	return BL_OK;
}

/* One line, NUL-terminated, not a comment. */
static int parse_line(struct parse *ps, char *line)
{
	char *args = strchr(line, ' ');
	struct item *it;
	int rc;

	if (args)
		*args++ = '\0';
	if (!ps->header)
		return parse_header(ps, line, args);
	if (ps->ended) {
		ps->why = "line after the end line";
		return BL_ERR_INVAL;
	}
	if (!strcmp(line, "end")) {
		ps->ended = true;
		ps->why = args ? "end takes no fields" : NULL;
		return args ? BL_ERR_INVAL : BL_OK;
	}
	for (size_t i = 0; i < N_ITEM_TYPES; i++) {
		if (strcmp(line, item_types[i].keyword))
			continue;
		rc = add_item(ps, &it);
		if (!rc)
			rc = item_types[i].parse(ps, args, it);
		if (!rc)
			ps->rec->n++;
		return rc;
	}
	ps->why = !strcmp(line, HEADER) ? "a second header"
					: "unknown keyword (want cpuid, file, "
					  "dir or end)";
	return BL_ERR_INVAL;
}

int probe_record_parse(const char *text, size_t len,
		       struct probe_record **rec_r, int *line_r,
		       const char **why_r)
{
	struct parse ps = {.rec = NULL};
	char line[PROBE_REC_MAX_LINE];
	size_t off = 0;
	int lineno = 0, rc = BL_OK;

	/* Every failure below sets ps.why; rc is BL_ERR_INVAL unless set. */
	if (len > PROBE_REC_MAX_BYTES) {
		ps.why = "record larger than 1 MiB";
		goto out;
	}
	ps.rec = calloc(1, sizeof(*ps.rec));
	if (!ps.rec) {
		ps.why = "out of memory";
		rc = BL_ERR_NOMEM;
		goto out;
	}
	while (off < len) {
		const char *start = text + off;
		const char *nl = memchr(start, '\n', len - off);
		size_t n = nl ? (size_t)(nl - start) : len - off;

		lineno++;
		if (n >= sizeof(line)) {
			ps.why = "line longer than 2048 bytes";
			goto out;
		}
		if (!nl) {
			ps.why = "last line has no newline (truncated?)";
			goto out;
		}
		if (memchr(start, '\0', n)) {
			ps.why = "NUL byte";
			goto out;
		}
		memcpy(line, start, n);
		line[n] = '\0';
		off += n + 1;
		if (n && line[0] != '#' && (rc = parse_line(&ps, line)))
			goto out;
	}
	lineno++;
	if (!ps.header)
		ps.why = "empty: no \"" HEADER " 1\" line";
	else if (!ps.ended)
		ps.why = "no end line (truncated?)";
out:
	if (ps.why) {
		*line_r = lineno ? lineno : 1;
		*why_r = ps.why;
		rc = rc ? rc : BL_ERR_INVAL;
	} else {
		*rec_r = ps.rec;
		ps.rec = NULL;
	}
	probe_record_free(ps.rec);
	return rc;
}

int probe_record_load(const char *path, struct probe_record **rec_r)
{
	const char *why = NULL;
	char *text = NULL;
	size_t len = 0;
	int fd, line = 0, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("cannot open %s", path);
		return errno == ENOENT ? BL_ERR_NOTFOUND : BL_ERR_IO;
	}
	rc = fdio_read_all(fd, PROBE_REC_MAX_BYTES, &text, &len);
	close(fd);
	if (rc == BL_ERR_INVAL)
		log_warnx("%s: larger than 1 MiB: not a probe record", path);
	else if (rc)
		log_warnx("cannot read %s: %s", path, bl_strerror(rc));
	if (rc)
		return rc;
	rc = probe_record_parse(text, len, rec_r, &line, &why);
	if (rc)
		log_warnx("%s:%d: %s", path, line, why);
	free(text);
	return rc;
}

void probe_record_free(struct probe_record *rec)
{
	if (!rec)
		return;
	free(rec->item);
	free(rec);
}

/* ---- the recorded source ---- */

static int rec_cpuid(void *ctx, uint32_t leaf, uint32_t subleaf,
		     uint32_t regs[4])
{
	struct item key = {.kind = ITEM_CPUID, .cpuid = {leaf, subleaf}};
	const struct item *it = find(ctx, &key);

	/* Unlisted leaves read as zero, as unused hypervisor leaves do. */
	memset(regs, 0, 4 * sizeof(regs[0]));
	if (it)
		memcpy(regs, &it->cpuid[2], 4 * sizeof(regs[0]));
	return BL_OK;
}

static int rec_read_file(void *ctx, const char *path, char *buf, size_t len)
{
	const struct probe_record *rec = ctx;

	if (len == 0)
		return BL_ERR_INVAL;
	for (size_t i = 0; i < rec->n; i++) {
		const struct item *it = &rec->item[i];

		if (it->kind == ITEM_FILE && !strcmp(it->path, path)) {
			snprintf(buf, len, "%s", it->text);
			return BL_OK;
		}
	}
	return BL_ERR_NOTFOUND;
}

static int rec_list_dir(void *ctx, const char *path, probe_dir_fn fn, void *arg)
{
	const struct probe_record *rec = ctx;
	bool found = false;

	for (size_t i = 0; i < rec->n; i++) {
		const struct item *it = &rec->item[i];
		int rc;

		if (it->kind != ITEM_DIR || strcmp(it->path, path))
			continue;
		found = true;
		rc = fn(arg, it->text);
		if (rc)
			return rc;
	}
	return found ? BL_OK : BL_ERR_NOTFOUND;
}

static const struct probe_src_ops record_ops = {
    .cpuid = rec_cpuid,
    .read_file = rec_read_file,
    .list_dir = rec_list_dir,
};

struct probe_src probe_record_src(struct probe_record *rec)
{
	return (struct probe_src){.ops = &record_ops, .ctx = rec};
}
