/*  wrp_sha256 — the hex SHA-256 of a buffer (libsodium's
    crypto_hash_sha256, which libzmq already loads).

    Tags the pushed runtime config with a hash the controller can compare.   */

#ifndef WRP_SHA256_H_INCLUDED
#define WRP_SHA256_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define WRP_SHA256_HEX 65    //  hex digest plus NUL

//  Hash a buffer; writes 64 lowercase hex chars and a NUL into hex.
void wrp_sha256_hex (const void *data, size_t size, char hex[WRP_SHA256_HEX]);

void wrp_sha256_test (bool verbose);

#endif
