/*  wrp_start_req — a START request, checked. See wrp_start_req.h.         */

#include "wrp_start_req.h"
#include "wrp_names.h"
#include "wrp_str.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int
s_check_pipeline (const wrp_msg_t *msg, wrp_start_req_t *req, const char **ret_code,
                  char **ret_err)
{
    req->pipeline = wrp_msg_str (msg, WRP_F_PIPELINE);
    if (!req->pipeline)
        return wrp_str_fail (ret_err, "START: missing field '" WRP_F_PIPELINE "'");
    char *why = NULL;
    if (wrp_names_check_pipeline (req->pipeline, &why)) {
        *ret_code = WRP_ERR_REFUSED;
        wrp_str_set (ret_err, "START: %s", why ? why : "bad pipeline name");
        free (why);
        return -1;
    }
    return 0;
}

//  An optional integer field within lo..hi; 0 when absent.
static int
s_check_int (const wrp_msg_t *msg, const char *key, int64_t lo, int64_t hi,
             int64_t *ret_value, char **ret_err)
{
    if (!wrp_msg_has (msg, key))
        return 0;
    if (wrp_msg_int (msg, key, ret_value) || *ret_value < lo || *ret_value > hi)
        return hi == INT64_MAX
                   ? wrp_str_fail (ret_err,
                                   "START: field '%s' must be an integer >= %" PRId64,
                                   key, lo)
                   : wrp_str_fail (ret_err,
                                   "START: field '%s' must be an integer %" PRId64
                                   "..%" PRId64,
                                   key, lo, hi);
    return 0;
}

static int
s_check_numbers (const wrp_msg_t *msg, wrp_start_req_t *req, char **ret_err)
{
    if (wrp_msg_get (msg, WRP_F_CONFIG, &req->config, &req->config_size))
        return wrp_str_fail (ret_err, "START: missing field '" WRP_F_CONFIG "'");
    if (wrp_msg_has (msg, WRP_F_HOSTFILE))
        wrp_msg_get (msg, WRP_F_HOSTFILE, &req->hostfile, &req->hostfile_size);
    int64_t number = 0;
    if (!wrp_msg_has (msg, WRP_F_PORT))
        return wrp_str_fail (ret_err, "START: field '" WRP_F_PORT "' is missing");
    if (s_check_int (msg, WRP_F_PORT, WRP_PORT_MIN, WRP_PORT_MAX, &number, ret_err))
        return -1;
    req->port = (int) number;
    if (s_check_int (msg, WRP_F_GENERATION, 0, INT64_MAX, &req->generation, ret_err))
        return -1;
    number = 0;
    if (s_check_int (msg, WRP_F_TIMEOUT_MS, 1, WRP_TIMEOUT_MS_MAX, &number, ret_err))
        return -1;
    req->timeout_ms = (int) number;
    return 0;
}

//  One env.NAME field: a malformed name is BAD_REQUEST, one the policy
//  refuses REFUSED.
static int
s_check_env (const wrp_msg_t *msg, const char *key, wrp_start_req_t *req,
             const char **ret_code, char **ret_err)
{
    const char *name = key + strlen (WRP_F_ENV_PREFIX);
    if (!wrp_names_env_syntax_ok (name))
        return wrp_str_fail (ret_err,
                             "START: '%s': not a variable name "
                             "[A-Za-z_][A-Za-z0-9_]*",
                             key);
    char *why = NULL;
    if (wrp_names_check_env (name, &why)) {
        *ret_code = WRP_ERR_REFUSED;
        wrp_str_set (ret_err, "START: env.%s refused: %s", name, why ? why : name);
        free (why);
        return -1;
    }
    const char *value = wrp_msg_str (msg, key);
    if (!value)
        return wrp_str_fail (ret_err, "START: '%s': value holds a NUL byte", key);
    if (req->env_count == WRP_ENV_MAX)
        return wrp_str_fail (ret_err, "START: more than %d env.* fields", WRP_ENV_MAX);
    req->env_name[req->env_count] = name;
    req->env_value[req->env_count] = value;
    req->env_count++;
    return 0;
}

int
wrp_start_req_parse (const wrp_msg_t *msg, wrp_start_req_t *ret_req,
                     const char **ret_code, char **ret_err)
{
    wrp_start_req_t req;
    memset (&req, 0, sizeof req);
    *ret_code = WRP_ERR_BAD_REQUEST;
    if (s_check_pipeline (msg, &req, ret_code, ret_err) ||
        s_check_numbers (msg, &req, ret_err))
        return -1;
    size_t prefix = strlen (WRP_F_ENV_PREFIX);
    size_t fields = wrp_msg_field_count (msg);
    for (size_t i = 0; i < fields; i++) {
        const char *key = wrp_msg_field_key (msg, i);
        if (!strncmp (key, WRP_F_ENV_PREFIX, prefix) &&
            s_check_env (msg, key, &req, ret_code, ret_err))
            return -1;
    }
    *ret_req = req;
    return 0;
}

//  Expects a refusal with code and a reason naming what.
static void
s_expect_refusal (const wrp_msg_t *msg, const char *code, const char *what)
{
    wrp_start_req_t req;
    const char *got = NULL;
    char *err = NULL;
    assert (wrp_start_req_parse (msg, &req, &got, &err) == -1);
    assert (!strcmp (got, code) && err && strstr (err, what));
    free (err);
}

void
wrp_start_req_test (bool verbose)
{
    (void) verbose;
    wrp_msg_t *msg = wrp_msg_new (WRP_CMD_START, "t1");
    assert (msg);
    s_expect_refusal (msg, WRP_ERR_BAD_REQUEST, WRP_F_PIPELINE);
    wrp_msg_set_str (msg, WRP_F_PIPELINE, "basic");
    wrp_msg_set_str (msg, WRP_F_CONFIG, "networking:\n  port: 9000\n");
    wrp_msg_set_str (msg, WRP_F_PORT, "9000");
    wrp_msg_set_str (msg, "env.CHI_REPO_PATH", "/opt/chi/lib");
    wrp_msg_set_str (msg, "env.LD_LIBRARY_PATH", "/opt/chi/lib");
    wrp_start_req_t req;
    const char *code = NULL;
    char *err = NULL;
    assert (wrp_start_req_parse (msg, &req, &code, &err) == 0 && !err);
    assert (req.port == 9000 && req.env_count == 2 && !req.hostfile);
    assert (!strcmp (req.env_name[0], "CHI_REPO_PATH") && req.timeout_ms == 0);
    //  The shared policy, the stricter one: GCONV_PATH, LOCPATH and USER too.
    const char *refused[] = {"env.LD_PRELOAD", "env.LD_AUDIT", "env.GCONV_PATH",
                             "env.LOCPATH",    "env.USER",     "env.GLIBC_TUNABLES"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        wrp_msg_t *bad = wrp_msg_dup (msg);
        wrp_msg_set_str (bad, refused[i], "/tmp/x.so");
        s_expect_refusal (bad, WRP_ERR_REFUSED, refused[i] + 4);
        wrp_msg_destroy (&bad);
    }
    const char *bad_fields[][3] = {
        {WRP_F_PORT, "65535", WRP_ERR_BAD_REQUEST},
        {WRP_F_PORT, "x", WRP_ERR_BAD_REQUEST},
        {WRP_F_GENERATION, "-1", WRP_ERR_BAD_REQUEST},
        {"env.1X", "y", WRP_ERR_BAD_REQUEST},
        {WRP_F_TIMEOUT_MS, "0", WRP_ERR_BAD_REQUEST},
        {WRP_F_PIPELINE, "../../etc", WRP_ERR_REFUSED},
    };
    for (size_t i = 0; i < sizeof bad_fields / sizeof bad_fields[0]; i++) {
        wrp_msg_t *bad = wrp_msg_dup (msg);
        wrp_msg_set_str (bad, bad_fields[i][0], bad_fields[i][1]);
        s_expect_refusal (bad, bad_fields[i][2], bad_fields[i][0]);
        wrp_msg_destroy (&bad);
    }
    wrp_msg_destroy (&msg);
}
