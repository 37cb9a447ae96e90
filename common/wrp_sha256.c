/*  wrp_sha256 — SHA-256 per FIPS 180-4. See wrp_sha256.h.                   */

#include "wrp_sha256.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t s_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static uint32_t
s_rotr (uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static void
s_compress (wrp_sha256_t *self, const uint8_t *block)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t) block[4 * i] << 24 | (uint32_t) block[4 * i + 1] << 16 |
               (uint32_t) block[4 * i + 2] << 8 | (uint32_t) block[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = s_rotr (w[i - 15], 7) ^ s_rotr (w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = s_rotr (w[i - 2], 17) ^ s_rotr (w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = self->state[0], b = self->state[1], c = self->state[2],
             d = self->state[3];
    uint32_t e = self->state[4], f = self->state[5], g = self->state[6],
             h = self->state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (s_rotr (e, 6) ^ s_rotr (e, 11) ^ s_rotr (e, 25)) +
                      ((e & f) ^ (~e & g)) + s_k[i] + w[i];
        uint32_t t2 = (s_rotr (a, 2) ^ s_rotr (a, 13) ^ s_rotr (a, 22)) +
                      ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    self->state[0] += a;
    self->state[1] += b;
    self->state[2] += c;
    self->state[3] += d;
    self->state[4] += e;
    self->state[5] += f;
    self->state[6] += g;
    self->state[7] += h;
}

void
wrp_sha256_init (wrp_sha256_t *self)
{
    static const uint32_t initial[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    memcpy (self->state, initial, sizeof initial);
    self->length = 0;
    self->used = 0;
}

void
wrp_sha256_update (wrp_sha256_t *self, const void *data, size_t size)
{
    const uint8_t *bytes = data;
    self->length += size;
    while (size > 0) {
        size_t take = 64 - self->used;
        if (take > size)
            take = size;
        memcpy (self->block + self->used, bytes, take);
        self->used += take;
        bytes += take;
        size -= take;
        if (self->used == 64) {
            s_compress (self, self->block);
            self->used = 0;
        }
    }
}

void
wrp_sha256_final (wrp_sha256_t *self, uint8_t digest[WRP_SHA256_SIZE])
{
    uint64_t bits = self->length * 8;
    uint8_t pad = 0x80;
    wrp_sha256_update (self, &pad, 1);
    pad = 0;
    while (self->used != 56)
        wrp_sha256_update (self, &pad, 1);
    uint8_t tail[8];
    for (int i = 0; i < 8; i++)
        tail[i] = (uint8_t) (bits >> (56 - 8 * i));
    wrp_sha256_update (self, tail, 8);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t) (self->state[i] >> 24);
        digest[4 * i + 1] = (uint8_t) (self->state[i] >> 16);
        digest[4 * i + 2] = (uint8_t) (self->state[i] >> 8);
        digest[4 * i + 3] = (uint8_t) self->state[i];
    }
}

void
wrp_sha256_hex (const void *data, size_t size, char hex[WRP_SHA256_HEX])
{
    wrp_sha256_t ctx;
    uint8_t digest[WRP_SHA256_SIZE];
    wrp_sha256_init (&ctx);
    wrp_sha256_update (&ctx, data, size);
    wrp_sha256_final (&ctx, digest);
    for (int i = 0; i < WRP_SHA256_SIZE; i++)
        snprintf (hex + 2 * i, 3, "%02x", digest[i]);
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
    //  One million 'a', fed in uneven pieces to exercise the block buffer.
    wrp_sha256_t ctx;
    uint8_t digest[WRP_SHA256_SIZE];
    char chunk[997];
    memset (chunk, 'a', sizeof chunk);
    wrp_sha256_init (&ctx);
    size_t left = 1000000;
    while (left > 0) {
        size_t take = left < sizeof chunk ? left : sizeof chunk;
        wrp_sha256_update (&ctx, chunk, take);
        left -= take;
    }
    wrp_sha256_final (&ctx, digest);
    for (int i = 0; i < WRP_SHA256_SIZE; i++)
        snprintf (hex + 2 * i, 3, "%02x", digest[i]);
    assert (!strcmp (hex,
                     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}
