/*  libFuzzer harness for wrp_cert: the input is a key file (a czmq
    certificate, public or secret). A key found is 40 characters of Z85 that
    decode to 32 bytes and stand in the text after a "public-key".             */

#include "wrp_cert.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > WRP_CERT_MAX)
        return 0;
    char *text = strndup ((const char *) data, size);    //  a NUL ends the text
    if (!text)
        return 0;
    char key[WRP_CERT_KEY_TEXT + 1];
    memset (key, 'x', sizeof key);
    if (wrp_cert_parse_public_key (text, key) == 0) {
        assert (strlen (key) == WRP_CERT_KEY_TEXT);
        uint8_t bytes[32];
        assert (zmq_z85_decode (bytes, key));
        const char *label = strstr (text, "public-key");
        assert (label && strstr (label, key));
    }
    free (text);
    return 0;
}
