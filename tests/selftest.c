/*  Self-test runner: runs every class's wrp_x_test (verbose).

    selftest                 run all
    selftest -t wrp_size -v  run one, verbose
    selftest -l              list                                             */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define WRP_SELFTEST(name) void name##_test (bool verbose);
#include "selftests.h"
#undef WRP_SELFTEST

typedef struct {
    const char *name;       //  class name, e.g. wrp_size
    void (*test) (bool);    //  its self-test; asserts on failure
} selftest_t;

#define WRP_SELFTEST(name) {#name, name##_test},
static const selftest_t s_tests[] = {
#include "selftests.h"
};
#undef WRP_SELFTEST

int
main (int argc, char **argv)
{
    const char *only = NULL;
    bool verbose = false;
    size_t count = sizeof s_tests / sizeof s_tests[0];
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "-v"))
            verbose = true;
        else if (!strcmp (argv[i], "-t") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp (argv[i], "-l")) {
            for (size_t t = 0; t < count; t++)
                puts (s_tests[t].name);
            return 0;
        } else {
            fprintf (stderr, "usage: selftest [-t CLASS] [-v] [-l]\n");
            return 1;
        }
    }
    size_t ran = 0;
    for (size_t t = 0; t < count; t++) {
        if (only && strcmp (only, s_tests[t].name))
            continue;
        printf (" * %s\n", s_tests[t].name);
        fflush (stdout);
        s_tests[t].test (verbose);
        ran++;
    }
    if (only && ran == 0) {
        fprintf (stderr, "selftest: no class '%s'\n", only);
        return 1;
    }
    printf ("selftest: %zu passed, 0 failed\n", ran);
    return 0;
}
