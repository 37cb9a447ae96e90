/*  libFuzzer harness for pdsh/clush host lists (wrp_hostfile_from_list)
    and their folding (wrp_hostfile_fold).

    A list that expands must fold into a list that expands to the same
    hosts; one that does not must say why.                                   */

#include "wrp_hostfile.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define S_ROUND_TRIP_MAX 2000    //  hosts checked one by one after folding

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text[size] = 0;
    char *err = NULL;
    wrp_hostfile_t *list = wrp_hostfile_from_list (text, "-w", &err);
    if (!list) {
        assert (err && !strncmp (err, "-w: ", 4));
        free (err);
        free (text);
        return 0;
    }
    size_t count = wrp_hostfile_size (list);
    const char **names = calloc (count, sizeof *names);
    assert (names);
    for (size_t i = 0; i < count; i++)
        names[i] = wrp_hostfile_host (list, i);
    char *folded = wrp_hostfile_fold (names, count);
    assert (folded);
    wrp_hostfile_t *back = wrp_hostfile_from_list (folded, "fold", &err);
    assert (back);
    //  Same set of names (the fold drops ports and duplicates by name).
    if (count <= S_ROUND_TRIP_MAX) {
        for (size_t i = 0; i < count; i++)
            assert (wrp_hostfile_has (back, names[i], 0));
        for (size_t i = 0; i < wrp_hostfile_size (back); i++)
            assert (wrp_hostfile_has (list, wrp_hostfile_host (back, i), 0));
    }
    wrp_hostfile_destroy (&back);
    free (folded);
    free (names);
    wrp_hostfile_destroy (&list);
    free (text);
    return 0;
}
