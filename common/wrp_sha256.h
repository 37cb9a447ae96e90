/*  wrp_sha256 — a small self-contained SHA-256 (FIPS 180-4).

    Used to tag the pushed runtime config with a hash the controller can
    compare. Incremental (init, update, final) or one call for a buffer.      */

#ifndef WRP_SHA256_H_INCLUDED
#define WRP_SHA256_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WRP_SHA256_SIZE 32    //  digest bytes
#define WRP_SHA256_HEX  65    //  hex digest plus NUL

typedef struct {
    uint32_t state[8];    //  running hash
    uint64_t length;      //  bytes hashed so far
    uint8_t block[64];    //  partial block
    size_t used;          //  bytes in block
} wrp_sha256_t;

//  Start a new hash.
void wrp_sha256_init (wrp_sha256_t *self);

//  Add size bytes of data.
void wrp_sha256_update (wrp_sha256_t *self, const void *data, size_t size);

//  Finish: writes the 32-byte digest into digest.
void wrp_sha256_final (wrp_sha256_t *self, uint8_t digest[WRP_SHA256_SIZE]);

//  Hash a buffer in one call; writes 64 lowercase hex chars and a NUL into hex.
void wrp_sha256_hex (const void *data, size_t size, char hex[WRP_SHA256_HEX]);

void wrp_sha256_test (bool verbose);

#endif
