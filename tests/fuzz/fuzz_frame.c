/* libFuzzer harness for proto/frame.c: the incremental reader fed in
 * input-chosen chunks, and every complete frame decoded the ways the agent
 * and keelctl decode it (Request, AgentMessage, ForwardRequest, id peek). */
#include "proto/frame.c"
#include "keel.pb-c.h"
#include <stdint.h>
#include <stdlib.h>

static void decode(const uint8_t *b, uint32_t n)
{
	Keel__Request *r = keel__request__unpack(NULL, n, b);
	Keel__AgentMessage *m = keel__agent_message__unpack(NULL, n, b);
	Keel__ForwardRequest *f = keel__forward_request__unpack(NULL, n, b);
	uint64_t id;

	(void)frame_peek_id(b, n, &id);
	if (r)
		keel__request__free_unpacked(r, NULL);
	if (m)
		keel__agent_message__free_unpacked(m, NULL);
	if (f)
		keel__forward_request__free_unpacked(f, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_reader r;
	const uint8_t *body;
	uint32_t len;
	size_t off = 1, used;
	unsigned chunk;

	if (size < 1)
		return 0;
	chunk = 1 + data[0] % 64;      /* how the bytes arrive */
	frame_reader_init(&r, 4096);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (frame_reader_push(&r, data + off, n, &used) < 0)
			break;
		off += used;
		int k;
		while ((k = frame_reader_next(&r, &body, &len)) == 1)
			decode(body, len);
		if (k < 0)
			break;
		if (used == 0 && !frame_reader_ready(&r))
			break;
	}
	frame_reader_free(&r);
	return 0;
}
