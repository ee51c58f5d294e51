/* xl.cfg parsing (toolstack/hv/hv_xlcfg.c) against golden files: every
 * tests/golden/xlcfg/NAME.cfg parses to NAME.out, the normalized config or
 * "error: <message>". BL_GOLDEN_UPDATE=1 rewrites the .out files. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/hv/hv_xlcfg.h"
#include "tests/unit/suites.h"

#define GOLDEN_DIR "tests/golden/xlcfg"

static char *slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	buf = malloc(1 << 20);
	if (buf)
		len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	if (buf)
		buf[len] = '\0';
	*len_r = len;
	return buf;
}

/* What NAME.cfg produces, as NAME.out holds it. */
static char *render(const char *name, const char *text, size_t len)
{
	libxl_domain_config cfg;
	char err[512] = "", *out = NULL;
	size_t out_len = 0;
	FILE *mem = open_memstream(&out, &out_len);

	libxl_domain_config_init(&cfg);
	if (hv_xlcfg_parse(name, text, len, &cfg, err, sizeof(err)) == BL_OK)
		hv_xlcfg_describe(&cfg, mem);
	else
		fprintf(mem, "error: %s\n", err);
	libxl_domain_config_dispose(&cfg);
	fclose(mem);
	return out;
}

static void test_golden(void)
{
	const char *update = getenv("BL_GOLDEN_UPDATE");
	DIR *d = opendir(GOLDEN_DIR);
	struct dirent *e;
	int checked = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d))) {
		char cfg_path[512], out_path[512], name[256];
		size_t len, want_len;
		char *text, *got, *want;
		size_t n = strlen(e->d_name);

		if (n < 5 || strcmp(e->d_name + n - 4, ".cfg") != 0)
			continue;
		snprintf(name, sizeof(name), "%s", e->d_name);
		snprintf(cfg_path, sizeof(cfg_path), GOLDEN_DIR "/%s", name);
		snprintf(out_path, sizeof(out_path), GOLDEN_DIR "/%.*s.out",
			 (int)(n - 4), name);
		text = slurp(cfg_path, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		got = render(name, text, len);
		if (update && !strcmp(update, "1")) {
			FILE *f = fopen(out_path, "we");

			CU_ASSERT_PTR_NOT_NULL_FATAL(f);
			fputs(got, f);
			fclose(f);
		}
		want = slurp(out_path, &want_len);
		CU_ASSERT_PTR_NOT_NULL(want);
		if (want && strcmp(got, want) != 0) {
			fprintf(stderr, "\n%s: got\n%s\nwanted\n%s\n", name,
				got, want);
			CU_FAIL("golden output differs");
		}
		free(text);
		free(got);
		free(want);
		checked++;
	}
	closedir(d);
	CU_ASSERT(checked >= 10);
}

static void test_limits(void)
{
	libxl_domain_config cfg;
	char err[512];
	static const char nul[] = "name = \"x\"\0kernel = \"/k\"\n";

	libxl_domain_config_init(&cfg);
	CU_ASSERT_EQUAL(hv_xlcfg_parse("nul.cfg", nul, sizeof(nul) - 1, &cfg,
				       err, sizeof(err)),
			BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nul.cfg: file contains a NUL"));
	libxl_domain_config_dispose(&cfg);
}

void suite_xlcfg(void)
{
	CU_pSuite s = CU_add_suite("xl.cfg parsing", NULL, NULL);

	CU_add_test(s, "golden files", test_golden);
	CU_add_test(s, "limits", test_limits);
}
