/* The command tables: parsing (options, operands, prefixes, --help) on a
 * table of its own, the man pages' synopsis against blanket(1)'s and
 * blanket-lab(1)'s tables, and where the cluster file is looked for. */
#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab/cli.h"
#include "tests/unit/suites.h"
#include "toolstack/blanket/cli.h"
#include "toolstack/client/cluster.h"

/* --- parsing, on a table of its own --- */

struct test_opts {
	const char *name;
	bool flag;
	int count;
	uint64_t rate;
	struct cmd_list items;
};

static struct test_opts seen;
static char *seen_operands[4];
static int seen_argc, calls;

static int record(const struct cmd_call *call)
{
	seen = *(const struct test_opts *)call->opts;
	seen_argc = call->argc;
	for (int i = 0; i < call->argc && i < 4; i++)
		seen_operands[i] = call->argv[i];
	calls++;
	return 42;
}

#define OFF(f) offsetof(struct test_opts, f)
static const struct cmd_opt T_NAME = {.name = "name",
				      .short_name = 'n',
				      .kind = CMD_STRING,
				      .arg = "NAME",
				      .offset = OFF(name),
				      .help = "a name"};
static const struct cmd_opt T_FLAG = {
    .name = "flag", .kind = CMD_FLAG, .offset = OFF(flag), .help = "a flag"};
static const struct cmd_opt T_COUNT = {.name = "count",
				       .kind = CMD_INT,
				       .arg = "N",
				       .offset = OFF(count),
				       .min = 1,
				       .max = 10,
				       .help = "a count"};
static const struct cmd_opt T_RATE = {.name = "rate",
				      .kind = CMD_RATE,
				      .arg = "RATE",
				      .offset = OFF(rate),
				      .help = "a rate"};
static const struct cmd_opt T_ITEM = {.name = "item",
				      .kind = CMD_LIST,
				      .arg = "X",
				      .offset = OFF(items),
				      .help = "an item"};

static const struct cmd sub_table[] = {
    {"alpha", record, NULL, CMD_OPTS(&T_COUNT), "", "a"},
    {"alps", record, NULL, NULL, "[X...]", "b"},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static const struct cmd test_table[] = {
    {"one", record, NULL, CMD_OPTS(&T_NAME, &T_FLAG, &T_RATE, &T_ITEM), "A [B]",
     "one"},
    {"two", record, NULL, CMD_OPTS(&T_COUNT), "X -- CMD [ARG...]", "two"},
    {"group", NULL, sub_table, NULL, NULL, "group"},
    {"help", cmd_help, NULL, NULL, "[COMMAND...]", "help"},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static const struct cmd_prog test_prog = {
    .name = "tool",
    .commands = test_table,
    .opts_size = sizeof(struct test_opts),
};

/* Run the test program on argv, output to /dev/null. */
static int run_argv(int argc, char **argv)
{
	FILE *out = stdout, *err = stderr;
	int status;

	memset(&seen, 0, sizeof(seen));
	seen_argc = -1;
	calls = 0;
	fflush(stdout);
	fflush(stderr);
	stdout = fopen("/dev/null", "w");
	stderr = fopen("/dev/null", "w");
	status = cmd_main(&test_prog, argc, argv);
	fclose(stdout);
	fclose(stderr);
	stdout = out;
	stderr = err;
	return status;
}

/* Run "tool ARGS..." (space-separated). */
static int run(const char *line)
{
	char buf[256], *argv[16] = {"tool"};
	int argc = 1;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *w = strtok(buf, " "); w && argc < 15; w = strtok(NULL, " "))
		argv[argc++] = w;
	return run_argv(argc, argv);
}

static void test_options(void)
{
	CU_ASSERT_EQUAL(run("one -n web --flag --rate 100Mbit a b"), 42);
	CU_ASSERT_STRING_EQUAL(seen.name, "web");
	CU_ASSERT(seen.flag);
	CU_ASSERT_EQUAL(seen.rate, 12500000);
	CU_ASSERT_EQUAL(seen_argc, 2);
	/* Options after operands, long names, repeated lists. */
	CU_ASSERT_EQUAL(run("one a --name=x --item p --item q"), 42);
	CU_ASSERT_STRING_EQUAL(seen.name, "x");
	CU_ASSERT_EQUAL(seen.items.n, 2);
	CU_ASSERT_STRING_EQUAL(seen.items.v[1], "q");
	CU_ASSERT_STRING_EQUAL(seen_operands[0], "a");
	/* Refusals: never a call. */
	CU_ASSERT_EQUAL(run("one --rate 5x a"), EXIT_USAGE);
	CU_ASSERT_EQUAL(run("one --bogus a"), EXIT_USAGE);
	CU_ASSERT_EQUAL(run("one --count 3 a"), EXIT_USAGE); /* two's */
	CU_ASSERT_EQUAL(run("one --name"), EXIT_USAGE);
	CU_ASSERT_EQUAL(run("two --count 0 x cmd"), EXIT_USAGE);
	CU_ASSERT_EQUAL(run("two --count 11 x cmd"), EXIT_USAGE);
	CU_ASSERT_EQUAL(run("two --count 1x x cmd"), EXIT_USAGE);
	CU_ASSERT_EQUAL(calls, 0);
	CU_ASSERT_EQUAL(run("two --count 10 x cmd"), 42);
	CU_ASSERT_EQUAL(seen.count, 10);
}

static void test_operands(void)
{
	CU_ASSERT_EQUAL(run("one"), EXIT_USAGE);
	CU_ASSERT_EQUAL(run("one a b c"), EXIT_USAGE);
	CU_ASSERT_EQUAL(run("one a"), 42);
	CU_ASSERT_EQUAL(seen_argc, 1);
	CU_ASSERT_EQUAL(calls, 1);
	/* "--" passes the rest on, options of the other program included. */
	CU_ASSERT_EQUAL(run("two x -- cmd --flag -n"), 42);
	CU_ASSERT_EQUAL(seen_argc, 5);
	CU_ASSERT_STRING_EQUAL(seen_operands[1], "--");
	CU_ASSERT_EQUAL(run("two x"), EXIT_USAGE);
	/* Empty operands: refused, but for another program's. */
	CU_ASSERT_EQUAL(run_argv(4, (char *[]){"tool", "one", "", "b"}),
			EXIT_USAGE);
	CU_ASSERT_EQUAL(
	    run_argv(6, (char *[]){"tool", "two", "x", "--", "cmd", ""}), 42);
	CU_ASSERT_EQUAL(run("group alps"), 42);
	CU_ASSERT_EQUAL(run("group alps p q r"), 42);
	CU_ASSERT_EQUAL(seen_argc, 3);
}

static void test_lookup_and_help(void)
{
	CU_ASSERT_EQUAL(run("on a"), 42);	       /* a unique prefix */
	CU_ASSERT_EQUAL(run("group alp"), EXIT_USAGE); /* ambiguous */
	CU_ASSERT_EQUAL(run("group alpha"), 42);       /* exact wins */
	CU_ASSERT_EQUAL(run("three"), EXIT_USAGE);
	CU_ASSERT_EQUAL(run("group"), EXIT_USAGE);
	CU_ASSERT_EQUAL(run(""), EXIT_USAGE);
	CU_ASSERT_EQUAL(calls, 0);
	CU_ASSERT_EQUAL(run("--help"), EXIT_OK);
	CU_ASSERT_EQUAL(run("one --help"), EXIT_OK);
	CU_ASSERT_EQUAL(run("group -h"), EXIT_OK);
	CU_ASSERT_EQUAL(run("help group alpha"), EXIT_OK);
	CU_ASSERT_EQUAL(run("help group nothing"), EXIT_USAGE);
	CU_ASSERT_EQUAL(calls, 0);
}

/* --- the man pages --- */

/* One roff macro line's words, as man shows them: .B/.I words joined by
 * spaces, .BR/.RB/.IR/.RI words run together. */
static void roff_words(const char *line, char *out, size_t len)
{
	bool together = line[2] && line[2] != ' ';
	const char *p = strchr(line, ' ');
	size_t n = strlen(out);

	while (p && *p) {
		p += strspn(p, " ");
		if (!*p)
			break;
		bool quoted = *p == '"';
		const char *start = p + quoted;
		const char *end =
		    quoted ? strchr(start, '"') : start + strcspn(start, " ");

		if (!end)
			end = start + strlen(start);
		if (n && out[n - 1] != ' ' && !together && n + 1 < len)
			out[n++] = ' ';
		for (const char *c = start; c < end && n + 1 < len; c++) {
			if (c[0] == '\\' && c[1] == '-')
				continue; /* "\-" is "-" */
			out[n++] = *c;
		}
		out[n] = '\0';
		p = end + quoted;
	}
}

/* The SYNOPSIS of a man page, one command a line, as man shows it. */
static char *man_synopsis(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512], entry[512] = "";
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	bool in = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, ".SH", 3)) {
			if (in)
				break;
			in = !strcmp(line, ".SH SYNOPSIS");
			continue;
		}
		if (!in)
			continue;
		if (!strcmp(line, ".br")) {
			fprintf(out, "%s\n", entry);
			entry[0] = '\0';
			continue;
		}
		if (entry[0] && entry[strlen(entry) - 1] != ' ')
			strcat(entry, " ");
		roff_words(line, entry, sizeof(entry));
	}
	if (entry[0])
		fprintf(out, "%s\n", entry);
	fclose(out);
	fclose(f);
	return text;
}

static char *table_synopsis(const struct cmd_prog *p)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	cmd_print_synopsis(out, p);
	fclose(out);
	return text;
}

static void check_man(const char *path, const struct cmd_prog *p)
{
	char *man = man_synopsis(path), *table = table_synopsis(p);

	if (strcmp(man, table) != 0) {
		fprintf(stderr, "\n%s SYNOPSIS:\n%s\nthe command table:\n%s",
			path, man, table);
		CU_FAIL("the man page's synopsis differs from the table");
	}
	free(man);
	free(table);
}

static void test_man_synopsis(void)
{
	check_man("docs/man/blanket.1", &blanket_prog);
	check_man("docs/man/blanket-lab.1", &lab_prog);
}

/* blanket(1)'s own table, with blanket's commands: usage errors exit 2
 * before the command runs; a command that runs without a cluster file
 * exits 1. */
static int run_blanket(const char *line)
{
	char buf[256], *argv[16] = {"blanket"};
	FILE *out = stdout, *err = stderr;
	int argc = 1, status;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *w = strtok(buf, " "); w && argc < 15; w = strtok(NULL, " "))
		argv[argc++] = w;
	fflush(stdout);
	fflush(stderr);
	stdout = fopen("/dev/null", "w");
	stderr = fopen("/dev/null", "w");
	status = cmd_main(&blanket_prog, argc, argv);
	fclose(stdout);
	fclose(stderr);
	stdout = out;
	stderr = err;
	return status;
}

/* migrate --delta-cache MIB: 0 to 1024, else a usage error. */
static void test_migrate_delta_cache(void)
{
	static const char *const bad[] = {"-1", "1025", "64M", "x", ""};
	char line[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(line, sizeof(line),
			 "migrate --cluster /nonexistent/c.conf "
			 "--delta-cache=%s web node2",
			 bad[i]);
		CU_ASSERT_EQUAL(run_blanket(line), EXIT_USAGE);
	}
	CU_ASSERT_EQUAL(run_blanket("migrate --cluster /nonexistent/c.conf "
				    "--delta-cache"),
			EXIT_USAGE);
	CU_ASSERT_EQUAL(run_blanket("migrate --cluster /nonexistent/c.conf "
				    "--delta-cache 0 web node2"),
			EXIT_FAIL);
	CU_ASSERT_EQUAL(run_blanket("migrate --cluster /nonexistent/c.conf "
				    "--delta-cache 1024 web node2"),
			EXIT_FAIL);
	CU_ASSERT_EQUAL(run_blanket("migrate --delta-cache 64 "
				    "--cluster /nonexistent/c.conf web node2"),
			EXIT_FAIL);
}

/* --- the cluster file --- */

static void test_cluster_locate(void)
{
	char dir[] = "/tmp/blanket-cli-XXXXXX", file[256], path[256];
	char *saved_env = getenv("BLANKET_CLUSTER");
	char *saved_xdg = getenv("XDG_CONFIG_HOME");
	FILE *f;

	saved_env = saved_env ? strdup(saved_env) : NULL;
	saved_xdg = saved_xdg ? strdup(saved_xdg) : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	setenv("BLANKET_CLUSTER", "/from/env.conf", 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	CU_ASSERT_EQUAL(cluster_locate("/given.conf", path, sizeof(path)),
			BL_OK);
	CU_ASSERT_STRING_EQUAL(path, "/given.conf");
	CU_ASSERT_EQUAL(cluster_locate(NULL, path, sizeof(path)), BL_OK);
	CU_ASSERT_STRING_EQUAL(path, "/from/env.conf");
	unsetenv("BLANKET_CLUSTER");
	/* No user file: the system's, if there is one. */
	if (access(CLUSTER_SYSTEM_FILE, F_OK) < 0) {
		CU_ASSERT_EQUAL(cluster_locate(NULL, path, sizeof(path)),
				BL_ERR_NOTFOUND);
	}
	snprintf(file, sizeof(file), "%s/blanket", dir);
	CU_ASSERT_EQUAL(mkdir(file, 0700), 0);
	snprintf(file, sizeof(file), "%s/blanket/cluster.conf", dir);
	f = fopen(file, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	CU_ASSERT_EQUAL(cluster_locate(NULL, path, sizeof(path)), BL_OK);
	CU_ASSERT_STRING_EQUAL(path, file);
	unlink(file);
	snprintf(file, sizeof(file), "%s/blanket", dir);
	rmdir(file);
	rmdir(dir);
	if (saved_env)
		setenv("BLANKET_CLUSTER", saved_env, 1);
	if (saved_xdg)
		setenv("XDG_CONFIG_HOME", saved_xdg, 1);
	else
		unsetenv("XDG_CONFIG_HOME");
	free(saved_env);
	free(saved_xdg);
}

void suite_cli(void)
{
	CU_pSuite s = CU_add_suite("cli", NULL, NULL);

	CU_add_test(s, "options", test_options);
	CU_add_test(s, "operands", test_operands);
	CU_add_test(s, "lookup and help", test_lookup_and_help);
	CU_add_test(s, "man pages' synopsis", test_man_synopsis);
	CU_add_test(s, "migrate --delta-cache", test_migrate_delta_cache);
	CU_add_test(s, "where the cluster file is", test_cluster_locate);
}
