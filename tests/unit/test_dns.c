/* tests/unit/test_dns.c: the DNS codec of the agent's server: queries
 * parsed and refused, the host names matched, the replies built byte for
 * byte. */
#include "agent/dns.c"
#include "harness.h"
#include <errno.h>
#include <stdlib.h>

static const uint8_t host4[4] = { 192, 168, 65, 254 };

/* A query for name/type/class with id 0xbeef and RD set. */
static size_t make_query(uint8_t *buf, size_t cap, const char *name, uint16_t type, uint16_t cls)
{
	int n;

	memset(buf, 0, cap);
	put16(buf, 0xbeef);
	put16(buf + 2, DNS_RD);
	put16(buf + 4, 1);
	n = dns_name_to_wire(name, buf + 12, cap - 12 - 4);
	if (n < 0)
		return 0;
	put16(buf + 12 + n, type);
	put16(buf + 14 + n, cls);
	return 12 + (size_t)n + 4;
}

TEST(parse_and_answer_a)
{
	const char *names[] = { "host.keel.internal", "host.docker.internal" };

	for (size_t i = 0; i < 2; i++) {
		uint8_t msg[300], out[DNS_REPLY_MAX];
		size_t len = make_query(msg, sizeof(msg), names[i], DNS_TYPE_A, DNS_CLASS_IN);
		struct dns_query q;
		int n;

		CHECK(len > 0);
		CHECK_EQ_INT(dns_parse_query(msg, len, &q), 0);
		CHECK_EQ_INT(q.id, 0xbeef);
		CHECK_EQ_INT(q.qtype, DNS_TYPE_A);
		CHECK_EQ_INT(q.qend, len);
		CHECK_EQ_INT(dns_decide(&q), DNS_LOCAL);
		n = dns_build_local(msg, &q, host4, out, sizeof(out));
		CHECK_EQ_INT(n, (int)len + 16);
		if (n != (int)len + 16)
			continue;
		CHECK_EQ_INT(get16(out), 0xbeef);
		/* QR, AA, RD (copied), RA, NOERROR */
		CHECK_EQ_INT(get16(out + 2), 0x8580);
		CHECK_EQ_INT(get16(out + 4), 1);
		CHECK_EQ_INT(get16(out + 6), 1);
		CHECK(memcmp(out + 12, msg + 12, len - 12) == 0);
		CHECK_EQ_INT(get16(out + len), 0xc00c);
		CHECK_EQ_INT(get16(out + len + 2), DNS_TYPE_A);
		CHECK_EQ_INT(get16(out + len + 4), DNS_CLASS_IN);
		CHECK_EQ_INT(get16(out + len + 8), DNS_LOCAL_TTL);
		CHECK_EQ_INT(get16(out + len + 10), 4);
		CHECK(memcmp(out + len + 12, host4, 4) == 0);
	}
}

TEST(names_case_and_dot)
{
	CHECK(dns_is_host_name("host.keel.internal"));
	CHECK(dns_is_host_name("host.keel.internal."));
	CHECK(dns_is_host_name("HOST.Keel.INTERNAL"));
	CHECK(dns_is_host_name("Host.Docker.Internal."));
	CHECK(!dns_is_host_name("host.keel.internal.."));
	CHECK(!dns_is_host_name("xhost.keel.internal"));
	CHECK(!dns_is_host_name("keel.internal"));
	CHECK(!dns_is_host_name("host.keel.internal.example"));
	CHECK(!dns_is_host_name(""));
	CHECK(!dns_is_host_name("."));

	/* In a query the case is matched loosely and echoed as sent. */
	uint8_t msg[300], out[DNS_REPLY_MAX];
	size_t len = make_query(msg, sizeof(msg), "HoSt.DoCkEr.InTeRnAl.", DNS_TYPE_A, DNS_CLASS_IN);
	struct dns_query q;

	CHECK_EQ_INT(dns_parse_query(msg, len, &q), 0);
	CHECK_EQ_INT(dns_decide(&q), DNS_LOCAL);
	CHECK_EQ_INT(dns_build_local(msg, &q, host4, out, sizeof(out)), (int)len + 16);
	CHECK(memcmp(out + 13, "HoSt", 4) == 0);

	/* "host.keel" as one label is another name, even though its dotted
	 * spelling is the same. */
	static const uint8_t odd[] = "\x12host.keel.internal";
	memset(msg, 0, sizeof(msg));
	put16(msg + 4, 1);
	memcpy(msg + 12, odd, sizeof(odd));            /* label + root */
	put16(msg + 12 + sizeof(odd), DNS_TYPE_A);
	put16(msg + 14 + sizeof(odd), DNS_CLASS_IN);
	CHECK_EQ_INT(dns_parse_query(msg, 16 + sizeof(odd), &q), 0);
	CHECK_EQ_INT(dns_decide(&q), DNS_FORWARD);
}

TEST(nodata_refused_forward)
{
	uint8_t msg[300], out[DNS_REPLY_MAX];
	struct dns_query q;
	size_t len = make_query(msg, sizeof(msg), "host.keel.internal", DNS_TYPE_AAAA, DNS_CLASS_IN);

	CHECK_EQ_INT(dns_parse_query(msg, len, &q), 0);
	CHECK_EQ_INT(dns_build_local(msg, &q, host4, out, sizeof(out)), (int)len);
	CHECK_EQ_INT(get16(out + 2) & 0xf, DNS_RCODE_NOERROR);
	CHECK_EQ_INT(get16(out + 6), 0);

	len = make_query(msg, sizeof(msg), "host.keel.internal", 16 /* TXT */, DNS_CLASS_IN);
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), 0);
	CHECK_EQ_INT(dns_build_local(msg, &q, host4, out, sizeof(out)), (int)len);
	CHECK_EQ_INT(get16(out + 6), 0);

	/* No host address configured: NODATA for A as well. */
	len = make_query(msg, sizeof(msg), "host.keel.internal", DNS_TYPE_A, DNS_CLASS_IN);
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), 0);
	CHECK_EQ_INT(dns_build_local(msg, &q, NULL, out, sizeof(out)), (int)len);
	CHECK_EQ_INT(get16(out + 6), 0);

	len = make_query(msg, sizeof(msg), "host.keel.internal", DNS_TYPE_A, 3 /* CH */);
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), 0);
	CHECK_EQ_INT(dns_build_local(msg, &q, host4, out, sizeof(out)), (int)len);
	CHECK_EQ_INT(get16(out + 2) & 0xf, DNS_RCODE_REFUSED);
	CHECK_EQ_INT(get16(out + 6), 0);

	len = make_query(msg, sizeof(msg), "example.test", DNS_TYPE_A, DNS_CLASS_IN);
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), 0);
	CHECK_EQ_INT(dns_decide(&q), DNS_FORWARD);

	/* Too small an output buffer is refused, not overrun. */
	len = make_query(msg, sizeof(msg), "host.keel.internal", DNS_TYPE_A, DNS_CLASS_IN);
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), 0);
	CHECK_EQ_INT(dns_build_local(msg, &q, host4, out, len + 15), -EMSGSIZE);
}

TEST(servfail_and_formerr)
{
	uint8_t msg[300], out[DNS_REPLY_MAX];
	struct dns_query q;
	size_t len = make_query(msg, sizeof(msg), "example.test", DNS_TYPE_A, DNS_CLASS_IN);

	CHECK_EQ_INT(dns_parse_query(msg, len, &q), 0);
	CHECK_EQ_INT(dns_build_error(msg, len, &q, DNS_RCODE_SERVFAIL, out, sizeof(out)), (int)len);
	CHECK_EQ_INT(get16(out), 0xbeef);
	CHECK_EQ_INT(get16(out + 2), 0x8182);
	CHECK_EQ_INT(get16(out + 4), 1);
	CHECK(memcmp(out + 12, msg + 12, len - 12) == 0);

	CHECK_EQ_INT(dns_build_error(msg, 12, NULL, DNS_RCODE_FORMERR, out, sizeof(out)), 12);
	CHECK_EQ_INT(get16(out + 2) & 0x800f, 0x8001);
	CHECK_EQ_INT(get16(out + 4), 0);
	CHECK_EQ_INT(dns_build_error(msg, 11, NULL, DNS_RCODE_FORMERR, out, sizeof(out)), -EBADMSG);
	CHECK_EQ_INT(dns_build_error(msg, len, &q, DNS_RCODE_SERVFAIL, out, 20), -EMSGSIZE);
}

/* An upstream's answer to the query in msg: header with QR, the question
 * echoed as name_as_sent (may differ in case), one A record. */
static size_t make_reply(uint8_t *out, const uint8_t *msg, size_t len, uint16_t id)
{
	memcpy(out, msg, len);
	put16(out, id);
	put16(out + 2, 0x8180);
	put16(out + 6, 1);
	put16(out + len, 0xc00c);
	put16(out + len + 2, DNS_TYPE_A);
	put16(out + len + 4, DNS_CLASS_IN);
	memset(out + len + 6, 0, 4);
	put16(out + len + 10, 4);
	memcpy(out + len + 12, "\x0a\x09\x08\x07", 4);
	return len + 16;
}

/* The forwarding side delivers a reply only when id, opcode and question
 * are the query's (a spoofer who guessed the id but asks another name, or
 * answers another type, is refused). */
TEST(reply_matches)
{
	uint8_t msg[300], other[300], rep[400];
	struct dns_query sent;
	size_t len = make_query(msg, sizeof(msg), "example.test", DNS_TYPE_A, DNS_CLASS_IN), rl;

	CHECK_EQ_INT(dns_parse_query(msg, len, &sent), 0);
	sent.id = 0x5151;                                   /* the id it went out with */
	rl = make_reply(rep, msg, len, 0x5151);
	CHECK(dns_reply_matches(rep, rl, &sent));
	CHECK(!dns_reply_matches(msg, len, &sent));         /* a query, not a reply */
	rl = make_reply(rep, msg, len, 0xbeef);
	CHECK(!dns_reply_matches(rep, rl, &sent));          /* the client's id, not ours */

	/* Same id, another question: name, case only, type, class. */
	size_t ol = make_query(other, sizeof(other), "evil.test", DNS_TYPE_A, DNS_CLASS_IN);
	rl = make_reply(rep, other, ol, 0x5151);
	CHECK(!dns_reply_matches(rep, rl, &sent));
	ol = make_query(other, sizeof(other), "EXAMPLE.Test", DNS_TYPE_A, DNS_CLASS_IN);
	rl = make_reply(rep, other, ol, 0x5151);
	CHECK(dns_reply_matches(rep, rl, &sent));           /* names compare case-folded */
	ol = make_query(other, sizeof(other), "example.test.evil", DNS_TYPE_A, DNS_CLASS_IN);
	rl = make_reply(rep, other, ol, 0x5151);
	CHECK(!dns_reply_matches(rep, rl, &sent));
	ol = make_query(other, sizeof(other), "example.test", DNS_TYPE_AAAA, DNS_CLASS_IN);
	rl = make_reply(rep, other, ol, 0x5151);
	CHECK(!dns_reply_matches(rep, rl, &sent));
	ol = make_query(other, sizeof(other), "example.test", DNS_TYPE_A, 3);
	rl = make_reply(rep, other, ol, 0x5151);
	CHECK(!dns_reply_matches(rep, rl, &sent));

	/* Question count 0 or 2, another opcode, a compressed question name. */
	rl = make_reply(rep, msg, len, 0x5151);
	put16(rep + 4, 0);
	CHECK(!dns_reply_matches(rep, rl, &sent));
	put16(rep + 4, 2);
	CHECK(!dns_reply_matches(rep, rl, &sent));
	put16(rep + 4, 1);
	put16(rep + 2, 0x8180 | 0x1000);                    /* opcode 2, STATUS */
	CHECK(!dns_reply_matches(rep, rl, &sent));
	put16(rep + 2, 0x8180);
	rep[12] = 0xc0;
	rep[13] = 0x0c;
	CHECK(!dns_reply_matches(rep, rl, &sent));

	/* Cut anywhere inside header or question: never a match. */
	rl = make_reply(rep, msg, len, 0x5151);
	for (size_t cut = 0; cut < len; cut++)
		CHECK(!dns_reply_matches(rep, cut, &sent));
	CHECK(dns_reply_matches(rep, len, &sent));          /* question whole, no answer: a match */
}

TEST(malformed)
{
	uint8_t msg[600];
	struct dns_query q;
	size_t len = make_query(msg, sizeof(msg), "host.keel.internal", DNS_TYPE_A, DNS_CLASS_IN);

	CHECK_EQ_INT(dns_parse_query(msg, 0, &q), -EBADMSG);
	CHECK_EQ_INT(dns_parse_query(msg, 5, &q), -EBADMSG);
	CHECK_EQ_INT(dns_parse_query(msg, 11, &q), -EBADMSG);
	CHECK_EQ_INT(dns_parse_query(msg, 12, &q), -EBADMSG);      /* no question */
	for (size_t cut = 12; cut < len; cut++)
		CHECK_EQ_INT(dns_parse_query(msg, cut, &q), -EBADMSG);
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), 0);

	/* qdcount 0 and 2, an answer in a query, a response */
	put16(msg + 4, 0);
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), -EBADMSG);
	put16(msg + 4, 2);
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), -EBADMSG);
	put16(msg + 4, 1);
	put16(msg + 6, 1);
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), -EBADMSG);
	put16(msg + 6, 0);
	put16(msg + 2, 0x8100);
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), -EBADMSG);
	put16(msg + 2, 0x2800);                                   /* UPDATE */
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), -EOPNOTSUPP);
	put16(msg + 2, 0x0100);

	/* A label running past the end. */
	msg[12] = 60;
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), -EBADMSG);
	/* A compression pointer, and the extended label types. */
	msg[12] = 0xc0;
	msg[13] = 12;
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), -EBADMSG);
	msg[12] = 0x40;
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), -EBADMSG);
	msg[12] = 64;
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), -EBADMSG);
	msg[12] = 0xff;
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), -EBADMSG);
}

/* 63-byte labels are fine; 64 is not; a name over 255 bytes is not. */
TEST(label_and_name_limits)
{
	uint8_t msg[600];
	struct dns_query q;
	char name[400];
	size_t len;

	memset(name, 'a', 63);
	name[63] = '\0';
	len = make_query(msg, sizeof(msg), name, DNS_TYPE_A, DNS_CLASS_IN);
	CHECK_EQ_INT(len, 12 + 65 + 4);
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), 0);
	CHECK_EQ_INT(q.qname_len, 65);
	memset(name, 'a', 64);
	name[64] = '\0';
	CHECK_EQ_INT(dns_name_to_wire(name, msg, sizeof(msg)), -EINVAL);

	/* 4 labels of 63: 4 * 64 + 1 = 257 bytes on the wire, too long. */
	memset(msg, 0, sizeof(msg));
	put16(msg + 4, 1);
	len = 12;
	for (int i = 0; i < 4; i++) {
		msg[len++] = 63;
		memset(msg + len, 'b', 63);
		len += 63;
	}
	msg[len++] = 0;
	put16(msg + len, DNS_TYPE_A);
	put16(msg + len + 2, DNS_CLASS_IN);
	len += 4;
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), -EBADMSG);
	/* 3 of 63 and one of 61: 255 exactly. */
	msg[12 + 3 * 64] = 61;
	memmove(msg + 12 + 3 * 64 + 62, msg + 12 + 4 * 64, 5);
	len -= 2;
	CHECK_EQ_INT(dns_parse_query(msg, len, &q), 0);
	CHECK_EQ_INT(q.qname_len, 255);

	/* Strings: empty labels and overlong names are refused. */
	CHECK_EQ_INT(dns_name_to_wire("a..b", msg, sizeof(msg)), -EINVAL);
	CHECK_EQ_INT(dns_name_to_wire(".a", msg, sizeof(msg)), -EINVAL);
	CHECK_EQ_INT(dns_name_to_wire("a.b", msg, 4), -EINVAL);
	CHECK_EQ_INT(dns_name_to_wire("a.b", msg, 5), 5);
	memset(name, 'c', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	for (size_t i = 60; i < sizeof(name) - 1; i += 61)
		name[i] = '.';
	CHECK_EQ_INT(dns_name_to_wire(name, msg, sizeof(msg)), -EINVAL);
}

/* Random bytes never read outside the datagram (ASan watches) and what
 * parses satisfies the invariants the builders rely on. */
TEST(random_input)
{
	uint8_t out[DNS_REPLY_MAX];
	unsigned seed = 12345;

	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand_r(&seed) % 80);
		uint8_t *msg = malloc(len ? len : 1);
		struct dns_query q;

		for (size_t j = 0; j < len; j++)
			msg[j] = (uint8_t)rand_r(&seed);
		if (len > 12) {
			msg[2] &= 0x07;         /* often a plain query */
			put16(msg + 4, 1);
			put16(msg + 6, 0);
			put16(msg + 8, 0);
		}
		if (dns_parse_query(msg, len, &q) == 0) {
			CHECK(q.qend <= len);
			CHECK(q.qname_len >= 1 && q.qname_len <= DNS_NAME_MAX);
			CHECK(dns_build_local(msg, &q, host4, out, sizeof(out)) > 0);
			CHECK(dns_build_error(msg, len, &q, DNS_RCODE_SERVFAIL, out, sizeof(out)) > 0);
			CHECK(!dns_reply_matches(msg, len, &q));
		}
		free(msg);
	}
}

RUN_TESTS(RUN(parse_and_answer_a); RUN(names_case_and_dot); RUN(nodata_refused_forward);
	  RUN(servfail_and_formerr); RUN(reply_matches); RUN(malformed); RUN(label_and_name_limits); RUN(random_input))
