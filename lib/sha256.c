#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHANI_PATH 1
#endif

#include "sha256.h"
#include "banned.h"

/* FIPS 180-4, section 6.2. */

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t state[8], const unsigned char block[64])
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
		       (uint32_t)block[4 * i + 2] << 8 | (uint32_t)block[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = state[0], b = state[1], c = state[2], d = state[3];
	e = state[4], f = state[5], g = state[6], h = state[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	state[0] += a, state[1] += b, state[2] += c, state[3] += d;
	state[4] += e, state[5] += f, state[6] += g, state[7] += h;
}

#ifdef HAVE_SHANI_PATH
/*
 * The same compression with the x86 SHA extensions, about four times
 * faster; chosen at run time when the processor has them. Each step of the
 * loop does four rounds; the message schedule is
 *   W[i] = sha256msg2(sha256msg1(W[i-4], W[i-3]) + alignr(W[i-1], W[i-2]), W[i-1])
 * over groups of four words.
 */
__attribute__((target("sha,sse4.1"))) static void compress_shani(uint32_t state[8],
								   const unsigned char *data,
								   size_t blocks)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i st0, st1, tmp, msg, w[4], abef, cdgh;
	int i;

	tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1); /* CDAB */
	st1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B); /* EFGH */
	st0 = _mm_alignr_epi8(tmp, st1, 8);    /* ABEF */
	st1 = _mm_blend_epi16(st1, tmp, 0xF0); /* CDGH */
	for (; blocks--; data += 64) {
		abef = st0;
		cdgh = st1;
		for (i = 0; i < 16; i++) {
			if (i < 4) {
				w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), mask);
			} else {
				tmp = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
				tmp = _mm_add_epi32(tmp, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
				w[i & 3] = _mm_sha256msg2_epu32(tmp, w[(i + 3) & 3]);
			}
			msg = _mm_add_epi32(w[i & 3], _mm_loadu_si128((const __m128i *)&K[4 * i]));
			st1 = _mm_sha256rnds2_epu32(st1, st0, msg);
			st0 = _mm_sha256rnds2_epu32(st0, st1, _mm_shuffle_epi32(msg, 0x0E));
		}
		st0 = _mm_add_epi32(st0, abef);
		st1 = _mm_add_epi32(st1, cdgh);
	}
	tmp = _mm_shuffle_epi32(st0, 0x1B);    /* FEBA */
	st1 = _mm_shuffle_epi32(st1, 0xB1);    /* DCHG */
	st0 = _mm_blend_epi16(tmp, st1, 0xF0); /* DCBA */
	st1 = _mm_alignr_epi8(st1, tmp, 8);    /* ABEF */
	_mm_storeu_si128((__m128i *)&state[0], st0);
	_mm_storeu_si128((__m128i *)&state[4], st1);
}
#endif

#ifdef HAVE_SHANI_PATH
/* SHA extensions (CPUID.(EAX=7,ECX=0):EBX bit 29) and SSE4.1 (CPUID.1:ECX
 * bit 19), asked of cpuid directly: clang 14's __builtin_cpu_supports()
 * does not know "sha". */
static int have_shani(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & bit_SHA) != 0;
}
#endif

/* Compresses `blocks` 64-byte blocks, with the fastest code the CPU runs. */
static void compress_blocks(uint32_t state[8], const unsigned char *data, size_t blocks)
{
#ifdef HAVE_SHANI_PATH
	static int shani = -1;

	if (shani < 0)
		shani = have_shani();
	if (shani) {
		compress_shani(state, data, blocks);
		return;
	}
#endif
	for (; blocks--; data += 64)
		compress(state, data);
}

void fp_sha256_init(struct fp_sha256 *ctx)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(ctx->state, iv, sizeof(iv));
	ctx->bits = 0;
	ctx->used = 0;
}

void fp_sha256_update(struct fp_sha256 *ctx, const void *data, size_t len)
{
	const unsigned char *p = data;

	ctx->bits += (uint64_t)len * 8;
	if (ctx->used) {
		size_t n = 64 - ctx->used < len ? 64 - ctx->used : len;
		memcpy(ctx->block + ctx->used, p, n);
		ctx->used += n, p += n, len -= n;
		if (ctx->used < 64)
			return;
		compress_blocks(ctx->state, ctx->block, 1);
		ctx->used = 0;
	}
	compress_blocks(ctx->state, p, len / 64);
	p += len / 64 * 64;
	len %= 64;
	memcpy(ctx->block, p, len);
	ctx->used = len;
}

void fp_sha256_final(struct fp_sha256 *ctx, unsigned char out[FP_SHA256_LEN])
{
	uint64_t bits = ctx->bits;
	int i;

	ctx->block[ctx->used++] = 0x80;
	if (ctx->used > 56) {
		memset(ctx->block + ctx->used, 0, 64 - ctx->used);
		compress_blocks(ctx->state, ctx->block, 1);
		ctx->used = 0;
	}
	memset(ctx->block + ctx->used, 0, 56 - ctx->used);
	for (i = 0; i < 8; i++)
		ctx->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	compress_blocks(ctx->state, ctx->block, 1);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(ctx->state[i] >> 24);
		out[4 * i + 1] = (unsigned char)(ctx->state[i] >> 16);
		out[4 * i + 2] = (unsigned char)(ctx->state[i] >> 8);
		out[4 * i + 3] = (unsigned char)ctx->state[i];
	}
}

void fp_sha256_tohex(const unsigned char digest[FP_SHA256_LEN], char hex[FP_SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < FP_SHA256_LEN; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[FP_SHA256_HEX_LEN] = '\0';
}

void fp_sha256_hex(const void *data, size_t len, char hex[FP_SHA256_HEX_LEN + 1])
{
	struct fp_sha256 ctx;
	unsigned char digest[FP_SHA256_LEN];

	fp_sha256_init(&ctx);
	fp_sha256_update(&ctx, data, len);
	fp_sha256_final(&ctx, digest);
	fp_sha256_tohex(digest, hex);
}
