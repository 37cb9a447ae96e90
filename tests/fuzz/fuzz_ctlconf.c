/*  libFuzzer harness for the controller's settings file (wrp_ctlconf).

    The input is the file. It loads, or fails with a message naming the
    file; a loaded setting names its file and line.                         */

#include "wrp_ctlconf.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static char path[64];
    if (!*path) {
        snprintf (path, sizeof path, "/tmp/wrp-fuzz-ctlconf.%d", (int) getpid ());
        setenv ("XDG_CONFIG_HOME", "/nonexistent", 1);
    }
    FILE *file = fopen (path, "wb");
    if (!file)
        return 0;
    fwrite (data, 1, size, file);
    fclose (file);
    char *err = NULL;
    wrp_ctlconf_t *conf = wrp_ctlconf_load (path, &err);
    if (conf) {
        const char *options[] = {"port",     "key",    "agent-key", "insecure",
                                 "pipeline", "format", "timeout"};
        for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
            const wrp_ctlconf_entry_t *e = wrp_ctlconf_get (conf, options[i]);
            assert (!e || (e->value && !strncmp (e->where, path, strlen (path))));
        }
        wrp_ctlconf_destroy (&conf);
    } else {
        assert (err && strstr (err, path));
        free (err);
    }
    unlink (path);
    return 0;
}
