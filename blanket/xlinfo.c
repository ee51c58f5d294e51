/* `xl info` output, parsed strictly (tools/xl/xl_info.c prints it as
 * "%-23s: %s" lines), and run through popen for a live node. */
#include "blanket/xlinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"

/* Xen's featureset words in hw_caps: CPUID.1:ECX is word 1 (VMX is bit 5),
 * CPUID.80000001:ECX word 3 (SVM is bit 2); see Xen's
 * public/arch-x86/cpufeatureset.h. */
#define HW_CAPS_1C   1
#define HW_VMX_BIT   5
#define HW_CAPS_E1C  3
#define HW_SVM_BIT   2
#define XL_MAX_WORDS 32

struct xl_key {
	const char *key;
	const char *missing; /* the error when a required key is absent */
	const char *(*parse)(const struct xl_key *k, const char *value,
			     struct xl_info *xi);
	size_t offset; /* of the field in struct xl_info */
	long min, max; /* numbers: the range; text: max is the size */
};

static const char *parse_num(const struct xl_key *k, const char *v,
			     struct xl_info *xi)
{
	char *end;
	long n;

	if (*v < '0' || *v > '9')
		return "not a decimal number";
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < k->min || n > k->max)
		return "number out of range or followed by text";
	*(long *)((char *)xi + k->offset) = n;
	return NULL;
}

static const char *parse_text(const struct xl_key *k, const char *v,
			      struct xl_info *xi)
{
	if (strlen(v) >= (size_t)k->max)
		return "value too long";
	for (const char *p = v; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return "value is not printable ASCII";
	snprintf((char *)xi + k->offset, (size_t)k->max, "%s", v);
	return NULL;
}

/* Space-separated capability words: "pv hvm shadow gnttab-v1 ...". */
static const char *parse_words(const struct xl_key *k, const char *v,
			       struct xl_info *xi)
{
	char *out = (char *)xi + k->offset;
	size_t o = 0;
	int words = 0;

	while (*v) {
		size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-");

		if (n == 0)
			return "capabilities are not lower-case words";
		if (++words > XL_MAX_WORDS || o + n + 2 > (size_t)k->max)
			return "too many capabilities";
		if (o)
			out[o++] = ' ';
		memcpy(out + o, v, n);
		o += n;
		v += n;
		v += strspn(v, " ");
	}
	out[o] = '\0';
	return NULL;
}

/* "0f8bfbff:f6fa3203:...": words of exactly 8 hex digits. */
static const char *parse_hw_caps(const struct xl_key *k, const char *v,
				 struct xl_info *xi)
{
	(void)k;
	xi->nhw_caps = 0;
	for (;;) {
		if (xi->nhw_caps == XLINFO_MAX_CAPS)
			return "too many hw_caps words";
		if (strspn(v, "0123456789abcdef") != 8 ||
		    (v[8] != ':' && v[8] != '\0'))
			return "hw_caps words must be 8 hex digits";
		xi->hw_caps[xi->nhw_caps++] = (uint32_t)strtoul(v, NULL, 16);
		if (v[8] == '\0')
			return NULL;
		v += 9;
	}
}

#define NUM(name, lo, hi)                                                      \
	{                                                                      \
#name, "no " #name " line", parse_num,                         \
		    offsetof(struct xl_info, name), lo, hi                     \
	}
#define TEXT(name, fn)                                                         \
	{                                                                      \
#name, "no " #name " line", fn,                                \
		    offsetof(struct xl_info, name), 0,                         \
		    sizeof(((struct xl_info *)0)->name)                        \
	}

/* The keys we use. hw_caps is optional: only the HVM explanation needs
 * it. Ranges are generous sanity bounds, not policy. */
static const struct xl_key xl_keys[] = {
    NUM(nr_cpus, 1, 65536),	   {"hw_caps", NULL, parse_hw_caps, 0, 0, 0},
    TEXT(virt_caps, parse_words),  NUM(total_memory, 0, 1L << 30),
    NUM(free_memory, 0, 1L << 30), NUM(xen_major, 0, 1000),
    NUM(xen_minor, 0, 1000),	   TEXT(xen_extra, parse_text),
};

#define N_XL_KEYS (sizeof(xl_keys) / sizeof(xl_keys[0]))

/* One line without its newline: "key<blanks>:<blanks>value<blanks>". */
static const char *parse_line(char *line, struct xl_info *xi, bool *seen)
{
	size_t klen = strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789_");
	char *v = line + klen, *end;

	v += strspn(v, " ");
	if (klen == 0 || *v != ':')
		return "not a \"key : value\" line";
	line[klen] = '\0';
	v++;
	v += strspn(v, " ");
	end = v + strlen(v);
	while (end > v && end[-1] == ' ')
		*--end = '\0';
	for (size_t i = 0; i < N_XL_KEYS; i++) {
		if (strcmp(line, xl_keys[i].key))
			continue;
		if (seen[i])
			return "a key appears twice";
		seen[i] = true;
		return xl_keys[i].parse(&xl_keys[i], v, xi);
	}
	return NULL;
}

int xlinfo_parse(const char *text, size_t len, struct xl_info *xi, int *line_r,
		 const char **why_r)
{
	bool seen[N_XL_KEYS] = {false};
	char line[XLINFO_MAX_LINE];
	const char *why = NULL;
	size_t off = 0;
	int lineno = 0;

	memset(xi, 0, sizeof(*xi));
	if (len > XLINFO_MAX_BYTES)
		why = "larger than 64 KiB";
	while (!why && off < len) {
		const char *start = text + off;
		const char *nl = memchr(start, '\n', len - off);
		size_t n = nl ? (size_t)(nl - start) : len - off;

		lineno++;
		if (n >= sizeof(line))
			why = "line longer than 4096 bytes";
		else if (memchr(start, '\0', n))
			why = "NUL byte";
		if (why)
			break;
		memcpy(line, start, n);
		line[n] = '\0';
		off += n + 1;
		if (n)
			why = parse_line(line, xi, seen);
	}
	for (size_t i = 0; !why && i < N_XL_KEYS; i++)
		if (!seen[i] && xl_keys[i].missing) {
			lineno++;
			why = xl_keys[i].missing;
		}
	if (!why)
		return BL_OK;
	*line_r = lineno ? lineno : 1;
	*why_r = why;
	return BL_ERR_INVAL;
}

/* Parse text read from what (a path, or "`xl info`"), logging errors. */
static int parse_logged(const char *what, const char *text, size_t len,
			struct xl_info *xi)
{
	const char *why = NULL;
	int line = 0;
	int rc = xlinfo_parse(text, len, xi, &line, &why);

	if (rc)
		log_warnx("%s, line %d: %s", what, line, why);
	return rc;
}

int xlinfo_load(const char *path, struct xl_info *xi)
{
	char *text = NULL;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("cannot open %s", path);
		return errno == ENOENT ? BL_ERR_NOTFOUND : BL_ERR_IO;
	}
	rc = fdio_read_all(fd, XLINFO_MAX_BYTES, &text, &len);
	close(fd);
	if (rc) {
		log_warnx("cannot read %s: %s", path,
			  rc == BL_ERR_INVAL ? "larger than 64 KiB"
					     : bl_strerror(rc));
		return rc;
	}
	rc = parse_logged(path, text, len, xi);
	free(text);
	return rc;
}

int xlinfo_run(struct xl_info *xi)
{
	char *text = NULL;
	size_t len = 0;
	FILE *p;
	int rc, status;

	p = popen("xl info", "re");
	if (!p) {
		log_warn("cannot run `xl info`");
		return BL_ERR_IO;
	}
	rc = fdio_read_all(fileno(p), XLINFO_MAX_BYTES, &text, &len);
	/* Closing our end first: an xl still writing gets EPIPE, not stuck. */
	status = pclose(p);
	if (!rc &&
	    (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		log_warnx("`xl info` failed (status %d)",
			  status != -1 && WIFEXITED(status)
			      ? WEXITSTATUS(status)
			      : -1);
		rc = BL_ERR_FAIL;
	}
	if (!rc)
		rc = parse_logged("`xl info` output", text, len, xi);
	else if (rc != BL_ERR_FAIL)
		log_warnx("cannot read `xl info` output: %s",
			  rc == BL_ERR_INVAL ? "larger than 64 KiB"
					     : bl_strerror(rc));
	free(text);
	return rc;
}

bool xlinfo_has_cap(const struct xl_info *xi, const char *cap)
{
	size_t n = strlen(cap);

	for (const char *p = xi->virt_caps; *p;) {
		size_t w = strcspn(p, " ");

		if (w == n && !strncmp(p, cap, n))
			return true;
		p += w;
		p += strspn(p, " ");
	}
	return false;
}

bool xlinfo_cpu_has_hvm(const struct xl_info *xi)
{
	return xi->nhw_caps > HW_CAPS_E1C &&
	       ((xi->hw_caps[HW_CAPS_1C] >> HW_VMX_BIT & 1) ||
		(xi->hw_caps[HW_CAPS_E1C] >> HW_SVM_BIT & 1));
}
