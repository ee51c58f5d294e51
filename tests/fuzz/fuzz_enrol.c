/* libFuzzer: the enrolment codec (toolstack/tls/enrol.c) reads what anyone
 * who reaches `blanket ca serve-enrol` sends, and what a server sends a
 * node. The first byte picks the side; the rest is the stream. A message
 * that reads must write back to bytes that read to the same message. */
#include <stdlib.h>
#include <string.h>

#include "toolstack/common/stream_mem.h"
#include "toolstack/tls/enrol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enrol_msg m, again;
	struct stream_mem mem;
	struct bl_stream s;
	char err[256];
	bool from_node;

	if (size == 0)
		return 0;
	from_node = data[0] & 1;
	stream_mem_init(&s, &mem);
	if (stream_write(&s, data + 1, size - 1) == BL_OK &&
	    enrol_read(&s, from_node, &m, err, sizeof(err)) == BL_OK) {
		struct stream_mem mem2;
		struct bl_stream s2;

		stream_mem_init(&s2, &mem2);
		if (enrol_write(&s2, &m) != BL_OK ||
		    enrol_read(&s2, from_node, &again, err, sizeof(err)) !=
			BL_OK)
			abort();
		for (int i = 0; i < ENROL_REC_COUNT; i++)
			if (!m.rec[i] != !again.rec[i] ||
			    (m.rec[i] && strcmp(m.rec[i], again.rec[i]) != 0))
				abort();
		enrol_msg_dispose(&again);
		enrol_msg_dispose(&m);
		stream_close(&s2);
	}
	stream_close(&s);
	return 0;
}
