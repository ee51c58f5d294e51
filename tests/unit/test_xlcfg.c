/* xl.cfg parsing (toolstack/hv/hv_xlcfg.c) against golden files: every
 * tests/golden/xlcfg/NAME.cfg parses to NAME.out, the normalized config or
 * "error: <message>". BL_GOLDEN_UPDATE=1 rewrites the .out files. */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/hv/hv.h"
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

/* hv_xlcfg_write(cfg) as text; NULL with err set when it refuses. */
static char *written(const libxl_domain_config *cfg, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc = hv_xlcfg_write(cfg, mem, err, errlen);

	fclose(mem);
	if (rc) {
		free(text);
		return NULL;
	}
	return text;
}

/* What a migration sends reads back as the configuration it came from:
 * every golden file that parses, written and parsed again, describes the
 * same. */
static void test_write_round_trip(void)
{
	DIR *d = opendir(GOLDEN_DIR);
	struct dirent *e;
	int checked = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((e = readdir(d))) {
		char path[512], err[512] = "", *text, *again, *before;
		libxl_domain_config cfg;
		size_t n = strlen(e->d_name), len;

		if (n < 5 || strcmp(e->d_name + n - 4, ".cfg"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, e->d_name);
		text = slurp(path, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		libxl_domain_config_init(&cfg);
		if (hv_xlcfg_parse(e->d_name, text, len, &cfg, err,
				   sizeof(err)) == BL_OK) {
			before = render(e->d_name, text, len);
			free(text);
			text = written(&cfg, err, sizeof(err));
			CU_ASSERT_PTR_NOT_NULL_FATAL(text);
			again = render(e->d_name, text, strlen(text));
			if (strcmp(before, again))
				fprintf(stderr,
					"%s written:\n%s\nreads as:\n%s",
					e->d_name, text, again);
			CU_ASSERT_STRING_EQUAL(before, again);
			free(before);
			free(again);
			checked++;
		}
		libxl_domain_config_dispose(&cfg);
		free(text);
	}
	closedir(d);
	CU_ASSERT_TRUE(checked >= 3);
}

/* Strings keep quotes, backslashes and the escapes libxlutil reads; other
 * control characters are refused, not lost. */
static void test_write_quoting(void)
{
	static const char file[] =
	    "name = \"q\"\nkernel = \"/k\"\n"
	    "cmdline = \"a=\\\"b c\\\" d\\\\e\\tf\\ng 'h'\"\n";
	static const char newline[] =
	    "name = \"q\"\nkernel = \"/k\"\n"
	    "disk = [ '/srv/a\\nb.img,raw,xvda,w' ]\n";
	libxl_domain_config cfg, back;
	char err[512] = "", *text;

	libxl_domain_config_init(&cfg);
	libxl_domain_config_init(&back);
	CU_ASSERT_EQUAL_FATAL(hv_xlcfg_parse("q.cfg", file, sizeof(file) - 1,
					     &cfg, err, sizeof(err)),
			      BL_OK);
	CU_ASSERT_STRING_EQUAL(cfg.b_info.cmdline, "a=\"b c\" d\\e\tf\ng 'h'");
	text = written(&cfg, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(hv_xlcfg_parse("w.cfg", text, strlen(text), &back, err,
				       sizeof(err)),
			BL_OK);
	CU_ASSERT_STRING_EQUAL(back.b_info.cmdline, cfg.b_info.cmdline);
	free(text);
	free(cfg.b_info.cmdline);
	cfg.b_info.cmdline = strdup("bell\001");
	CU_ASSERT_PTR_NULL(written(&cfg, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "cmdline holds a control character (0x01) "
				    "that an xl.cfg file cannot carry");
	libxl_domain_config_dispose(&cfg);
	/* Found by fuzz_xlcfg: a disk spec cannot carry a line break. */
	libxl_domain_config_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(hv_xlcfg_parse("nl.cfg", newline,
					     sizeof(newline) - 1, &cfg, err,
					     sizeof(err)),
			      BL_OK);
	CU_ASSERT_PTR_NULL(written(&cfg, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "disk 0 holds a character a disk "
				    "specification cannot carry");
	libxl_domain_config_dispose(&back);
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

/* Xen's vbd numbering (docs/misc/vbd-interface), xvd devices only. */
static void test_xvd_devid(void)
{
	static const struct {
		const char *vdev;
		uint32_t devid; /* 0: refused */
	} cases[] = {
	    {"xvda", 51712},	  {"xvdb", 51728},
	    {"xvda1", 51713},	  {"xvdp15", 51967},
	    {"xvdq", 268439552},  {"xvda16", 268435472},
	    {"xvdaa", 268442112}, {"hda", 0},
	    {"sda", 0},		  {"xvd", 0},
	    {"xvdA", 0},	  {"xvda0", 0},
	    {"xvdzzzz", 0},	  {"xvda1x", 0},
	    {"xvda1234", 0},	  {"", 0},
	};
	uint32_t devid;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = hv_xvd_devid(cases[i].vdev, &devid);

		CU_ASSERT_EQUAL(ok, cases[i].devid != 0);
		if (ok && devid != cases[i].devid)
			fprintf(stderr, "%s: %u, want %u\n", cases[i].vdev,
				devid, cases[i].devid);
		if (ok)
			CU_ASSERT_EQUAL(devid, cases[i].devid);
	}
}

/* The disks that move with a guest, from its configuration. */
static void test_config_disks(void)
{
	static const char two[] =
	    "name = \"g\"\nkernel = \"/k\"\n"
	    "disk = [ 'format=raw, vdev=xvda, access=rw, target=/i/a.img', "
	    "'format=raw, vdev=xvdb, access=ro, target=/i/b.img' ]\n";
	static const char hd[] = "name = \"g\"\nkernel = \"/k\"\n"
				 "disk = [ 'format=raw, vdev=hda, "
				 "access=rw, target=/i/a.img' ]\n";
	static const char qcow[] = "name = \"g\"\nkernel = \"/k\"\n"
				   "disk = [ 'format=qcow2, vdev=xvda, "
				   "access=rw, target=/i/a.qcow2' ]\n";
	static struct hv_disk d[HV_DISKS_MAX];
	char err[512] = "";
	size_t n = 9;

	CU_ASSERT_EQUAL_FATAL(
	    hv_config_disks(two, sizeof(two) - 1, d, &n, err, sizeof(err)),
	    BL_OK);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(d[0].vdev, "xvda");
	CU_ASSERT_EQUAL(d[0].devid, 51712);
	CU_ASSERT_STRING_EQUAL(d[0].path, "/i/a.img");
	CU_ASSERT_FALSE(d[0].readonly);
	CU_ASSERT_STRING_EQUAL(d[1].path, "/i/b.img");
	CU_ASSERT_EQUAL(d[1].devid, 51728);
	CU_ASSERT_TRUE(d[1].readonly);
	CU_ASSERT_EQUAL(
	    hv_config_disks(hd, sizeof(hd) - 1, d, &n, err, sizeof(err)),
	    BL_ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(err, "disk 0: vdev \"hda\": only xvd devices "
				    "(xvda, xvdb...) are served");
	CU_ASSERT_EQUAL(
	    hv_config_disks(qcow, sizeof(qcow) - 1, d, &n, err, sizeof(err)),
	    BL_ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(err, "disk 0 (xvda): only raw image files with "
				    "an absolute target move with a guest");
	CU_ASSERT_EQUAL(n, 0);
}

void suite_xlcfg(void)
{
	CU_pSuite s = CU_add_suite("xl.cfg parsing", NULL, NULL);

	CU_add_test(s, "golden files", test_golden);
	CU_add_test(s, "limits", test_limits);
	CU_add_test(s, "xvd device numbers", test_xvd_devid);
	CU_add_test(s, "the disks that move with a guest", test_config_disks);
	CU_add_test(s, "written and read back", test_write_round_trip);
	CU_add_test(s, "written strings keep their escapes",
		    test_write_quoting);
}
