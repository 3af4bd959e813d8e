/* agent/dns.c: the DNS codec of the agent's server (RFC 1035 wire format).
 * It reads only what a query must hold and refuses the rest: the server
 * answers two names itself and forwards every other datagram untouched, so
 * nothing beyond the question needs understanding here. */
#include "dns.h"
#include "hostnet.h"
#include <errno.h>
#include <string.h>

#define DNS_QR 0x8000
#define DNS_OPCODE_MASK 0x7800
#define DNS_AA 0x0400
#define DNS_RD 0x0100
#define DNS_RA 0x0080

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void dns_set_id(uint8_t *msg, uint16_t id) { put16(msg, id); }

/* The labels of the question name starting at msg[off]: plain labels only
 * (a query has nothing earlier to point at, so a compression pointer or an
 * extended label type is malformed), each at most 63 bytes, the whole at
 * most 255. Returns the offset past the root label or -EBADMSG. */
static int dns_parse_qname(const uint8_t *msg, size_t len, size_t off, struct dns_query *q)
{
	size_t start = off;

	for (;;) {
		uint8_t l;

		if (off >= len)
			return -EBADMSG;
		l = msg[off];
		if (l > DNS_LABEL_MAX)          /* 0x40.. extended, 0xc0.. pointer */
			return -EBADMSG;
		if (off - start + 1 + l > DNS_NAME_MAX || len - off - 1 < l)
			return -EBADMSG;
		off += 1 + (size_t)l;
		if (l == 0)
			break;
	}
	q->qname_len = off - start;
	memcpy(q->qname, msg + start, q->qname_len);
	return (int)off;
}

/* The one question at msg[12..]: name, type, class into q. */
static int parse_question(const uint8_t *msg, size_t len, struct dns_query *q)
{
	int off = dns_parse_qname(msg, len, DNS_HEADER_LEN, q);

	if (off < 0 || len - (size_t)off < 4)
		return -EBADMSG;
	q->qtype = get16(msg + off);
	q->qclass = get16(msg + off + 2);
	q->qend = (size_t)off + 4;
	return 0;
}

int dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q)
{
	memset(q, 0, sizeof(*q));
	if (len < DNS_HEADER_LEN)
		return -EBADMSG;
	q->id = get16(msg);
	q->flags = get16(msg + 2);
	if (q->flags & DNS_QR)
		return -EBADMSG;
	if (q->flags & DNS_OPCODE_MASK)
		return -EOPNOTSUPP;
	if (get16(msg + 4) != 1 || get16(msg + 6) != 0 || get16(msg + 8) != 0)
		return -EBADMSG;
	return parse_question(msg, len, q);
}

int dns_name_to_wire(const char *name, uint8_t *out, size_t cap)
{
	size_t n = strlen(name), o = 0, i = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n > 0 && name[n - 1] == '.')        /* an empty last label */
		return -EINVAL;
	while (i < n) {
		const char *dot = memchr(name + i, '.', n - i);
		size_t l = dot ? (size_t)(dot - (name + i)) : n - i;

		if (l == 0 || l > DNS_LABEL_MAX || o + 1 + l + 1 > cap || o + 1 + l + 1 > DNS_NAME_MAX)
			return -EINVAL;
		out[o++] = (uint8_t)l;
		memcpy(out + o, name + i, l);
		o += l;
		i += l + 1;
	}
	if (o + 1 > cap)
		return -EINVAL;
	out[o++] = 0;
	return (int)o;
}

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

/* Wire names compared byte by byte, ASCII case folded: label lengths are
 * below 'A', so they compare exactly. */
static bool wire_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

static bool wire_is_host_name(const uint8_t *w, size_t wlen)
{
	static const char *const names[] = KEEL_HOST_NAMES;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint8_t h[DNS_NAME_MAX];
		int hl = dns_name_to_wire(names[i], h, sizeof(h));

		if (hl > 0 && wire_eq(w, wlen, h, (size_t)hl))
			return true;
	}
	return false;
}

bool dns_is_host_name(const char *name)
{
	uint8_t w[DNS_NAME_MAX];
	int n = dns_name_to_wire(name, w, sizeof(w));

	return n > 0 && wire_is_host_name(w, (size_t)n);
}

bool dns_query_is_host_name(const struct dns_query *q)
{
	return wire_is_host_name(q->qname, q->qname_len);
}

enum dns_action dns_decide(const struct dns_query *q)
{
	return dns_query_is_host_name(q) ? DNS_LOCAL : DNS_FORWARD;
}

/* Header of a reply to q: same id and RD, recursion available. */
static void put_header(uint8_t *out, uint16_t id, uint16_t qflags, uint16_t extra, unsigned rcode,
		       uint16_t qd, uint16_t an)
{
	put16(out, id);
	put16(out + 2, (uint16_t)(DNS_QR | (qflags & (DNS_OPCODE_MASK | DNS_RD)) | DNS_RA | extra |
				  (rcode & 0xf)));
	put16(out + 4, qd);
	put16(out + 6, an);
	put16(out + 8, 0);
	put16(out + 10, 0);
}

int dns_build_local(const uint8_t *msg, const struct dns_query *q, const uint8_t *addr4,
		    uint8_t *out, size_t cap)
{
	bool cls_ok = q->qclass == DNS_CLASS_IN || q->qclass == DNS_CLASS_ANY;
	bool want_a = q->qtype == DNS_TYPE_A || q->qtype == DNS_TYPE_ANY;
	bool answer = cls_ok && want_a && addr4;
	size_t need = q->qend + (answer ? 16 : 0), o = q->qend;

	if (q->qend < DNS_HEADER_LEN || q->qend > DNS_HEADER_LEN + DNS_NAME_MAX + 4 || need > cap)
		return -EMSGSIZE;
	put_header(out, q->id, q->flags, DNS_AA, cls_ok ? DNS_RCODE_NOERROR : DNS_RCODE_REFUSED, 1,
		   answer ? 1 : 0);
	memcpy(out + DNS_HEADER_LEN, msg + DNS_HEADER_LEN, q->qend - DNS_HEADER_LEN);
	if (answer) {
		put16(out + o, 0xc000 | DNS_HEADER_LEN);        /* the question's name */
		put16(out + o + 2, DNS_TYPE_A);
		put16(out + o + 4, DNS_CLASS_IN);
		put16(out + o + 6, 0);
		put16(out + o + 8, DNS_LOCAL_TTL);
		put16(out + o + 10, 4);
		memcpy(out + o + 12, addr4, 4);
	}
	return (int)need;
}

int dns_build_error(const uint8_t *msg, size_t len, const struct dns_query *q, unsigned rcode,
		    uint8_t *out, size_t cap)
{
	size_t qlen = q ? q->qend - DNS_HEADER_LEN : 0;

	if (len < DNS_HEADER_LEN || (q && (q->qend < DNS_HEADER_LEN || q->qend > len)))
		return -EBADMSG;
	if (DNS_HEADER_LEN + qlen > cap)
		return -EMSGSIZE;
	put_header(out, get16(msg), get16(msg + 2), 0, rcode, q ? 1 : 0, 0);
	memcpy(out + DNS_HEADER_LEN, msg + DNS_HEADER_LEN, qlen);
	return (int)(DNS_HEADER_LEN + qlen);
}

bool dns_reply_matches(const uint8_t *msg, size_t len, const struct dns_query *sent)
{
	struct dns_query r;
	uint16_t flags;

	if (len < DNS_HEADER_LEN)
		return false;
	flags = get16(msg + 2);
	if (!(flags & DNS_QR) || get16(msg) != sent->id || get16(msg + 4) != 1 ||
	    (flags & DNS_OPCODE_MASK) != (sent->flags & DNS_OPCODE_MASK))
		return false;
	memset(&r, 0, sizeof(r));
	if (parse_question(msg, len, &r) < 0)
		return false;
	return r.qtype == sent->qtype && r.qclass == sent->qclass &&
	       wire_eq(r.qname, r.qname_len, sent->qname, sent->qname_len);
}
