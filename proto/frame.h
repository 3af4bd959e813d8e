/* proto/frame.h: the keel wire framing. A frame is a 4-byte big-endian
 * length followed by that many bytes of one protobuf message. The length is
 * validated against the reader's maximum before any buffer is sized by it,
 * so a hostile peer can make us allocate at most max + 4 bytes. A length of
 * 0 is a valid frame: the empty encoding of a message (every field default).
 *
 * Two ways to read: struct frame_reader, incremental and non-blocking, for
 * event loops; frame_read_blocking() for simple clients. */
#ifndef KEEL_FRAME_H
#define KEEL_FRAME_H
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KEEL_PROTO_MAJOR 1
#define KEEL_PROTO_MINOR 1
#define KEEL_VERSION_STRING "0.1.0"

/* The agent's vsock ports. Below 1024: binding them needs
 * CAP_NET_BIND_SERVICE in the VM's initial user namespace, which no
 * container has, so none can squat them while the agent is down
 * (docs/threat-model.md). */
#define KEEL_CONTROL_PORT 1022
#define KEEL_FORWARD_PORT 1023

#define FRAME_HDR 4u
#define FRAME_MAX_DEFAULT (1u << 20)      /* 1 MiB */
#define FRAME_READER_MIN_CAP 4096u

struct frame_reader {
	uint32_t max;           /* largest body accepted */
	uint8_t *buf;           /* buffered input: [off, len) unconsumed */
	size_t cap, len, off;
};

int frame_reader_init(struct frame_reader *r, uint32_t max);
void frame_reader_free(struct frame_reader *r);
/* One read(2) from fd into the buffer. When exact, never read past the end
 * of the frame being assembled (so bytes that follow it stay in the socket).
 * Returns bytes read (> 0), 0 at EOF, or -errno (-EAGAIN when none ready).
 * -EMSGSIZE when the buffered header declares a length over max. */
ssize_t frame_reader_fill(struct frame_reader *r, int fd, bool exact);
/* Append bytes from memory (tests, fuzzers), with the limits of fill; *used is
 * how many were taken (fewer than n only when the buffer is at its bound). */
int frame_reader_push(struct frame_reader *r, const void *data, size_t n, size_t *used);
/* Take the next complete frame: 1 with *body and *len set (valid until the next call
 * on r), 0 when more bytes are needed, -EMSGSIZE for an oversized length. */
int frame_reader_next(struct frame_reader *r, const uint8_t **body, uint32_t *len);
/* True when some bytes of a frame are buffered but not the whole frame. */
bool frame_reader_partial(const struct frame_reader *r);
/* True when a complete frame is buffered (call next before reading more). */
bool frame_reader_ready(const struct frame_reader *r);

void frame_put_len(uint8_t hdr[FRAME_HDR], uint32_t len);
uint32_t frame_get_len(const uint8_t hdr[FRAME_HDR]);

/* Pack msg as one frame into a new buffer (*out of *outlen bytes; free() it). */
int frame_pack(const ProtobufCMessage *msg, uint8_t **out, size_t *outlen);
/* Blocking helpers: write one message as a frame / read one frame body into
 * a new buffer (free()); -EMSGSIZE over max, -EPIPE at EOF. */
int frame_write_msg(int fd, const ProtobufCMessage *msg);
int frame_read_blocking(int fd, uint32_t max, uint8_t **body, uint32_t *len);
/* The same, but the whole frame must arrive by deadline_ms (mono_ms; 0:
 * none): -ETIMEDOUT otherwise (the first frame of a stream: docs/protocol.md). */
int frame_read_until(int fd, uint32_t max, uint64_t deadline_ms, uint8_t **body, uint32_t *len);

/* Recover field 1 (varint: Request.id) from an undecodable message, so the
 * error can be addressed to the right call. false when it cannot be found. */
bool frame_peek_id(const uint8_t *body, size_t len, uint64_t *id);
#endif
