#ifndef FP_SHA256_H
#define FP_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4), streaming. */

#define FP_SHA256_LEN 32
#define FP_SHA256_HEX_LEN 64

struct fp_sha256 {
	uint32_t state[8];
	uint64_t bits;
	unsigned char block[64];
	size_t used;
};

void fp_sha256_init(struct fp_sha256 *ctx);
void fp_sha256_update(struct fp_sha256 *ctx, const void *data, size_t len);
/* Writes the 32-byte digest to `out`; the context must be re-initialised
 * before reuse. */
void fp_sha256_final(struct fp_sha256 *ctx, unsigned char out[FP_SHA256_LEN]);

/* One-shot: lowercase hex digest of `data`, NUL-terminated, into `hex`. */
void fp_sha256_hex(const void *data, size_t len, char hex[FP_SHA256_HEX_LEN + 1]);
/* Lowercase hex of a finished digest. */
void fp_sha256_tohex(const unsigned char digest[FP_SHA256_LEN], char hex[FP_SHA256_HEX_LEN + 1]);

#endif
