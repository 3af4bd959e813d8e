/* Unit tests for keelctl's JSON writer: nesting, commas and escaping. */
#include "host/keelctl/json.c"
#include "harness.h"
#include <stdlib.h>

static char *render(void (*fn)(struct json *))
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	struct json j;

	json_init(&j, f);
	fn(&j);
	fclose(f);
	return buf;
}

static void nested(struct json *j)
{
	json_obj(j);
	json_key(j, "a"); json_int(j, -1);
	json_key(j, "b"); json_arr(j); json_uint(j, 1); json_bool(j, true); json_obj(j); json_obj_end(j); json_arr_end(j);
	json_key(j, "c"); json_double(j, 0.5);
	json_key(j, "d"); json_double(j, 1.0 / 0.0);
	json_obj_end(j);
}

static void escapes(struct json *j)
{
	json_str(j, "q\"b\\n\n\t\x01\x7f é \xff\xc3");
}

TEST(structure)
{
	char *s = render(nested);
	CHECK_EQ_STR(s, "{\"a\":-1,\"b\":[1,true,{}],\"c\":0.5,\"d\":null}");
	free(s);
}

TEST(escaping)
{
	char *s = render(escapes);
	/* Invalid UTF-8 (a lone 0xff, a truncated sequence) becomes U+FFFD. */
	CHECK_EQ_STR(s, "\"q\\\"b\\\\n\\n\\t\\u0001\\u007f \xc3\xa9 \\ufffd\\ufffd\"");
	free(s);
}

TEST(utf8_rules)
{
	CHECK_EQ_INT(utf8_len((const unsigned char *)"\xc0\x80"), 0);      /* overlong */
	CHECK_EQ_INT(utf8_len((const unsigned char *)"\xed\xa0\x80"), 0);  /* surrogate */
	CHECK_EQ_INT(utf8_len((const unsigned char *)"\xf0\x9f\x98\x80"), 4);
	CHECK_EQ_INT(utf8_len((const unsigned char *)"\xf4\x90\x80\x80"), 0); /* > U+10FFFF */
}

RUN_TESTS(RUN(structure); RUN(escaping); RUN(utf8_rules))
