/* engine/ca.c: see settings.h. The image has no TLS library to parse a
 * certificate with, and Go (dockerd) skips PEM blocks it cannot use, so the
 * check here is the PEM framing: every BEGIN CERTIFICATE has its END and
 * only base64 between. Text outside the blocks (comments, names) is allowed,
 * as in any system bundle. */
#include "settings.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define BEGIN "-----BEGIN CERTIFICATE-----"
#define END "-----END CERTIFICATE-----"

static bool base64_line(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/' ||
		      s[i] == '=' || s[i] == '\r'))
			return false;
	return true;
}

int ca_count(const char *pem, size_t len, unsigned *count, char *why, size_t whylen)
{
	const char *p = pem, *end = pem + len, *nl;
	bool inside = false;
	unsigned lineno = 0, body = 0;
	size_t n;

	*count = 0;
	if (memchr(pem, 0, len))
		return snprintf(why, whylen, "a NUL byte in the bundle"), -EINVAL;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		n = (size_t)(nl - p);
		lineno++;
		if (!inside && n >= strlen(BEGIN) && !strncmp(p, BEGIN, strlen(BEGIN))) {
			inside = true;
			body = 0;
		} else if (inside && n >= strlen(END) && !strncmp(p, END, strlen(END))) {
			if (body == 0)
				return snprintf(why, whylen, "line %u: an empty certificate", lineno), -EINVAL;
			inside = false;
			(*count)++;
		} else if (inside && !base64_line(p, n)) {
			return snprintf(why, whylen, "line %u: not base64 inside a certificate", lineno),
			       -EINVAL;
		} else if (inside) {
			body++;
		}
	}
	if (inside)
		return snprintf(why, whylen, "a certificate is not closed by " END), -EINVAL;
	if (*count == 0)
		return snprintf(why, whylen, "no PEM certificate (" BEGIN ")"), -EINVAL;
	return 0;
}
