#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "banned.h"

/*
 * Length of the valid sequence starting at s[0] (1..4), or 0 when invalid.
 * When invalid, *bad receives the length of the maximal subpart to replace
 * by one U+FFFD (at least 1), per Unicode 15, section 3.9 (U+FFFD
 * substitution of maximal subparts).
 */
static size_t seq_len(const unsigned char *s, size_t avail, size_t *bad)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need, i;

	*bad = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	for (i = 1; i < need; i++) {
		if (i >= avail)
			return 0;
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80, hi = 0xBF;
		*bad = i + 1;
	}
	return need;
}

/* Skips ASCII eight bytes at a time: most of a post is markup. */
static size_t ascii_run(const unsigned char *p, size_t i, size_t len)
{
	uint64_t word;

	while (i + 8 <= len) {
		memcpy(&word, p + i, 8);
		if (word & 0x8080808080808080ULL)
			break;
		i += 8;
	}
	return i;
}

static size_t valid_prefix_scalar(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, bad;

	while (i < len) {
		unsigned char c = p[i];

		if (c < 0x80) {
			i = ascii_run(p, i + 1, len);
			continue;
		}
		/* Most of a Chinese post: three-byte sequences of U+1000 to
		 * U+CFFF and U+E000 to U+FFFF, whose lead byte allows any
		 * continuation bytes. */
		if (((c >= 0xE1 && c <= 0xEC) || c >= 0xEE) && c <= 0xEF && i + 2 < len &&
		    (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80) {
			i += 3;
			continue;
		}
		n = seq_len(p + i, len - i, &bad);
		if (!n)
			return i;
		i += n;
	}
	return len;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/*
 * UTF-8 validation 32 bytes at a time with AVX2: the "lookup" algorithm of
 * Keiser and Lemire, "Validating UTF-8 In Less Than One Instruction Per
 * Byte" (Software: Practice and Experience, 2021), as simdjson and simdutf
 * use it. Each byte is classified by three table lookups on its nibbles and
 * those of the byte before; a non-zero AND of the three is an error at that
 * byte, and a second check asks that the two bytes after a three- or
 * four-byte lead be continuations.
 *
 * It finds whether a block holds an error, not where: on the first block
 * with one (and for the last partial block) the scalar validator takes over
 * from the start of the character that straddles the block boundary, so the
 * result is exactly the scalar prefix. Everything before that character was
 * checked clean: an error is reported at the byte that shows it, at most
 * the byte after a sequence.
 */
#define TOO_SHORT (1 << 0)	/* 11______ 0_______, 11______ 11______ */
#define TOO_LONG (1 << 1)	/* 0_______ 10______ */
#define OVERLONG_3 (1 << 2)	/* 11100000 100_____ */
#define TOO_LARGE (1 << 3)	/* 11110100 1001____ and above */
#define SURROGATE (1 << 4)	/* 11101101 101_____ */
#define OVERLONG_2 (1 << 5)	/* 1100000_ 10______ */
#define TOO_LARGE_1000 (1 << 6) /* 11110101 1000____ and above */
#define OVERLONG_4 (1 << 6)	/* 11110000 1000____ */
#define TWO_CONTS (1 << 7)	/* 10______ 10______ */
#define CARRY (TOO_SHORT | TOO_LONG | TWO_CONTS)

__attribute__((target("avx2"))) static inline __m256i
lookup16(__m256i nibbles, char t0, char t1, char t2, char t3, char t4, char t5, char t6, char t7,
	 char t8, char t9, char t10, char t11, char t12, char t13, char t14, char t15)
{
	__m256i table = _mm256_setr_epi8(t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11, t12,
					 t13, t14, t15, t0, t1, t2, t3, t4, t5, t6, t7, t8, t9,
					 t10, t11, t12, t13, t14, t15);

	return _mm256_shuffle_epi8(table, nibbles);
}

/* The block's error bits, given the block before it. */
__attribute__((target("avx2"))) static inline __m256i block_errors(__m256i in, __m256i prev_in)
{
	const __m256i low4 = _mm256_set1_epi8(0x0F);
	/* The 32 bytes ending one, two, three bytes before each of `in`. */
	__m256i carry = _mm256_permute2x128_si256(prev_in, in, 0x21);
	__m256i prev1 = _mm256_alignr_epi8(in, carry, 15);
	__m256i prev2 = _mm256_alignr_epi8(in, carry, 14);
	__m256i prev3 = _mm256_alignr_epi8(in, carry, 13);
	__m256i b1_high = lookup16(_mm256_and_si256(_mm256_srli_epi16(prev1, 4), low4),
				   TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
				   TOO_LONG, TOO_LONG, TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
				   TOO_SHORT | OVERLONG_2, TOO_SHORT,
				   TOO_SHORT | OVERLONG_3 | SURROGATE,
				   TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4);
	__m256i b1_low = lookup16(_mm256_and_si256(prev1, low4),
				  CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4, CARRY | OVERLONG_2,
				  CARRY, CARRY, CARRY | TOO_LARGE, CARRY | TOO_LARGE | TOO_LARGE_1000,
				  CARRY | TOO_LARGE | TOO_LARGE_1000,
				  CARRY | TOO_LARGE | TOO_LARGE_1000,
				  CARRY | TOO_LARGE | TOO_LARGE_1000,
				  CARRY | TOO_LARGE | TOO_LARGE_1000,
				  CARRY | TOO_LARGE | TOO_LARGE_1000,
				  CARRY | TOO_LARGE | TOO_LARGE_1000,
				  CARRY | TOO_LARGE | TOO_LARGE_1000,
				  CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
				  CARRY | TOO_LARGE | TOO_LARGE_1000,
				  CARRY | TOO_LARGE | TOO_LARGE_1000);
	__m256i b2_high = lookup16(_mm256_and_si256(_mm256_srli_epi16(in, 4), low4), TOO_SHORT,
				   TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
				   TOO_SHORT,
				   TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 |
					   OVERLONG_4,
				   TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
				   TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
				   TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
				   TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT);
	__m256i special = _mm256_and_si256(_mm256_and_si256(b1_high, b1_low), b2_high);
	/* 0x80 where the byte must be the second continuation of a three-byte
	 * lead or the third of a four-byte one; special has 0x80 (TWO_CONTS)
	 * exactly where two continuations follow each other. */
	__m256i must23 = _mm256_or_si256(_mm256_subs_epu8(prev2, _mm256_set1_epi8((char)(0xE0 - 0x80))),
					 _mm256_subs_epu8(prev3, _mm256_set1_epi8((char)(0xF0 - 0x80))));
	__m256i must23_80 = _mm256_and_si256(must23, _mm256_set1_epi8((char)0x80));

	return _mm256_xor_si256(must23_80, special);
}

__attribute__((target("avx2"))) static size_t valid_prefix_avx2(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	__m256i prev = _mm256_setzero_si256();
	size_t i = 0, j, k;

	for (; i + 32 <= len; i += 32) {
		__m256i in = _mm256_loadu_si256((const __m256i *)(p + i)), e;

		/* ASCII after ASCII: nothing to check. */
		if (!_mm256_movemask_epi8(in) && !_mm256_movemask_epi8(prev)) {
			prev = in;
			continue;
		}
		e = block_errors(in, prev);
		if (!_mm256_testz_si256(e, e))
			break;
		prev = in;
	}
	/* Back to the start of the character that ends the clean part. */
	j = i;
	for (k = 0; k < 3 && j > 0 && (p[j - 1] & 0xC0) == 0x80; k++)
		j--;
	if (j > 0 && p[j - 1] >= 0xC0)
		j--;
	return j + valid_prefix_scalar(s + j, len - j);
}
#endif

size_t fp_utf8_valid_prefix(const char *s, size_t len)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	/* Reads what libgcc's constructor found at startup: no state here. */
	if (len >= 64 && __builtin_cpu_supports("avx2"))
		return valid_prefix_avx2(s, len);
#endif
	return valid_prefix_scalar(s, len);
}

int fp_utf8_repair(const char *s, size_t len, char **out, size_t *out_len, size_t *invalid,
		   size_t *nuls)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n, bad, total = 0, ninvalid = 0, nnul = 0;
	char *o;

	*out = NULL;
	*out_len = 0;
	/* Nearly every post is clean: say so at the validator's speed. */
	if (fp_utf8_valid_prefix(s, len) == len && !memchr(s, 0, len)) {
		if (invalid)
			*invalid = 0;
		if (nuls)
			*nuls = 0;
		return 0;
	}
	for (i = 0; i < len; i += n) {
		size_t run = ascii_run(p, i, len);

		/* ASCII without NUL counts as is; a word holding a NUL is left
		 * to the byte loop below. */
		if (run > i && !memchr(p + i, 0, run - i)) {
			total += run - i;
			i = run;
			if (i >= len)
				break;
		}
		n = seq_len(p + i, len - i, &bad);
		if (!n) {
			ninvalid++;
			total += 3;
			n = bad;
		} else if (p[i] == 0) {
			nnul++;
		} else {
			total += n;
		}
	}
	if (invalid)
		*invalid = ninvalid;
	if (nuls)
		*nuls = nnul;
	if (!ninvalid && !nnul)
		return 0;
	*out = o = malloc(total + 1);
	if (!o)
		return -1;
	for (i = 0; i < len; i += n) {
		n = seq_len(p + i, len - i, &bad);
		if (!n) {
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3;
			n = bad;
		} else if (p[i] != 0) {
			memcpy(o, p + i, n);
			o += n;
		}
	}
	*o = '\0';
	*out_len = total;
	return 1;
}

size_t fp_utf8_decode(const char *s, unsigned int *cp)
{
	const unsigned char *p = (const unsigned char *)s;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] < 0xE0) {
		*cp = (unsigned)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
		return 2;
	}
	if (p[0] < 0xF0) {
		*cp = (unsigned)(p[0] & 0x0F) << 12 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
		return 3;
	}
	*cp = (unsigned)(p[0] & 0x07) << 18 | (unsigned)(p[1] & 0x3F) << 12 |
	      (unsigned)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
	return 4;
}

/*
 * Code points are the bytes that are not continuations (10xxxxxx): count
 * those, eight bytes at a time (bit 7 set, bit 6 clear), or 32 with AVX2.
 * gcc's own vectorization of the byte loop widened every byte to 64 bits:
 * normalize spent 9% of its time here, counting the text twice.
 */
static size_t continuations_swar(const unsigned char *p, size_t len)
{
	const uint64_t high = 0x8080808080808080ULL;
	size_t i = 0, n = 0;
	uint64_t w, c;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		c = (w & ~(w << 1) & high) >> 7; /* 1 in each continuation byte */
		n += (size_t)((c * 0x0101010101010101ULL) >> 56);
	}
	for (; i < len; i++)
		n += (p[i] & 0xC0) == 0x80;
	return n;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2"))) static size_t continuations_avx2(const unsigned char *p,
								 size_t len)
{
	const __m256i below = _mm256_set1_epi8(-64); /* 10xxxxxx is -128..-65 */
	size_t i = 0, n = 0, k;

	while (i + 32 <= len) {
		__m256i acc = _mm256_setzero_si256(), sum;

		/* Byte counters, emptied before they can wrap. */
		for (k = 0; k < 255 && i + 32 <= len; k++, i += 32) {
			__m256i in = _mm256_loadu_si256((const __m256i *)(p + i));

			acc = _mm256_sub_epi8(acc, _mm256_cmpgt_epi8(below, in));
		}
		sum = _mm256_sad_epu8(acc, _mm256_setzero_si256());
		n += (size_t)_mm256_extract_epi64(sum, 0) + (size_t)_mm256_extract_epi64(sum, 1) +
		     (size_t)_mm256_extract_epi64(sum, 2) + (size_t)_mm256_extract_epi64(sum, 3);
	}
	return n + continuations_swar(p + i, len - i);
}
#endif

size_t fp_utf8_count(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	if (len >= 64 && __builtin_cpu_supports("avx2"))
		return len - continuations_avx2(p, len);
#endif
	return len - continuations_swar(p, len);
}

size_t fp_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

size_t fp_utf8_encode(unsigned int cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}
