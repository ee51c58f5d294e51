/* Xen's command line, read as Xen reads it (hv_cmdline.h). */
#include "toolstack/hv/hv_cmdline.h"

#include <string.h>

/* parse_bool: 1, 0, or -1 for a value Xen does not take. */
static int xen_bool(const char *s, size_t len)
{
	static const struct {
		const char *word;
		int value;
	} words[] = {{"1", 1},	    {"0", 0},	   {"on", 1},	{"no", 0},
		     {"yes", 1},    {"off", 0},	   {"true", 1}, {"false", 0},
		     {"enable", 1}, {"disable", 0}};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].word) == len &&
		    !strncmp(words[i].word, s, len))
			return words[i].value;
	return -1;
}

int hv_cmdline_bool(const char *cmdline, const char *name, int def)
{
	const char *p = cmdline;
	int value = def;

	while (*p) {
		const char *key = p, *end = p + strcspn(p, " ");
		const char *eq = memchr(key, '=', (size_t)(end - key));
		const char *key_end = eq ? eq : end;
		int neg = !strncmp(key, "no-", 3) && key_end - key >= 3;
		int b;

		p = end + strspn(end, " ");
		if (neg)
			key += 3;
		if ((size_t)(key_end - key) != strlen(name) ||
		    strncmp(key, name, (size_t)(key_end - key)))
			continue;
		b = eq ? xen_bool(eq + 1, (size_t)(end - eq - 1)) : 1;
		if (b >= 0)
			value = neg ? !b : b;
	}
	return value;
}

bool hv_zeroed_pages(const char *xen_version, const char *cmdline)
{
	static const char ours[] = "-blanket";
	size_t len = strlen(xen_version);

	return len >= sizeof(ours) - 1 &&
	       !strcmp(xen_version + len - (sizeof(ours) - 1), ours) &&
	       hv_cmdline_bool(cmdline, "scrub-domheap", 0) == 1 &&
	       hv_cmdline_bool(cmdline, "bootscrub", 1) != 0;
}
