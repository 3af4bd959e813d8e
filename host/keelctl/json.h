/* host/keelctl/json.h: a tiny streaming JSON writer. Commas and nesting are
 * tracked for the caller; strings are escaped per RFC 8259 and bytes that
 * are not valid UTF-8 become U+FFFD, so the output always parses. */
#ifndef KEELCTL_JSON_H
#define KEELCTL_JSON_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_DEPTH];
	bool after_key;
};

void json_init(struct json *j, FILE *f);
void json_obj(struct json *j);          /* { */
void json_obj_end(struct json *j);      /* } */
void json_arr(struct json *j);          /* [ */
void json_arr_end(struct json *j);      /* ] */
void json_key(struct json *j, const char *k);
void json_str(struct json *j, const char *s);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
/* End a top-level value with a newline. */
void json_end(struct json *j);
/* Write s as a JSON string literal (with quotes). */
void json_write_string(FILE *f, const char *s);
#endif
