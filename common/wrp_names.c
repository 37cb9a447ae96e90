/*  wrp_names — the one policy for pipeline and variable names.              */

#include "wrp_names.h"
#include "wrp_proto.h"
#include "wrp_str.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  glibc's UNSECURE_ENVVARS (elf/dl-support / sysdeps/generic/unsecvars.h)
//  beside the LD_* family: variables that make libc load or read files.
static const char *s_libc_unsafe[] = {
    "GCONV_PATH",  "GETCONF_DIR",  "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN",
    "LOCPATH",     "MALLOC_TRACE", "NIS_PATH",       "NLSPATH",     "RESOLV_HOST_CONF",
    "RES_OPTIONS", "TMPDIR",       "TZDIR",
};

//  Hand *ret_err the reason (or "out of memory"); always -1.

int
wrp_names_check_pipeline (const char *name, char **ret_err)
{
    size_t len = name ? strlen (name) : 0;
    bool ok = len >= 1 && len <= WRP_PIPELINE_NAME_MAX && strcmp (name, ".") &&
              strcmp (name, "..");
    for (size_t i = 0; ok && i < len; i++)
        if (!isalnum ((unsigned char) name[i]) && !strchr ("_.-", name[i]))
            ok = false;
    if (ok)
        return 0;
    return wrp_str_fail (ret_err,
                         "bad pipeline name '%.64s' (use 1 to %d of A-Z a-z "
                         "0-9 _ . -, not '.' or '..')",
                         name ? name : "", WRP_PIPELINE_NAME_MAX);
}

bool
wrp_names_env_syntax_ok (const char *name)
{
    size_t len = name ? strlen (name) : 0;
    bool ok = len >= 1 && len <= WRP_ENV_NAME_MAX &&
              (isalpha ((unsigned char) name[0]) || name[0] == '_');
    for (size_t i = 1; ok && i < len; i++)
        if (!isalnum ((unsigned char) name[i]) && name[i] != '_')
            ok = false;
    return ok;
}

int
wrp_names_check_env (const char *name, char **ret_err)
{
    if (!wrp_names_env_syntax_ok (name))
        return wrp_str_fail (ret_err,
                             "'%.128s' is not a variable name "
                             "([A-Za-z_][A-Za-z0-9_]*, at most %d)",
                             name ? name : "", WRP_ENV_NAME_MAX);
    if (!strncmp (name, "LD_", 3) && strcmp (name, "LD_LIBRARY_PATH"))
        return wrp_str_fail (ret_err,
                             "'%s' is a dynamic loader variable and is "
                             "never forwarded",
                             name);
    for (size_t i = 0; i < sizeof s_libc_unsafe / sizeof s_libc_unsafe[0]; i++)
        if (!strcmp (name, s_libc_unsafe[i]))
            return wrp_str_fail (ret_err,
                                 "'%s' makes libc load or read files and is "
                                 "never forwarded",
                                 name);
    if (!strcmp (name, WRP_ENV_SERVER_CONF) || !strcmp (name, WRP_ENV_USER))
        return wrp_str_fail (ret_err, "'%s' is set by the agent itself", name);
    return 0;
}

void
wrp_names_test (bool verbose)
{
    if (verbose)
        printf (" * wrp_names: ");
    const char *good_pipelines[] = {"basic_runtime-1.0", "a", "x.y"};
    for (size_t i = 0; i < sizeof good_pipelines / sizeof good_pipelines[0]; i++)
        assert (wrp_names_check_pipeline (good_pipelines[i], NULL) == 0);
    char long_name[WRP_PIPELINE_NAME_MAX + 2];
    memset (long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    const char *bad_pipelines[] = {NULL,        "",    ".",   "..",
                                   "../../etc", "a b", "a/b", long_name};
    for (size_t i = 0; i < sizeof bad_pipelines / sizeof bad_pipelines[0]; i++) {
        char *err = NULL;
        assert (wrp_names_check_pipeline (bad_pipelines[i], &err) == -1);
        assert (err && strstr (err, "bad pipeline name"));
        free (err);
    }
    long_name[WRP_PIPELINE_NAME_MAX] = 0;
    assert (wrp_names_check_pipeline (long_name, NULL) == 0);

    const char *good_env[] = {"PATH", "_X1", "CHI_REPO_PATH", "LD_LIBRARY_PATH",
                              "CUDA_HOME"};
    for (size_t i = 0; i < sizeof good_env / sizeof good_env[0]; i++)
        assert (wrp_names_check_env (good_env[i], NULL) == 0);
    struct {
        const char *name, *why;
        bool syntax;
    } bad_env[] = {
        {"", "not a variable name", false},
        {"1A", "not a variable name", false},
        {"A B", "not a variable name", false},
        {"A=B", "not a variable name", false},
        {"LD_PRELOAD", "dynamic loader", true},
        {"LD_AUDIT", "dynamic loader", true},
        {"GCONV_PATH", "libc", true},
        {"GLIBC_TUNABLES", "libc", true},
        {"LOCPATH", "libc", true},
        {"TMPDIR", "libc", true},
        {"TZDIR", "libc", true},
        {"CHI_SERVER_CONF", "agent", true},
        {"USER", "agent", true},
    };
    for (size_t i = 0; i < sizeof bad_env / sizeof bad_env[0]; i++) {
        char *err = NULL;
        assert (wrp_names_check_env (bad_env[i].name, &err) == -1);
        assert (err && strstr (err, bad_env[i].why));
        assert (wrp_names_env_syntax_ok (bad_env[i].name) == bad_env[i].syntax);
        free (err);
    }
    assert (wrp_names_check_env (NULL, NULL) == -1);
    //  A START key is at most WRP_MSG_MAX_KEY with "env." in front.
    char var[WRP_ENV_NAME_MAX + 2];
    memset (var, 'V', sizeof var - 1);
    var[sizeof var - 1] = 0;
    assert (wrp_names_check_env (var, NULL) == -1);
    var[WRP_ENV_NAME_MAX] = 0;
    assert (wrp_names_check_env (var, NULL) == 0);
    assert (strlen (WRP_F_ENV_PREFIX) + WRP_ENV_NAME_MAX == WRP_MSG_MAX_KEY);
    if (verbose)
        printf ("OK\n");
}
