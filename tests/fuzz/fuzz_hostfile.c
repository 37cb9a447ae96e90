/*  libFuzzer harness for wrp_hostfile: the input is a hostfile. A hostfile
    that expands is walked: every host is a non-empty name within limits,
    entries are unique, and the runtime's hostfile text holds each host.      */

#include "wrp_hostfile.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *err = NULL;
    wrp_hostfile_t *hostfile =
        wrp_hostfile_parse ((const char *) data, size, "fuzz", &err);
    if (!hostfile) {
        assert (err && !strncmp (err, "fuzz", 4));
        free (err);
        return 0;
    }
    assert (!err);
    size_t count = wrp_hostfile_size (hostfile);
    assert (count >= 1 && count <= WRP_HOSTFILE_MAX_HOSTS);
    size_t text_len = 0;
    for (size_t i = 0; i < count; i++) {
        const char *host = wrp_hostfile_host (hostfile, i);
        size_t len = strlen (host);
        assert (len >= 1 && len <= 253);
        assert (!strchr (host, '\n') && !strchr (host, ':') && !strchr (host, '['));
        int port = wrp_hostfile_port (hostfile, i);
        assert (port >= 0 && port <= 65535);
        text_len += len + 1;
    }
    char *text = wrp_hostfile_runtime_text (hostfile);
    assert (text && strlen (text) <= text_len);
    assert (strstr (text, wrp_hostfile_host (hostfile, 0)));
    free (text);
    wrp_hostfile_destroy (&hostfile);
    assert (!hostfile);
    return 0;
}
