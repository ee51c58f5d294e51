/* libFuzzer: probe records (docs/specs/probe-record.md) are untrusted input.
 * Any bytes must parse or be refused without a crash; a record that parses
 * must survive the probe, both outputs and a boot profile; and recording a
 * replayed record must give a record that parses and probes the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blanket/probe.h"
#include "blanket/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The probe's JSON for src, malloc'd. */
static char *probe_json(const struct probe_src *src, struct probe_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	probe_run(src, res);
	probe_print_json(f, res);
	fclose(f);
	return buf;
}

/* Record what the probe reads from rec, parse that record, probe it. */
static void check_round_trip(struct probe_record *rec, const char *json)
{
	struct probe_record *again = NULL;
	struct probe_result res;
	struct probe_tee tee;
	struct probe_src src;
	const char *why = NULL;
	char *text = NULL, *json2;
	size_t len = 0;
	int line = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	src = probe_tee_begin(&tee, probe_record_src(rec), f);
	probe_run(&src, &res);
	if (probe_tee_end(&tee))
		abort();
	fclose(f);
	if (probe_record_parse(text, len, &again, &line, &why)) {
		fprintf(stderr, "recorded record refused: line %d: %s\n%s",
			line, why, text);
		abort();
	}
	src = probe_record_src(again);
	json2 = probe_json(&src, &res);
	if (strcmp(json, json2))
		abort();
	free(json2);
	probe_record_free(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct probe_result res;
	struct probe_record *rec = NULL;
	struct probe_src src;
	struct profile pf;
	const char *why = NULL;
	char *json;
	int line = 0;
	FILE *null;

	if (probe_record_parse((const char *)data, size, &rec, &line, &why)) {
		if (line < 1 || !why)
			abort();
		return 0;
	}
	null = fopen("/dev/null", "w");
	if (!null)
		abort();
	src = probe_record_src(rec);
	json = probe_json(&src, &res);
	probe_print(null, &res);
	if (profile_build(&res, res.memory_mb, res.cpus, &pf, &why) == BL_OK ||
	    profile_build(&res, 4096, 2, &pf, &why) == BL_OK) {
		profile_print(null, &pf);
		profile_print_json(null, &pf);
	}
	check_round_trip(rec, json);
	free(json);
	fclose(null);
	probe_record_free(rec);
	return 0;
}
