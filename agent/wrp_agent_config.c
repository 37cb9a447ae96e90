/*  wrp_agent_config — the agent's configuration. See wrp_agent_config.h.   */

#include "wrp_agent_config.h"
#include "wrp_file.h"
#include "wrp_str.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

typedef enum { S_STR, S_BOOL, S_MS, S_ADDR, S_LEVEL, S_BINARY, S_ENV } s_type_t;

//  Types whose field is a char * (the others: bool, int, char **).
#define S_IS_STR(type) ((type) != S_BOOL && (type) != S_MS && (type) != S_ENV)

typedef struct {
    const char *name;    //  key in the file and flag name
    s_type_t type;       //  how the value is checked
    size_t offset;       //  field in wrp_agent_config_t
    bool file_only;      //  may only come from the config file
} s_key_t;

#define S_FIELD(f) offsetof (wrp_agent_config_t, f)
static const s_key_t s_keys[] = {
    {"endpoint", S_STR, S_FIELD (endpoint), false},
    {"state_dir", S_STR, S_FIELD (state_dir), false},
    {"shm_dir", S_STR, S_FIELD (shm_dir), false},
    {"node_name", S_STR, S_FIELD (node_name), false},
    {"key", S_STR, S_FIELD (key), false},
    {"authorized_keys", S_STR, S_FIELD (authorized_keys), false},
    {"insecure", S_BOOL, S_FIELD (insecure), false},
    {"log_level", S_LEVEL, S_FIELD (log_level), false},
    {"start_binary", S_BINARY, S_FIELD (start_binary), true},
    {"stop_binary", S_BINARY, S_FIELD (stop_binary), true},
    {"start_timeout_ms", S_MS, S_FIELD (start_timeout_ms), false},
    {"stop_timeout_ms", S_MS, S_FIELD (stop_timeout_ms), false},
    {"runtime_address", S_ADDR, S_FIELD (runtime_address), false},
    {"user", S_STR, S_FIELD (user), false},
    {"env", S_ENV, S_FIELD (env), true},
};
#define S_ENV_MAX   256    //  variables in env
#define S_KEY_COUNT (sizeof s_keys / sizeof s_keys[0])

static char **
s_str_field (wrp_agent_config_t *self, const s_key_t *key)
{
    return (char **) ((char *) self + key->offset);
}

static void
s_env_free (char ***env_p)
{
    for (size_t i = 0; *env_p && (*env_p)[i]; i++)
        free ((*env_p)[i]);
    free (*env_p);
    *env_p = NULL;
}

wrp_agent_config_t *
wrp_agent_config_new (void)
{
    wrp_agent_config_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->endpoint = strdup ("tcp://*:5560");
    self->state_dir = strdup ("/var/lib/wrp");
    self->shm_dir = strdup ("/dev/shm");
    self->log_level = strdup ("info");
    self->start_binary = strdup ("chimaera_start_runtime");
    self->stop_binary = strdup ("chimaera_stop_runtime");
    self->runtime_address = strdup ("127.0.0.1");
    self->start_timeout_ms = 30000;
    self->stop_timeout_ms = 5000;
    if (!self->endpoint || !self->state_dir || !self->shm_dir || !self->log_level ||
        !self->start_binary || !self->stop_binary || !self->runtime_address)
        wrp_agent_config_destroy (&self);
    return self;
}

void
wrp_agent_config_destroy (wrp_agent_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_agent_config_t *self = *self_p;
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (S_IS_STR (s_keys[i].type))
            free (*s_str_field (self, &s_keys[i]));
    s_env_free (&self->env);
    free (self->file);
    free (self);
    *self_p = NULL;
}

static wrp_agent_config_t *
s_dup (const wrp_agent_config_t *self)
{
    wrp_agent_config_t *copy = calloc (1, sizeof *copy);
    if (!copy)
        return NULL;
    *copy = *self;
    bool ok = true;
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        if (!S_IS_STR (s_keys[i].type))
            continue;
        char **field = s_str_field (copy, &s_keys[i]);
        if (*field && !(*field = strdup (*field)))
            ok = false;
    }
    if (copy->file && !(copy->file = strdup (copy->file)))
        ok = false;
    if (self->env) {
        size_t count = 0;
        while (self->env[count])
            count++;
        if (!(copy->env = calloc (count + 1, sizeof *copy->env)))
            ok = false;
        for (size_t i = 0; copy->env && i < count; i++)
            if (!(copy->env[i] = strdup (self->env[i])))
                ok = false;
    }
    if (!ok)
        wrp_agent_config_destroy (&copy);
    return copy;
}

//  Moves every field of from into self; from is destroyed.
static void
s_take (wrp_agent_config_t *self, wrp_agent_config_t **from_p)
{
    wrp_agent_config_t *from = *from_p;
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (S_IS_STR (s_keys[i].type))
            free (*s_str_field (self, &s_keys[i]));
    s_env_free (&self->env);
    free (self->file);
    *self = *from;
    free (from);
    *from_p = NULL;
}

int
wrp_agent_config_set (wrp_agent_config_t *self, const char *key, const char *value,
                      bool from_file, char **ret_err)
{
    const s_key_t *spec = NULL;
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (!strcmp (s_keys[i].name, key))
            spec = &s_keys[i];
    if (!spec) {
        *ret_err = wrp_strf ("unknown key '%s'", key);
        return -1;
    }
    if (spec->file_only && !from_file) {
        *ret_err = wrp_strf ("'%s' can only be set in the config file", key);
        return -1;
    }
    if (strlen (value) > 4096) {
        *ret_err = wrp_strf ("'%s': value longer than 4096 bytes", key);
        return -1;
    }
    switch (spec->type) {
    case S_BOOL: {
        bool *field = (bool *) ((char *) self + spec->offset);
        if (!strcmp (value, "true") || !strcmp (value, "yes") || !strcmp (value, "1"))
            *field = true;
        else if (!strcmp (value, "false") || !strcmp (value, "no") ||
                 !strcmp (value, "0"))
            *field = false;
        else {
            *ret_err = wrp_strf ("'%s': expected true or false, got '%s'", key, value);
            return -1;
        }
        return 0;
    }
    case S_MS: {
        char *end = NULL;
        errno = 0;
        long number = strtol (value, &end, 10);
        if (errno || end == value || *end || number < 1 || number > 3600000) {
            *ret_err =
                wrp_strf ("'%s': expected milliseconds 1..3600000, got '%s'", key, value);
            return -1;
        }
        *(int *) ((char *) self + spec->offset) = (int) number;
        return 0;
    }
    case S_ADDR: {
        struct in_addr addr;
        if (inet_pton (AF_INET, value, &addr) != 1) {
            *ret_err = wrp_strf ("'%s': expected an IPv4 address, got '%s'", key, value);
            return -1;
        }
        break;
    }
    case S_LEVEL:
        if (strcmp (value, "error") && strcmp (value, "warning") &&
            strcmp (value, "info") && strcmp (value, "debug")) {
            *ret_err = wrp_strf ("'%s': expected error, warning, info or debug, got '%s'",
                                 key, value);
            return -1;
        }
        break;
    case S_ENV:
        *ret_err = wrp_strf ("'%s' must be a mapping of NAME: value", key);
        return -1;
    case S_BINARY:
        if (!*value || (strchr (value, '/') && value[0] != '/')) {
            *ret_err =
                wrp_strf ("'%s': expected a program name or an absolute path, got '%s'",
                          key, value);
            return -1;
        }
        break;
    case S_STR:
        if (!*value) {
            *ret_err = wrp_strf ("'%s': empty value", key);
            return -1;
        }
        break;
    }
    char *copy = strdup (value);
    if (!copy) {
        *ret_err = wrp_strf ("out of memory");
        return -1;
    }
    char **field = s_str_field (self, spec);
    free (*field);
    *field = copy;
    return 0;
}

//  Checks a variable name in env: a shell name, not set twice, room left.
//  Returns NULL and the name copied to *ret_name, or the error.
static char *
s_env_name_check (const char *file, size_t line, const char *text, char **env,
                  size_t count, char **ret_name)
{
    bool valid = (isalpha ((unsigned char) *text) || *text == '_');
    for (const char *c = text; valid && *c; c++)
        valid = isalnum ((unsigned char) *c) || *c == '_';
    if (!valid)
        return wrp_strf ("%s:%zu: env: '%s' is not a variable name", file, line, text);
    for (size_t i = 0; i < count; i++)
        if (!strncmp (env[i], text, strlen (text)) && env[i][strlen (text)] == '=')
            return wrp_strf ("%s:%zu: env: duplicate variable '%s'", file, line, text);
    if (count == S_ENV_MAX)
        return wrp_strf ("%s:%zu: env: more than %d variables", file, line, S_ENV_MAX);
    if (!(*ret_name = strdup (text)))
        return wrp_strf ("%s: out of memory", file);
    return NULL;
}

int
wrp_agent_config_parse (wrp_agent_config_t *self, const char *name, const void *data,
                        size_t size, char **ret_err)
{
    wrp_agent_config_t *work = s_dup (self);
    if (!work) {
        *ret_err = wrp_strf ("%s: out of memory", name);
        return -1;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize (&parser)) {
        wrp_agent_config_destroy (&work);
        *ret_err = wrp_strf ("%s: cannot start the YAML parser", name);
        return -1;
    }
    yaml_parser_set_input_string (&parser, data, size);
    char *err = NULL;
    //  Depth of the parse: 0 stream, 1 document, 2 top mapping.
    bool in_map = false;
    bool done = false;
    char *key = NULL;
    size_t key_line = 0;
    char seen[S_KEY_COUNT] = {0};
    //  Inside env's mapping: the variable whose value comes next, and how
    //  many are set.
    bool in_env = false;
    char *env_name = NULL;
    size_t env_count = 0;
    while (!done && !err) {
        yaml_event_t event;
        if (!yaml_parser_parse (&parser, &event)) {
            err = wrp_strf ("%s:%zu: YAML syntax error: %s", name,
                            (size_t) parser.problem_mark.line + 1,
                            parser.problem ? parser.problem : "unknown");
            break;
        }
        size_t line = (size_t) event.start_mark.line + 1;
        switch (event.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
            break;
        case YAML_DOCUMENT_END_EVENT:
            in_map = false;
            break;
        case YAML_MAPPING_START_EVENT:
            if (in_map && key && !strcmp (key, "env") && !in_env) {
                in_env = true;
                s_env_free (&work->env);
                if (!(work->env = calloc (S_ENV_MAX + 1, sizeof *work->env)))
                    err = wrp_strf ("%s: out of memory", name);
            } else if (in_map)
                err = wrp_strf ("%s:%zu: '%s%s' must be a single value, not a mapping",
                                name, line, in_env ? "env." : "",
                                in_env ? (env_name ? env_name : "?") : (key ? key : "?"));
            else
                in_map = true;
            break;
        case YAML_MAPPING_END_EVENT:
            if (in_env) {
                in_env = false;
                free (key);
                key = NULL;
            } else
                in_map = false;
            break;
        case YAML_SEQUENCE_START_EVENT:
            err = wrp_strf ("%s:%zu: %s%s%s must be a single value, not a list", name,
                            line, key ? "'" : "", key ? key : "the file", key ? "'" : "");
            break;
        case YAML_ALIAS_EVENT:
            err = wrp_strf ("%s:%zu: YAML aliases are not accepted", name, line);
            break;
        case YAML_SCALAR_EVENT: {
            const char *text = (const char *) event.data.scalar.value;
            if (!in_map)
                err = wrp_strf ("%s:%zu: expected a mapping of keys, got '%s'", name,
                                line, text);
            else if (in_env && !env_name)
                err =
                    s_env_name_check (name, line, text, work->env, env_count, &env_name);
            else if (in_env) {
                if (!(work->env[env_count++] = wrp_strf ("%s=%s", env_name, text)))
                    err = wrp_strf ("%s: out of memory", name);
                free (env_name);
                env_name = NULL;
            } else if (!key) {
                size_t i = 0;
                for (; i < S_KEY_COUNT; i++)
                    if (!strcmp (s_keys[i].name, text))
                        break;
                if (i == S_KEY_COUNT)
                    err = wrp_strf ("%s:%zu: unknown key '%s'", name, line, text);
                else if (seen[i])
                    err = wrp_strf ("%s:%zu: duplicate key '%s'", name, line, text);
                else {
                    seen[i] = 1;
                    key = strdup (text);
                    key_line = line;
                    if (!key)
                        err = wrp_strf ("%s: out of memory", name);
                }
            } else {
                char *why = NULL;
                if (wrp_agent_config_set (work, key, text, true, &why)) {
                    err = wrp_strf ("%s:%zu: %s", name, line, why ? why : "bad value");
                    free (why);
                }
                free (key);
                key = NULL;
            }
            break;
        }
        default:
            break;
        }
        yaml_event_delete (&event);
    }
    if (!err && key)
        err = wrp_strf ("%s:%zu: '%s' has no value", name, key_line, key);
    free (key);
    free (env_name);
    yaml_parser_delete (&parser);
    if (err) {
        wrp_agent_config_destroy (&work);
        *ret_err = err;
        return -1;
    }
    s_take (self, &work);
    return 0;
}

int
wrp_agent_config_load (wrp_agent_config_t *self, const char *path, bool required,
                       char **ret_err)
{
    char *data = NULL;
    size_t size = 0;
    char *err = NULL;
    free (self->file);
    self->file = strdup (path);
    if (wrp_file_read (path, WRP_AGENT_CONFIG_MAX_FILE, &data, &size, &err)) {
        if (errno == ENOENT) {
            //  Missing: fine when optional, else plainly "PATH: No such file ...".
            free (err);
            if (!required)
                return 0;
            err = wrp_strf ("%s: %s", path, strerror (ENOENT));
        }
        *ret_err = err;
        return -1;
    }
    int rc = wrp_agent_config_parse (self, path, data, size, ret_err);
    free (data);
    return rc;
}

int
wrp_agent_config_finish (wrp_agent_config_t *self, char **ret_err)
{
    if (!self->node_name) {
        char host[HOST_NAME_MAX + 1] = "";
        if (gethostname (host, sizeof host) || !*host) {
            *ret_err = wrp_strf ("cannot read the host name: set node_name");
            return -1;
        }
        host[HOST_NAME_MAX] = 0;
        if (!(self->node_name = strdup (host))) {
            *ret_err = wrp_strf ("out of memory");
            return -1;
        }
    }
    if (!self->user) {
        struct passwd *pw = getpwuid (geteuid ());
        const char *name = pw ? pw->pw_name : getenv ("USER");
        if (!name) {
            *ret_err = wrp_strf ("cannot tell the agent's user name: set user");
            return -1;
        }
        if (!(self->user = strdup (name))) {
            *ret_err = wrp_strf ("out of memory");
            return -1;
        }
    }
    return 0;
}

void
wrp_agent_config_test (bool verbose)
{
    (void) verbose;
    wrp_agent_config_t *config = wrp_agent_config_new ();
    assert (config);
    assert (!strcmp (config->endpoint, "tcp://*:5560"));
    assert (config->start_timeout_ms == 30000);
    char *err = NULL;
    const char *good =
        "# agent\nendpoint: tcp://127.0.0.1:7000\ninsecure: true\n"
        "start_timeout_ms: 500\nstart_binary: /opt/chi/bin/chimaera_start_runtime\n"
        "runtime_address: 127.0.0.2\n";
    assert (wrp_agent_config_parse (config, "good.yaml", good, strlen (good), &err) == 0);
    assert (!strcmp (config->endpoint, "tcp://127.0.0.1:7000"));
    assert (config->insecure);
    assert (config->start_timeout_ms == 500);
    assert (!strcmp (config->runtime_address, "127.0.0.2"));

    //  Errors name file and line, and change nothing.
    const char *bad[][2] = {
        {"endpoint: a\nbogus: 1\n", "bad.yaml:2: unknown key 'bogus'"},
        {"insecure: maybe\n", "bad.yaml:1: 'insecure'"},
        {"start_timeout_ms: 12x\n", "bad.yaml:1: 'start_timeout_ms'"},
        {"a: [1\n", "bad.yaml:"},
        {"endpoint: x\nendpoint: y\n", "bad.yaml:2: duplicate key"},
        {"runtime_address: localhost\n", "bad.yaml:1:"},
        {"start_binary: bin/start\n", "bad.yaml:1:"},
        {"- a\n", "bad.yaml:1:"},
        {"endpoint:\n  x: 1\n", "bad.yaml:2:"},
        {"just text\n", "bad.yaml:1:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = NULL;
        assert (wrp_agent_config_parse (config, "bad.yaml", bad[i][0], strlen (bad[i][0]),
                                        &err) == -1);
        assert (err && strstr (err, bad[i][1]) == err);
        free (err);
    }
    assert (!strcmp (config->endpoint, "tcp://127.0.0.1:7000"));
    //  env: a mapping of variables, only from the file.
    assert (!config->env);
    const char *env =
        "env:\n  PATH: /opt/chi/bin:/usr/bin\n  CHI_REPO_PATH: /opt/chi/lib\n";
    assert (wrp_agent_config_parse (config, "env.yaml", env, strlen (env), &err) == 0);
    assert (config->env && !strcmp (config->env[0], "PATH=/opt/chi/bin:/usr/bin"));
    assert (!strcmp (config->env[1], "CHI_REPO_PATH=/opt/chi/lib") && !config->env[2]);
    const char *bad_env[][2] = {
        {"env: /usr/bin\n", "env.yaml:1: 'env' must be a mapping"},
        {"env:\n  PATH: a\n  PATH: b\n", "env.yaml:3: env: duplicate variable 'PATH'"},
        {"env:\n  1X: a\n", "env.yaml:2: env: '1X' is not a variable name"},
        {"env:\n  X:\n    y: 1\n", "env.yaml:3: 'env.X' must be a single value"},
    };
    for (size_t i = 0; i < sizeof bad_env / sizeof bad_env[0]; i++) {
        err = NULL;
        assert (wrp_agent_config_parse (config, "env.yaml", bad_env[i][0],
                                        strlen (bad_env[i][0]), &err) == -1);
        if (verbose || !err || strstr (err, bad_env[i][1]) != err)
            printf ("env error: %s\n", err ? err : "(none)");
        assert (err && strstr (err, bad_env[i][1]) == err);
        free (err);
    }
    assert (!strcmp (config->env[0], "PATH=/opt/chi/bin:/usr/bin"));
    err = NULL;
    assert (wrp_agent_config_set (config, "env", "PATH=/x", false, &err) == -1);
    free (err);
    //  An empty file is fine.
    assert (wrp_agent_config_parse (config, "empty.yaml", "", 0, &err) == 0);
    //  Flags may not set the binaries.
    err = NULL;
    assert (wrp_agent_config_set (config, "start_binary", "/bin/true", false, &err) ==
            -1);
    free (err);
    assert (wrp_agent_config_set (config, "node_name", "n1", false, &err) == 0);
    assert (wrp_agent_config_load (config, "/nonexistent/agentd.yaml", false, &err) == 0);
    err = NULL;
    assert (wrp_agent_config_load (config, "/nonexistent/agentd.yaml", true, &err) == -1);
    assert (err && strstr (err, "/nonexistent/agentd.yaml: "));
    free (err);
    assert (wrp_agent_config_finish (config, &err) == 0);
    assert (config->user && !strcmp (config->node_name, "n1"));
    wrp_agent_config_destroy (&config);
    wrp_agent_config_destroy (&config);
}
