/*  wrp_agent_config — the agent's configuration. See wrp_agent_config.h.   */

#include "wrp_agent_config.h"
#include "wrp_file.h"
#include "wrp_proto.h"
#include "wrp_str.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
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
    self->endpoint = strdup (WRP_DEFAULT_ENDPOINT);
    self->state_dir = strdup (WRP_DEFAULT_STATE_DIR);
    self->shm_dir = strdup ("/dev/shm");
    self->log_level = strdup ("info");
    self->start_binary = strdup ("chimaera_start_runtime");
    self->stop_binary = strdup ("chimaera_stop_runtime");
    self->runtime_address = strdup ("127.0.0.1");
    self->start_timeout_ms = WRP_DEFAULT_START_TIMEOUT_MS;
    self->stop_timeout_ms = WRP_DEFAULT_STOP_TIMEOUT_MS;
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

static int
s_set_bool (bool *field, const char *key, const char *value, char **ret_err)
{
    if (!strcmp (value, "true") || !strcmp (value, "yes") || !strcmp (value, "1"))
        *field = true;
    else if (!strcmp (value, "false") || !strcmp (value, "no") || !strcmp (value, "0"))
        *field = false;
    else {
        *ret_err = wrp_strf ("'%s': expected true or false, got '%s'", key, value);
        return -1;
    }
    return 0;
}

static int
s_set_ms (int *field, const char *key, const char *value, char **ret_err)
{
    char *end = NULL;
    errno = 0;
    long number = strtol (value, &end, 10);
    if (errno || end == value || *end || number < 1 || number > 3600000) {
        *ret_err =
            wrp_strf ("'%s': expected milliseconds 1..3600000, got '%s'", key, value);
        return -1;
    }
    *field = (int) number;
    return 0;
}

//  Checks a value of a string type. Returns NULL, or why not (caller frees).
static char *
s_check_string (s_type_t type, const char *key, const char *value)
{
    struct in_addr addr;
    if (type == S_ADDR && inet_pton (AF_INET, value, &addr) != 1)
        return wrp_strf ("'%s': expected an IPv4 address, got '%s'", key, value);
    if (type == S_LEVEL && strcmp (value, "error") && strcmp (value, "warning") &&
        strcmp (value, "info") && strcmp (value, "debug"))
        return wrp_strf ("'%s': expected error, warning, info or debug, got '%s'", key,
                         value);
    if (type == S_BINARY && (!*value || (strchr (value, '/') && value[0] != '/')))
        return wrp_strf ("'%s': expected a program name or an absolute path, got '%s'",
                         key, value);
    if (type == S_STR && !*value)
        return wrp_strf ("'%s': empty value", key);
    return NULL;
}

static int
s_set_string (char **field, s_type_t type, const char *key, const char *value,
              char **ret_err)
{
    char *why = s_check_string (type, key, value);
    if (why) {
        *ret_err = why;
        return -1;
    }
    char *copy = strdup (value);
    if (!copy) {
        *ret_err = wrp_strf ("out of memory");
        return -1;
    }
    free (*field);
    *field = copy;
    return 0;
}

static const s_key_t *
s_find_key (const char *key)
{
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (!strcmp (s_keys[i].name, key))
            return &s_keys[i];
    return NULL;
}

int
wrp_agent_config_set (wrp_agent_config_t *self, const char *key, const char *value,
                      bool from_file, char **ret_err)
{
    const s_key_t *spec = s_find_key (key);
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
    void *field = (char *) self + spec->offset;
    if (spec->type == S_ENV) {
        *ret_err = wrp_strf ("'%s' must be a mapping of NAME: value", key);
        return -1;
    }
    if (spec->type == S_BOOL)
        return s_set_bool ((bool *) field, key, value, ret_err);
    if (spec->type == S_MS)
        return s_set_ms ((int *) field, key, value, ret_err);
    return s_set_string ((char **) field, spec->type, key, value, ret_err);
}

//  One parse of a config file: the events of its one mapping.
typedef struct {
    wrp_agent_config_t *work;    //  the config being built
    const char *name;            //  file name for messages
    bool in_map;                 //  inside the top mapping
    bool done;                   //  stream ended
    char *key;                   //  key waiting for its value, NULL none
    size_t key_line;             //  its line
    char seen[S_KEY_COUNT];      //  keys set so far
    bool in_env;                 //  inside env's mapping
    char *env_name;              //  variable waiting for its value, NULL none
    size_t env_count;            //  variables in work->env
    char *err;                   //  first error, NULL none
} s_parse_t;

//  A scalar inside env: a variable's name (a shell name, not set twice),
//  or its value.
static void
s_on_env_scalar (s_parse_t *p, const char *text, size_t line)
{
    if (p->env_name) {
        if (!(p->work->env[p->env_count++] = wrp_strf ("%s=%s", p->env_name, text)))
            p->err = wrp_strf ("%s: out of memory", p->name);
        free (p->env_name);
        p->env_name = NULL;
        return;
    }
    bool valid = isalpha ((unsigned char) *text) || *text == '_';
    for (const char *c = text; valid && *c; c++)
        valid = isalnum ((unsigned char) *c) || *c == '_';
    size_t len = strlen (text);
    bool twice = false;
    for (size_t i = 0; i < p->env_count; i++)
        twice |= !strncmp (p->work->env[i], text, len) && p->work->env[i][len] == '=';
    if (!valid)
        p->err =
            wrp_strf ("%s:%zu: env: '%s' is not a variable name", p->name, line, text);
    else if (twice)
        p->err = wrp_strf ("%s:%zu: env: duplicate variable '%s'", p->name, line, text);
    else if (p->env_count == S_ENV_MAX)
        p->err =
            wrp_strf ("%s:%zu: env: more than %d variables", p->name, line, S_ENV_MAX);
    else if (!(p->env_name = strdup (text)))
        p->err = wrp_strf ("%s: out of memory", p->name);
}

//  A scalar: a key, or the value of the key before it.
static void
s_on_scalar (s_parse_t *p, const char *text, size_t line)
{
    if (!p->in_map) {
        p->err = wrp_strf ("%s:%zu: expected a mapping of keys, got '%s'", p->name, line,
                           text);
        return;
    }
    if (p->in_env) {
        s_on_env_scalar (p, text, line);
        return;
    }
    if (p->key) {
        char *why = NULL;
        if (wrp_agent_config_set (p->work, p->key, text, true, &why)) {
            p->err = wrp_strf ("%s:%zu: %s", p->name, line, why ? why : "bad value");
            free (why);
        }
        free (p->key);
        p->key = NULL;
        return;
    }
    const s_key_t *spec = s_find_key (text);
    size_t i = spec ? (size_t) (spec - s_keys) : 0;
    if (!spec)
        p->err = wrp_strf ("%s:%zu: unknown key '%s'", p->name, line, text);
    else if (p->seen[i])
        p->err = wrp_strf ("%s:%zu: duplicate key '%s'", p->name, line, text);
    else {
        p->seen[i] = 1;
        p->key_line = line;
        if (!(p->key = strdup (text)))
            p->err = wrp_strf ("%s: out of memory", p->name);
    }
}

static void
s_on_event (s_parse_t *p, const yaml_event_t *event)
{
    size_t line = (size_t) event->start_mark.line + 1;
    switch (event->type) {
    case YAML_STREAM_END_EVENT:
        p->done = true;
        break;
    case YAML_DOCUMENT_END_EVENT:
        p->in_map = false;
        break;
    case YAML_MAPPING_END_EVENT:
        if (p->in_env) {    //  env's mapping ends: the key is done
            p->in_env = false;
            free (p->key);
            p->key = NULL;
        } else
            p->in_map = false;
        break;
    case YAML_MAPPING_START_EVENT:
        if (p->in_map && p->key && !strcmp (p->key, "env") && !p->in_env) {
            p->in_env = true;
            s_env_free (&p->work->env);
            if (!(p->work->env = calloc (S_ENV_MAX + 1, sizeof *p->work->env)))
                p->err = wrp_strf ("%s: out of memory", p->name);
        } else if (p->in_map)
            p->err = wrp_strf ("%s:%zu: '%s%s' must be a single value, not a mapping",
                               p->name, line, p->in_env ? "env." : "",
                               p->in_env ? (p->env_name ? p->env_name : "?")
                                         : (p->key ? p->key : "?"));
        p->in_map = true;
        break;
    case YAML_SEQUENCE_START_EVENT:
        p->err =
            wrp_strf ("%s:%zu: %s%s%s must be a single value, not a list", p->name, line,
                      p->key ? "'" : "", p->key ? p->key : "the file", p->key ? "'" : "");
        break;
    case YAML_ALIAS_EVENT:
        p->err = wrp_strf ("%s:%zu: YAML aliases are not accepted", p->name, line);
        break;
    case YAML_SCALAR_EVENT:
        s_on_scalar (p, (const char *) event->data.scalar.value, line);
        break;
    default:
        break;
    }
}

//  Runs the parser over every event. Returns 0 or -1 with p->err.
static int
s_parse_events (s_parse_t *p, yaml_parser_t *parser)
{
    while (!p->done && !p->err) {
        yaml_event_t event;
        if (!yaml_parser_parse (parser, &event)) {
            p->err = wrp_strf ("%s:%zu: YAML syntax error: %s", p->name,
                               (size_t) parser->problem_mark.line + 1,
                               parser->problem ? parser->problem : "unknown");
            break;
        }
        s_on_event (p, &event);
        yaml_event_delete (&event);
    }
    if (!p->err && p->key)
        p->err = wrp_strf ("%s:%zu: '%s' has no value", p->name, p->key_line, p->key);
    return p->err ? -1 : 0;
}

int
wrp_agent_config_parse (wrp_agent_config_t *self, const char *name, const void *data,
                        size_t size, char **ret_err)
{
    s_parse_t p = {.work = s_dup (self), .name = name};
    if (!p.work) {
        *ret_err = wrp_strf ("%s: out of memory", name);
        return -1;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize (&parser)) {
        wrp_agent_config_destroy (&p.work);
        *ret_err = wrp_strf ("%s: cannot start the YAML parser", name);
        return -1;
    }
    yaml_parser_set_input_string (&parser, data, size);
    int rc = s_parse_events (&p, &parser);
    free (p.key);
    free (p.env_name);
    yaml_parser_delete (&parser);
    if (rc) {
        wrp_agent_config_destroy (&p.work);
        *ret_err = p.err;
        return -1;
    }
    s_take (self, &p.work);
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
    if (wrp_file_read_at (AT_FDCWD, path, WRP_AGENT_CONFIG_MAX_FILE, WRP_FILE_TRUSTED,
                          &data, &size, &err)) {
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
    wrp_agent_config_t *config = wrp_agent_config_new ();
    assert (config);
    assert (!strcmp (config->endpoint, WRP_DEFAULT_ENDPOINT));
    assert (config->start_timeout_ms == WRP_DEFAULT_START_TIMEOUT_MS);
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
