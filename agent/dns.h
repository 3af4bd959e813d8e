/* agent/dns.h: the agent's DNS server. dns.c is a pure codec (no sockets, no
 * logging): it parses one query datagram with every length checked, decides
 * whether the name is one of the host names (hostnet.h) and builds the
 * replies the agent sends itself. dns_server.h runs it in the epoll loop and
 * forwards every other query to the upstream nameservers. */
#ifndef KEEL_DNS_H
#define KEEL_DNS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_LABEL_MAX 63
#define DNS_NAME_MAX 255         /* wire form, root label included */
#define DNS_REPLY_MAX 512        /* every reply dns.c builds fits */
#define DNS_LOCAL_TTL 60

#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_ANY 255
#define DNS_CLASS_IN 1
#define DNS_CLASS_ANY 255

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5

struct dns_query {
	uint16_t id, flags;
	uint16_t qtype, qclass;
	uint8_t qname[DNS_NAME_MAX];     /* wire form, as sent (case kept) */
	size_t qname_len;                /* root label included */
	size_t qend;                     /* offset just past the question */
};

enum dns_action { DNS_FORWARD, DNS_LOCAL };

/* One query datagram: header, exactly one question, no answer or authority
 * records (additional ones, EDNS's OPT, are left unread). 0; -EBADMSG when
 * malformed or a response; -EOPNOTSUPP when the opcode is not QUERY (q then
 * holds the header only). */
int dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q);
/* "a.b." or "a.b" to wire labels: the length, or -EINVAL. */
int dns_name_to_wire(const char *name, uint8_t *out, size_t cap);
/* One of KEEL_HOST_NAMES, case-insensitive, trailing dot optional. */
bool dns_is_host_name(const char *name);
bool dns_query_is_host_name(const struct dns_query *q);
enum dns_action dns_decide(const struct dns_query *q);
/* The answer for a host name: A (or ANY) of class IN gets one A record of
 * addr (NULL: none known, NODATA), other types NODATA, other classes
 * REFUSED. msg is the datagram q was parsed from. Returns the length or
 * -EMSGSIZE. */
int dns_build_local(const uint8_t *msg, const struct dns_query *q, const uint8_t *addr4,
		    uint8_t *out, size_t cap);
/* A reply with no records and rcode: with the question echoed when q is
 * given, else the header alone (FORMERR of a query whose question did not
 * parse; msg must then hold a whole header). Length, -EBADMSG or -EMSGSIZE. */
int dns_build_error(const uint8_t *msg, size_t len, const struct dns_query *q, unsigned rcode,
		    uint8_t *out, size_t cap);
/* Whether msg is the reply to the query sent (sent->id the id it went out
 * with): a response with that id and opcode whose question section is one
 * question equal to sent's, name compared as DNS compares names (ASCII case
 * folded), type and class exactly (RFC 5452, 9.1). A reply without the
 * question (some servers' FORMERR or SERVFAIL) does not match. */
bool dns_reply_matches(const uint8_t *msg, size_t len, const struct dns_query *sent);
void dns_set_id(uint8_t *msg, uint16_t id);
#endif
