/* Differential fuzzing of lib/json.c against jansson: what fp_json_parse
 * accepts, json_loadb accepts with an equal tree in the same order; what
 * jansson parses (any value, JSON_DECODE_ANY), fp_json_dump writes as
 * json_dump_callback does, byte for byte. */
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "banned.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

struct out {
	char *data;
	size_t len, cap;
};

static int out_append(const char *buf, size_t size, void *data)
{
	struct out *o = data;

	if (o->len + size > o->cap) {
		o->cap = (o->len + size) * 2;
		o->data = realloc(o->data, o->cap);
		FUZZ_CHECK(o->data);
	}
	memcpy(o->data + o->len, buf, size);
	o->len += size;
	return 0;
}

/* Both serializers give the same return code and the same bytes. */
static void same_dump(const json_t *v)
{
	struct out mine = { 0 }, theirs = { 0 };
	int rc_mine = fp_json_dump(v, out_append, &mine);
	int rc_theirs = json_dump_callback(v, out_append, &theirs, DUMP_FLAGS);

	FUZZ_CHECK(rc_mine == rc_theirs);
	FUZZ_CHECK(mine.len == theirs.len);
	FUZZ_CHECK(!mine.len || !memcmp(mine.data, theirs.data, mine.len));
	free(mine.data);
	free(theirs.data);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *buf = (const char *)data;
	json_error_t jerr;
	json_t *mine = fp_json_parse(buf, size);
	json_t *theirs = json_loadb(buf, size, JSON_REJECT_DUPLICATES, &jerr);
	json_t *any;

	if (mine) {
		FUZZ_CHECK(theirs);
		FUZZ_CHECK(json_equal(mine, theirs));
		/* json_equal ignores member order; the bytes do not */
		same_dump(mine);
		{
			char *a = json_dumps(mine, DUMP_FLAGS), *b = json_dumps(theirs, DUMP_FLAGS);

			FUZZ_CHECK(a && b && !strcmp(a, b));
			free(a);
			free(b);
		}
	}
	if (theirs)
		same_dump(theirs);
	/* scalars and duplicates too: everything jansson can build from text */
	any = json_loadb(buf, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (any)
		same_dump(any);
	json_decref(any);
	/* the input as a string and as a key, valid UTF-8 or not */
	any = json_stringn_nocheck(buf, size);
	FUZZ_CHECK(any);
	same_dump(any);
	json_decref(any);
	any = json_object();
	FUZZ_CHECK(any && json_object_setn_new_nocheck(any, buf, size, json_integer(1)) == 0);
	same_dump(any);
	json_decref(any);
	json_decref(mine);
	json_decref(theirs);
	return 0;
}
