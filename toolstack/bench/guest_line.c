/* The benchmark guest's console lines: bench_line_parse. */
#include "toolstack/bench/guest_line.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* src's printable ASCII into dst, each other byte as '?'. */
static void printable(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

/* "METRIC REST": the metric, and where REST starts; NULL if unknown. */
static const char *metric_of(const char *s, enum bench_metric *m_r)
{
	char id[32];
	size_t n = strcspn(s, " ");
	int m;

	if (!n || n >= sizeof(id) || s[n] != ' ')
		return NULL;
	memcpy(id, s, n);
	id[n] = '\0';
	m = bench_metric_by_id(id);
	if (m < 0)
		return NULL;
	*m_r = (enum bench_metric)m;
	return s + n + 1;
}

static bool parse_result(const char *s, struct bench_line *l)
{
	char *end;
	unsigned long run;

	s = metric_of(s, &l->metric);
	if (!s || *s < '1' || *s > '9')
		return false;
	run = strtoul(s, &end, 10);
	if (*end != ' ' || run > BENCH_LINE_RUN_MAX)
		return false;
	l->run = (unsigned)run;
	s = end + 1;
	if (!*s || *s == ' ')
		return false;
	l->value = strtod(s, &end);
	return !*end && isfinite(l->value) && l->value >= 0;
}

void bench_line_parse(const char *line, struct bench_line *l_r)
{
	struct bench_line l = {.kind = BENCH_LINE_OTHER};
	const char *rest;

	if (!strcmp(line, "bench serving")) {
		l.kind = BENCH_LINE_SERVING;
	} else if (!strcmp(line, "bench waiting")) {
		l.kind = BENCH_LINE_WAITING;
	} else if (!strcmp(line, "bench done")) {
		l.kind = BENCH_LINE_DONE;
	} else if (!strncmp(line, "bench result ", 13)) {
		if (parse_result(line + 13, &l))
			l.kind = BENCH_LINE_RESULT;
	} else if (!strncmp(line, "bench missing ", 14)) {
		rest = metric_of(line + 14, &l.metric);
		if (rest && *rest) {
			l.kind = BENCH_LINE_MISSING;
			printable(l.why, sizeof(l.why), rest);
		}
	} else if (!strncmp(line, "benchguest: ", 12) && line[12]) {
		l.kind = BENCH_LINE_COMPLAINT;
		printable(l.why, sizeof(l.why), line);
	}
	if (l.kind == BENCH_LINE_OTHER)
		memset(&l, 0, sizeof(l));
	*l_r = l;
}
