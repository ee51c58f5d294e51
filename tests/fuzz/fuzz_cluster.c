/* libFuzzer: cluster.conf parsing must not crash on any bytes. */
#include <stdint.h>
#include <stdio.h>

#include "toolstack/client/cluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cluster c;
	char err[256];
	FILE *f;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	/* The first byte picks the flags: a client's file or a node's
	 * peers. */
	if (cluster_parse(f, "/fuzz/cluster.conf",
			  data[0] & 1 ? CLUSTER_NODES_ONLY : 0, &c, err,
			  sizeof(err)) == BL_OK)
		(void)cluster_find(&c, "node1");
	fclose(f);
	return 0;
}
