/* `blanket node probe|check|boot-profile`: this machine and its L0; the
 * work is in blanket/ (probe.c, check.c, profile.c). */
#include <stdbool.h>
#include <stdio.h>

#include "blanket/check.h"
#include "blanket/probe.h"
#include "blanket/profile.h"
#include "blanket/xlinfo.h"
#include "toolstack/blanket/cli.h"
#include "toolstack/common/log.h"

/* This machine, or the record --from names. *rec_r is the record (NULL
 * live), for the caller to free once the probe ran. */
static int open_source(const struct cli_opts *o, struct probe_record **rec_r,
		       struct probe_src *src_r)
{
	int rc;

	*rec_r = NULL;
	*src_r = probe_src_live();
	if (!o->from)
		return BL_OK;
	rc = probe_record_load(o->from, rec_r);
	if (!rc)
		*src_r = probe_record_src(*rec_r);
	return rc;
}

static int run_probe(const struct cli_opts *o, struct probe_result *res)
{
	struct probe_record *rec;
	struct probe_src src;
	int rc = open_source(o, &rec, &src);

	if (rc)
		return rc;
	probe_run(&src, res);
	probe_record_free(rec);
	return BL_OK;
}

/* Output written, or why not. */
static int flushed(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		log_warn("cannot write the output");
		return BL_ERR_IO;
	}
	return BL_OK;
}

/* --record: probe through a tee that prints what it reads. */
static int record_probe(const struct cli_opts *o)
{
	struct probe_record *rec;
	struct probe_result res;
	struct probe_src inner, src;
	struct probe_tee tee;
	int rc = open_source(o, &rec, &inner);

	if (rc)
		return rc;
	src = probe_tee_begin(&tee, inner, stdout);
	probe_run(&src, &res);
	rc = probe_tee_end(&tee);
	probe_record_free(rec);
	if (rc)
		log_warn("cannot write the record");
	return rc;
}

int cmd_node_probe(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	struct probe_result res;
	int rc;

	if (o->record && o->json) {
		fprintf(stderr, "%s: --record and --json exclude each other\n",
			call->who);
		return EXIT_USAGE;
	}
	if (o->record)
		return cmd_status(record_probe(o));
	rc = run_probe(o, &res);
	if (rc)
		return EXIT_FAIL;
	if (o->json)
		probe_print_json(stdout, &res);
	else
		probe_print(stdout, &res);
	return cmd_status(flushed());
}

int cmd_node_check(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	struct probe_result res;
	struct check_result c;
	struct xl_info xl;
	bool have_xl = false;

	if (run_probe(o, &res))
		return EXIT_FAIL;
	/* A record describes another machine: only its own `xl info` (a
	 * file) goes with it. Live, xl can only answer in a dom0. */
	if (o->xl_info) {
		if (xlinfo_load(o->xl_info, &xl))
			return EXIT_FAIL;
		have_xl = true;
	} else if (!o->from && res.dom0) {
		have_xl = xlinfo_run(&xl) == BL_OK;
	}
	check_run(&res, have_xl ? &xl : NULL, &c);
	if (o->json)
		check_print_json(stdout, &c);
	else
		check_print(stdout, &c);
	if (flushed())
		return EXIT_FAIL;
	return check_ready(&c) ? EXIT_OK : EXIT_FAIL;
}

int cmd_node_profile(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	struct probe_result res;
	struct profile pf;
	const char *why = NULL;

	if (run_probe(o, &res))
		return EXIT_FAIL;
	if (profile_build(&res, o->memory_mb, o->cpus, &pf, &why)) {
		fprintf(stderr, "%s: %s\n", call->who, why);
		return EXIT_FAIL;
	}
	if (profile_add_args(&pf, o->xen_args, o->dom0_args, &why)) {
		fprintf(stderr, "%s: %s\n", call->who, why);
		return EXIT_USAGE;
	}
	if (o->grub)
		fputs(pf.grub_entry, stdout);
	else if (o->json)
		profile_print_json(stdout, &pf);
	else
		profile_print(stdout, &pf);
	return cmd_status(flushed());
}
