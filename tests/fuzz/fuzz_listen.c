/*  libFuzzer harness for wrp_http_parse_listen (monitor --listen).

    The input is the text of an address. One that parses gives a port in
    0..65535 and a host that is NULL or non-empty, without brackets; one
    that does not gives a message naming --listen.                          */

#include "wrp_http.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 512)
        return 0;
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text[size] = 0;
    char *host = NULL, *err = NULL;
    int port = -1;
    if (wrp_http_parse_listen (text, &host, &port, &err) == 0) {
        assert (!err && port >= 0 && port <= 65535);
        assert (!host || (*host && !strchr (host, '[') && !strchr (host, ']')));
        free (host);
    } else {
        assert (err && strstr (err, "--listen"));
        free (err);
    }
    free (text);
    return 0;
}
