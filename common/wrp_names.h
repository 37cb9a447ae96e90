/*  wrp_names — the one policy for names both programs check.

    A pipeline name names a directory in the agent's state dir
    (pipelines/NAME/): 1 to WRP_PIPELINE_NAME_MAX of A-Z a-z 0-9 _ . -, not
    "." or "..". A variable name forwarded to the runtime (a pipeline's
    `env:`, a START's env.NAME) is [A-Za-z_][A-Za-z0-9_]*, at most
    WRP_ENV_NAME_MAX, and not one the runtime must not get: glibc's unsafe
    variables (UNSECURE_ENVVARS: every LD_* but LD_LIBRARY_PATH, which the
    runtime needs to find its modules, GCONV_PATH, GETCONF_DIR,
    GLIBC_TUNABLES, HOSTALIASES, LOCALDOMAIN, LOCPATH, MALLOC_TRACE,
    NIS_PATH, NLSPATH, RESOLV_HOST_CONF, RES_OPTIONS, TMPDIR, TZDIR) and those
    the agent sets (CHI_SERVER_CONF, USER). `ppl load`, `pkg conf` and the
    agent's START all use these, so what one side accepts the other does.

    Both checks return 0, or -1 and (if ret_err) a one-line reason the
    caller frees.                                                             */

#ifndef WRP_NAMES_H_INCLUDED
#define WRP_NAMES_H_INCLUDED

#include <stdbool.h>

int wrp_names_check_pipeline (const char *name, char **ret_err);
int wrp_names_check_env (const char *name, char **ret_err);

//  True when name has the shape of a variable name (the first half of
//  wrp_names_check_env): a START whose env.NAME fails this is malformed
//  (BAD_REQUEST), one that passes it but fails wrp_names_check_env is
//  refused by policy (REFUSED).
bool wrp_names_env_syntax_ok (const char *name);

void wrp_names_test (bool verbose);

#endif
