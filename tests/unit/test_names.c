/* Guest names (hv_check_name) and what goes into a log line (log.c). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/suites.h"
#include "toolstack/common/log.h"
#include "toolstack/hv/hv.h"

static void test_guest_names(void)
{
	static const char *const good[] = {
	    "web",
	    "Web-1",
	    "a",
	    "db_2.prod",
	    "x--y",
	    "9lives",
	    "012345678901234567890123456789012345678901234567890123456789012",
	};
	static const char *const bad[] = {
	    "",
	    "-web",
	    ".hidden",
	    "_x",
	    "a b",
	    "a/b",
	    "caf\xc3\xa9",
	    "x\ny",
	    "x\"y",
	    "web--incoming",
	    "web--migratedaway",
	    "0123456789012345678901234567890123456789012345678901234567890123",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CU_ASSERT_EQUAL(hv_check_name(good[i], err, sizeof(err)),
				BL_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(hv_check_name(bad[i], err, sizeof(err)),
				BL_ERR_INVAL);
	CU_ASSERT_EQUAL(hv_check_name("x\nblanketd: forged", err, sizeof(err)),
			BL_ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(err, "guest name \"x\\nblanketd: forged\": want "
				    "1 to 63 of A-Z a-z 0-9 _ . -, starting "
				    "with a letter or digit");
	CU_ASSERT_EQUAL(hv_check_name("web--incoming", err, sizeof(err)),
			BL_ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(err, "guest name \"web--incoming\": --incoming "
				    "and --migratedaway are blanketd's, for "
				    "guests being moved");
}

static void test_escape(void)
{
	char buf[16];

	CU_ASSERT_STRING_EQUAL(log_escape("plain", buf, sizeof(buf)), "plain");
	CU_ASSERT_STRING_EQUAL(log_escape("a\nb\tc\\", buf, sizeof(buf)),
			       "a\\nb\\tc\\\\");
	CU_ASSERT_STRING_EQUAL(log_escape("\x1b[2J\xff", buf, sizeof(buf)),
			       "\\x1b[2J\\xff");
	/* Too long: cut short, marked, never past the buffer. */
	CU_ASSERT_STRING_EQUAL(log_escape("0123456789abcdefgh", buf, 16),
			       "0123456789ab...");
	CU_ASSERT_STRING_EQUAL(log_escape("\n\n\n\n\n\n\n\n", buf, 16),
			       "\\n\\n\\n\\n\\n\\n...");
	CU_ASSERT_STRING_EQUAL(log_escape("", buf, 4), "");
	CU_ASSERT_STRING_EQUAL(log_escape("abcd", buf, 4), "...");
}

/* Whatever a message holds, the log gets one line of it. */
static void test_one_line(void)
{
	char path[] = "/tmp/blanket-log-XXXXXX", text[256] = "";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	FILE *f;

	CU_ASSERT_FATAL(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	log_init("unit", false, false);
	log_warnx("guest-info %s: ok", "x\nblanketd: root(pid 1): "
				       "guest-destroy web: ok");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	f = fdopen(fd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	rewind(f);
	CU_ASSERT_EQUAL(fread(text, 1, sizeof(text) - 1, f) > 0, 1);
	fclose(f);
	unlink(path);
	CU_ASSERT_STRING_EQUAL(text, "unit: guest-info x\\nblanketd: root(pid "
				     "1): guest-destroy web: ok: ok\n");
	log_init("blanket", false, false);
}

void suite_names(void)
{
	CU_pSuite s = CU_add_suite("names and log lines", NULL, NULL);

	CU_add_test(s, "guest names", test_guest_names);
	CU_add_test(s, "escaping a value", test_escape);
	CU_add_test(s, "a message is one line", test_one_line);
}
