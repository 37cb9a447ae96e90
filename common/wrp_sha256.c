/*  wrp_sha256 — the hex SHA-256 of a buffer. See wrp_sha256.h.             */

#include "wrp_sha256.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
wrp_sha256_hex (const void *data, size_t size, char hex[WRP_SHA256_HEX])
{
    //  sodium_init picks the fastest implementation; cheap and thread-safe
    //  once done. The hash works whatever it returns (-1: out of entropy,
    //  which hashing does not use).
    if (sodium_init () < 0) {
        //  nothing to do: see above
    }
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, data, size);
    sodium_bin2hex (hex, WRP_SHA256_HEX, digest, sizeof digest);
}

void
wrp_sha256_test (bool verbose)
{
    (void) verbose;
    //  Test vectors from FIPS 180-4 / NIST CAVS examples.
    char hex[WRP_SHA256_HEX];
    wrp_sha256_hex ("", 0, hex);
    assert (!strcmp (hex,
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    wrp_sha256_hex ("abc", 3, hex);
    assert (!strcmp (hex,
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    wrp_sha256_hex (two, strlen (two), hex);
    assert (!strcmp (hex,
                     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    char *million = malloc (1000000);
    assert (million);
    memset (million, 'a', 1000000);
    wrp_sha256_hex (million, 1000000, hex);
    free (million);
    assert (!strcmp (hex,
                     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}
