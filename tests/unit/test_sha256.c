/* Unit tests of lib/sha256.c: FIPS 180-4 test vectors, padding boundaries,
 * streaming in odd chunk sizes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sha256.h"
#include "banned.h"

static void check_hex(const char *msg, size_t len, const char *want)
{
	char hex[FP_SHA256_HEX_LEN + 1];

	memset(hex, 'X', sizeof(hex));
	fp_sha256_hex(msg, len, hex);
	assert_int_equal(hex[FP_SHA256_HEX_LEN], '\0');
	assert_string_equal(hex, want);
}

static void test_fips_vectors(void **state)
{
	static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	static const char m896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
				   "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

	(void)state;
	check_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(strlen(m448) * 8, 448);
	check_hex(m448, strlen(m448),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_int_equal(strlen(m896) * 8, 896);
	check_hex(m896, strlen(m896),
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* Lengths around the 55/56-byte padding boundary and the block size
 * (expected digests from coreutils sha256sum). */
static void test_padding_boundaries(void **state)
{
	static const struct {
		size_t n;
		const char *hex;
	} cases[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
		{ 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
		{ 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
		{ 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
		{ 128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e" },
	};
	char a[128];
	size_t i;

	(void)state;
	memset(a, 'a', sizeof(a));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_hex(a, cases[i].n, cases[i].hex);
}

/* One million 'a', fed in chunks of odd sizes that straddle blocks. */
static void test_million_a_streamed(void **state)
{
	static const size_t chunks[] = { 1, 3, 7, 13, 63, 64, 65, 127, 500, 4099 };
	struct fp_sha256 ctx;
	unsigned char digest[FP_SHA256_LEN];
	char hex[FP_SHA256_HEX_LEN + 1];
	char *buf = malloc(4099);
	size_t done = 0, k = 0;

	(void)state;
	assert_non_null(buf);
	memset(buf, 'a', 4099);
	fp_sha256_init(&ctx);
	while (done < 1000000) {
		size_t n = chunks[k++ % (sizeof(chunks) / sizeof(chunks[0]))];

		if (n > 1000000 - done)
			n = 1000000 - done;
		fp_sha256_update(&ctx, buf, n);
		done += n;
	}
	fp_sha256_final(&ctx, digest);
	fp_sha256_tohex(digest, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(buf);
}

/* Every split point of a 300-byte message gives the one-shot digest, and a
 * zero-length update changes nothing. */
static void test_split_points(void **state)
{
	unsigned char msg[300];
	char want[FP_SHA256_HEX_LEN + 1], got[FP_SHA256_HEX_LEN + 1];
	unsigned char digest[FP_SHA256_LEN];
	size_t i, split;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 131 + 7);
	fp_sha256_hex(msg, sizeof(msg), want);
	for (split = 0; split <= sizeof(msg); split++) {
		struct fp_sha256 ctx;

		fp_sha256_init(&ctx);
		fp_sha256_update(&ctx, msg, split);
		fp_sha256_update(&ctx, msg + split, 0);
		fp_sha256_update(&ctx, msg + split, sizeof(msg) - split);
		fp_sha256_final(&ctx, digest);
		fp_sha256_tohex(digest, got);
		assert_string_equal(got, want);
	}
}

static void test_tohex(void **state)
{
	unsigned char d[FP_SHA256_LEN];
	char hex[FP_SHA256_HEX_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(d); i++)
		d[i] = (unsigned char)(i * 8 + 1);
	fp_sha256_tohex(d, hex);
	assert_string_equal(hex, "0109111921293139414951596169717981899199a1a9b1b9c1c9d1d9e1e9f1f9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_vectors),
		cmocka_unit_test(test_padding_boundaries),
		cmocka_unit_test(test_million_a_streamed),
		cmocka_unit_test(test_split_points),
		cmocka_unit_test(test_tohex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
