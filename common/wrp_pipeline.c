/*  wrp_pipeline — the pipeline YAML reader. See wrp_pipeline.h.             */

#include "wrp_pipeline.h"
#include "wrp_names.h"
#include "wrp_proto.h"
#include "wrp_str.h"
#include "wrp_file.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#define S_VALUE_MAX 4096    //  longest scalar

struct _wrp_pipeline_t {
    char *name;              //  pipeline name
    char *pkg_name;          //  the runtime package's name
    wrp_params_t *params;    //  defaults < pipeline values
    char **env;              //  extra variable names to forward
    size_t env_count;        //  entries in env
};

//  Parse context: the document and where errors point.
typedef struct {
    const char *source;      //  file name used in messages
    const char *dir;         //  directory for relative hostfiles (NULL: none)
    yaml_document_t *doc;    //  the loaded document
    char *err;               //  first error, "SOURCE:LINE: what"
} s_ctx_t;

static void s_fail (s_ctx_t *ctx, const yaml_node_t *node, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Record the first error, prefixed with SOURCE:LINE.
static void
s_fail (s_ctx_t *ctx, const yaml_node_t *node, const char *format, ...)
{
    if (ctx->err)
        return;
    va_list args;
    va_start (args, format);
    char *what = wrp_strfv (format, args);
    va_end (args);
    size_t line = node ? node->start_mark.line + 1 : 1;
    ctx->err = wrp_strf ("%s:%zu: %s", ctx->source, line, what ? what : "out of memory");
    if (!ctx->err)
        ctx->err = strdup ("out of memory");
    free (what);
}

static void
s_oom (s_ctx_t *ctx)
{
    if (!ctx->err)
        ctx->err = strdup ("out of memory");
}

void
wrp_pipeline_destroy (wrp_pipeline_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_pipeline_t *self = *self_p;
    free (self->name);
    free (self->pkg_name);
    wrp_params_destroy (&self->params);
    for (size_t i = 0; i < self->env_count; i++)
        free (self->env[i]);
    free (self->env);
    free (self);
    *self_p = NULL;
}

//  Key text shown in messages: printable, bounded.
static void
s_shown (const yaml_node_t *node, char *buf, size_t size)
{
    size_t out = 0;
    size_t len = node->data.scalar.length;
    for (size_t i = 0; i < len && out + 5 < size; i++) {
        unsigned char c = node->data.scalar.value[i];
        if (c >= 0x20 && c < 0x7f)
            buf[out++] = (char) c;
        else
            out += (size_t) snprintf (buf + out, size - out, "\\x%02x", c);
    }
    if (out + 4 < size && len > 0 && out < len)
        memcpy (buf + out, "...", 3), out += 3;
    buf[out < size ? out : size - 1] = 0;
}

//  The scalar text of node, or NULL (error recorded) when node is not a
//  scalar, is empty/null, holds a NUL byte or is too long. what names the
//  key for messages.
static const char *
s_scalar (s_ctx_t *ctx, const yaml_node_t *node, const char *what)
{
    if (node->type != YAML_SCALAR_NODE) {
        s_fail (ctx, node, "key '%s': expected a single value, not a %s", what,
                node->type == YAML_SEQUENCE_NODE ? "list" : "mapping");
        return NULL;
    }
    const char *value = (const char *) node->data.scalar.value;
    size_t len = node->data.scalar.length;
    if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (len == 0 || !strcmp (value, "~") || !strcmp (value, "null") ||
         !strcmp (value, "Null") || !strcmp (value, "NULL"))) {
        s_fail (ctx, node, "key '%s': no value", what);
        return NULL;
    }
    if (strlen (value) != len) {
        s_fail (ctx, node, "key '%s': value holds a NUL byte", what);
        return NULL;
    }
    if (len > S_VALUE_MAX) {
        s_fail (ctx, node, "key '%s': value longer than %d bytes", what, S_VALUE_MAX);
        return NULL;
    }
    return value;
}

//  Key of a mapping pair: a scalar, else an error.
static const char *
s_key (s_ctx_t *ctx, const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE) {
        s_fail (ctx, node, "a key must be a plain word, not a %s",
                node->type == YAML_SEQUENCE_NODE ? "list" : "mapping");
        return NULL;
    }
    const char *key = (const char *) node->data.scalar.value;
    if (strlen (key) != node->data.scalar.length ||
        node->data.scalar.length > S_VALUE_MAX) {
        s_fail (ctx, node, "malformed key");
        return NULL;
    }
    return key;
}

//  Reject a second occurrence of a key in one mapping.
static bool
s_duplicate (s_ctx_t *ctx, const yaml_node_t *map, yaml_node_pair_t *pair)
{
    const yaml_node_t *key = yaml_document_get_node (ctx->doc, pair->key);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < pair; p++) {
        const yaml_node_t *other = yaml_document_get_node (ctx->doc, p->key);
        if (other->type == YAML_SCALAR_NODE && key->type == YAML_SCALAR_NODE &&
            other->data.scalar.length == key->data.scalar.length &&
            !memcmp (other->data.scalar.value, key->data.scalar.value,
                     key->data.scalar.length)) {
            char shown[96];
            s_shown (key, shown, sizeof shown);
            s_fail (ctx, key, "duplicate key '%s' (first on line %zu)", shown,
                    other->start_mark.line + 1);
            return true;
        }
    }
    return false;
}

//  Directory part of path with a trailing '/', "" for a bare name.
static char *
s_dir_of (const char *path)
{
    const char *slash = strrchr (path, '/');
    return slash ? strndup (path, (size_t) (slash - path + 1)) : strdup ("");
}

//  File stem of path: basename without .yaml / .yml.
static char *
s_stem_of (const char *path)
{
    const char *base = strrchr (path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen (base);
    if (len > 5 && !strcmp (base + len - 5, ".yaml"))
        len -= 5;
    else if (len > 4 && !strcmp (base + len - 4, ".yml"))
        len -= 4;
    return strndup (base, len);
}

//  Set hostfile in params, resolved against the pipeline's directory.
static void
s_set_hostfile (s_ctx_t *ctx, wrp_pipeline_t *self, const yaml_node_t *node,
                const char *value)
{
    char *path = NULL;
    if (value[0] != '/' && ctx->dir && *ctx->dir)
        path = wrp_strf ("%s%s", ctx->dir, value);
    else
        path = strdup (value);
    if (!path) {
        s_oom (ctx);
        return;
    }
    char *err = NULL;
    if (wrp_params_set (self->params, "hostfile", path, WRP_SOURCE_PIPELINE, &err)) {
        s_fail (ctx, node, "%s", err ? err : "out of memory");
        free (err);
    }
    free (path);
}

static void
s_parse_env (s_ctx_t *ctx, wrp_pipeline_t *self, const yaml_node_t *node)
{
    if (node->type != YAML_SEQUENCE_NODE) {
        s_fail (ctx, node, "key 'env': expected a list of variable names");
        return;
    }
    size_t count =
        (size_t) (node->data.sequence.items.top - node->data.sequence.items.start);
    if (count > WRP_PIPELINE_MAX_ENV) {
        s_fail (ctx, node, "key 'env': more than %d names", WRP_PIPELINE_MAX_ENV);
        return;
    }
    self->env = calloc (count ? count : 1, sizeof *self->env);
    if (!self->env) {
        s_oom (ctx);
        return;
    }
    for (yaml_node_item_t *item = node->data.sequence.items.start;
         item < node->data.sequence.items.top; item++) {
        const yaml_node_t *entry = yaml_document_get_node (ctx->doc, *item);
        const char *name = s_scalar (ctx, entry, "env");
        if (!name)
            return;
        char *err = NULL;
        if (wrp_names_check_env (name, &err)) {
            s_fail (ctx, entry, "key 'env': %s", err ? err : "out of memory");
            free (err);
            return;
        }
        bool seen = false;
        for (size_t i = 0; i < self->env_count; i++)
            if (!strcmp (self->env[i], name))
                seen = true;
        if (seen)
            continue;
        if (!(self->env[self->env_count] = strdup (name))) {
            s_oom (ctx);
            return;
        }
        self->env_count++;
    }
}

static bool
s_runtime_type (const char *type)
{
    return !strcmp (type, "jarvis_wrp_runtime.wrp_runtime") ||
           !strcmp (type, "wrp_runtime");
}

//  One package mapping. line_first: line of the runtime package seen so far.
static void
s_parse_pkg (s_ctx_t *ctx, wrp_pipeline_t *self, const yaml_node_t *pkg,
             size_t *line_first)
{
    if (pkg->type != YAML_MAPPING_NODE) {
        s_fail (ctx, pkg,
                "key 'pkgs': each package must be a mapping with pkg_type and "
                "pkg_name");
        return;
    }
    //  pkg_type first: it says how to read the other keys.
    const yaml_node_t *type_node = NULL;
    for (yaml_node_pair_t *pair = pkg->data.mapping.pairs.start;
         pair < pkg->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = yaml_document_get_node (ctx->doc, pair->key);
        if (key->type == YAML_SCALAR_NODE &&
            !strcmp ((char *) key->data.scalar.value, "pkg_type"))
            type_node = yaml_document_get_node (ctx->doc, pair->value);
    }
    if (!type_node) {
        s_fail (ctx, pkg,
                "package without 'pkg_type' (expected jarvis_wrp_runtime.wrp_runtime)");
        return;
    }
    const char *type = s_scalar (ctx, type_node, "pkg_type");
    if (!type)
        return;
    if (!s_runtime_type (type)) {
        char shown[96];
        s_shown (type_node, shown, sizeof shown);
        s_fail (ctx, type_node,
                "key 'pkg_type': unknown package type '%s' (expected "
                "jarvis_wrp_runtime.wrp_runtime or wrp_runtime)",
                shown);
        return;
    }
    if (*line_first) {
        s_fail (ctx, pkg,
                "a pipeline holds one wrp_runtime package (the first is on line %zu)",
                *line_first);
        return;
    }
    *line_first = pkg->start_mark.line + 1;
    for (yaml_node_pair_t *pair = pkg->data.mapping.pairs.start;
         pair < pkg->data.mapping.pairs.top && !ctx->err; pair++) {
        const yaml_node_t *key_node = yaml_document_get_node (ctx->doc, pair->key);
        const yaml_node_t *value_node = yaml_document_get_node (ctx->doc, pair->value);
        const char *key = s_key (ctx, key_node);
        if (!key || s_duplicate (ctx, pkg, pair))
            return;
        if (!strcmp (key, "pkg_type"))
            continue;
        const char *value = s_scalar (ctx, value_node, key);
        if (!value)
            return;
        if (!strcmp (key, "pkg_name")) {
            if (wrp_names_check_pipeline (value, NULL)) {
                char shown[96];
                s_shown (value_node, shown, sizeof shown);
                s_fail (ctx, value_node,
                        "key 'pkg_name': bad package name '%s' (use 1 to %d "
                        "of A-Z a-z 0-9 _ . -)",
                        shown, WRP_PIPELINE_NAME_MAX);
                return;
            }
            free (self->pkg_name);
            if (!(self->pkg_name = strdup (value)))
                s_oom (ctx);
            continue;
        }
        if (!strcmp (key, "hostfile")) {
            s_set_hostfile (ctx, self, value_node, value);
            continue;
        }
        char *err = NULL;
        if (wrp_params_set (self->params, key, value, WRP_SOURCE_PIPELINE, &err)) {
            s_fail (ctx, key_node, "%s", err ? err : "out of memory");
            free (err);
            return;
        }
    }
}

static void
s_parse_root (s_ctx_t *ctx, wrp_pipeline_t *self, const yaml_node_t *root)
{
    if (root->type != YAML_MAPPING_NODE) {
        s_fail (ctx, root,
                "a pipeline is a mapping with 'pkgs' (and optionally name, "
                "hostfile, env)");
        return;
    }
    const yaml_node_t *pkgs = NULL;
    const yaml_node_t *hostfile = NULL;
    const char *hostfile_value = NULL;
    for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
         pair < root->data.mapping.pairs.top && !ctx->err; pair++) {
        const yaml_node_t *key_node = yaml_document_get_node (ctx->doc, pair->key);
        const yaml_node_t *value = yaml_document_get_node (ctx->doc, pair->value);
        const char *key = s_key (ctx, key_node);
        if (!key || s_duplicate (ctx, root, pair))
            return;
        if (!strcmp (key, "name")) {
            const char *name = s_scalar (ctx, value, key);
            char *err = NULL;
            if (!name)
                return;
            if (wrp_names_check_pipeline (name, &err)) {
                s_fail (ctx, value, "key 'name': %s", err ? err : "out of memory");
                free (err);
                return;
            }
            free (self->name);
            if (!(self->name = strdup (name)))
                s_oom (ctx);
        } else if (!strcmp (key, "hostfile")) {
            if (!(hostfile_value = s_scalar (ctx, value, key)))
                return;
            hostfile = value;
        } else if (!strcmp (key, "env"))
            s_parse_env (ctx, self, value);
        else if (!strcmp (key, "pkgs")) {
            if (value->type != YAML_SEQUENCE_NODE) {
                s_fail (ctx, value, "key 'pkgs': expected a list of packages");
                return;
            }
            pkgs = value;
        } else {
            char shown[96];
            s_shown (key_node, shown, sizeof shown);
            const char *hint =
                wrp_params_lookup (key)
                    ? " (runtime parameters go inside the package, under pkgs)"
                    : " (expected name, hostfile, env or pkgs)";
            s_fail (ctx, key_node, "unknown key '%s'%s", shown, hint);
            return;
        }
    }
    if (ctx->err)
        return;
    //  The top-level hostfile first: a package's own overrides it.
    if (hostfile)
        s_set_hostfile (ctx, self, hostfile, hostfile_value);
    if (!pkgs) {
        s_fail (ctx, root,
                "missing required key 'pkgs' (a list with one wrp_runtime package)");
        return;
    }
    size_t line_first = 0;
    for (yaml_node_item_t *item = pkgs->data.sequence.items.start;
         item < pkgs->data.sequence.items.top && !ctx->err; item++)
        s_parse_pkg (ctx, self, yaml_document_get_node (ctx->doc, *item), &line_first);
    if (!ctx->err && !line_first)
        s_fail (ctx, pkgs,
                "key 'pkgs': no wrp_runtime package (pkg_type: "
                "jarvis_wrp_runtime.wrp_runtime)");
}

static wrp_pipeline_t *
s_parse (const char *data, size_t size, const char *source, const char *dir,
         char **ret_err)
{
    s_ctx_t ctx = {.source = source, .dir = dir};
    wrp_pipeline_t *self = calloc (1, sizeof *self);
    yaml_parser_t parser;
    yaml_document_t doc;
    bool parser_ready = false, doc_ready = false;
    if (!self || !(self->params = wrp_params_new ()) ||
        !(self->name = s_stem_of (source)) || !(self->pkg_name = strdup ("runtime"))) {
        s_oom (&ctx);
        goto out;
    }
    if (size > WRP_PIPELINE_MAX_BYTES) {
        ctx.err = wrp_strf ("%s: larger than %d bytes", source, WRP_PIPELINE_MAX_BYTES);
        goto out;
    }
    if (!yaml_parser_initialize (&parser)) {
        s_oom (&ctx);
        goto out;
    }
    parser_ready = true;
    yaml_parser_set_input_string (&parser, (const unsigned char *) data, size);
    if (!yaml_parser_load (&parser, &doc)) {
        const char *problem = parser.problem ? parser.problem : "malformed YAML";
        size_t line = parser.problem_mark.line + 1;
        if (parser.context)
            ctx.err = wrp_strf ("%s:%zu: YAML syntax error: %s (%s)", source, line,
                                problem, parser.context);
        else
            ctx.err = wrp_strf ("%s:%zu: YAML syntax error: %s", source, line, problem);
        if (!ctx.err)
            s_oom (&ctx);
        goto out;
    }
    doc_ready = true;
    ctx.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node (&doc);
    if (!root) {
        ctx.err = wrp_strf ("%s:1: empty pipeline: missing required key 'pkgs'", source);
        if (!ctx.err)
            s_oom (&ctx);
        goto out;
    }
    s_parse_root (&ctx, self, root);
    if (ctx.err)
        goto out;
    //  One document per file.
    yaml_document_t next;
    if (!yaml_parser_load (&parser, &next)) {
        ctx.err = wrp_strf ("%s:%zu: YAML syntax error: %s", source,
                            parser.problem_mark.line + 1,
                            parser.problem ? parser.problem : "malformed YAML");
        if (!ctx.err)
            s_oom (&ctx);
        goto out;
    }
    yaml_node_t *extra = yaml_document_get_root_node (&next);
    if (extra)
        s_fail (&ctx, extra, "more than one YAML document (a pipeline is one)");
    yaml_document_delete (&next);
    if (!ctx.err && wrp_names_check_pipeline (self->name, NULL))
        ctx.err =
            wrp_strf ("%s:1: the file name does not give a valid pipeline name; set "
                      "'name:' ([A-Za-z0-9_.-], at most %d)",
                      source, WRP_PIPELINE_NAME_MAX);
out:
    if (doc_ready)
        yaml_document_delete (&doc);
    if (parser_ready)
        yaml_parser_delete (&parser);
    if (ctx.err) {
        wrp_pipeline_destroy (&self);
        if (ret_err)
            *ret_err = ctx.err;
        else
            free (ctx.err);
        return NULL;
    }
    return self;
}

wrp_pipeline_t *
wrp_pipeline_parse (const char *data, size_t size, const char *name, char **ret_err)
{
    assert (data || size == 0);
    return s_parse (data ? data : "", size, name ? name : "pipeline", NULL, ret_err);
}

wrp_pipeline_t *
wrp_pipeline_load (const char *path, char **ret_err)
{
    assert (path);
    char *data = NULL;
    size_t size = 0;
    if (wrp_file_read (path, WRP_PIPELINE_MAX_BYTES, &data, &size, ret_err))
        return NULL;
    char *dir = s_dir_of (path);
    wrp_pipeline_t *self = NULL;
    if (dir) {
        self = s_parse (data, size, path, dir, ret_err);
    } else if (ret_err)
        *ret_err = strdup ("out of memory");
    free (dir);
    free (data);
    return self;
}

const char *
wrp_pipeline_name (const wrp_pipeline_t *self)
{
    assert (self);
    return self->name;
}

const char *
wrp_pipeline_pkg_name (const wrp_pipeline_t *self)
{
    assert (self);
    return self->pkg_name;
}

const wrp_params_t *
wrp_pipeline_params (const wrp_pipeline_t *self)
{
    assert (self);
    return self->params;
}

size_t
wrp_pipeline_env_count (const wrp_pipeline_t *self)
{
    assert (self);
    return self->env_count;
}

const char *
wrp_pipeline_env (const wrp_pipeline_t *self, size_t index)
{
    assert (self && index < self->env_count);
    return self->env[index];
}

//  Expect text to parse (needle NULL) or fail with a message holding needle.
static wrp_pipeline_t *
s_try (const char *text, const char *needle, bool verbose)
{
    char *err = NULL;
    wrp_pipeline_t *self = wrp_pipeline_parse (text, strlen (text), "p.yaml", &err);
    if (verbose)
        printf ("   -> %s\n", self ? "ok" : err);
    if (needle) {
        if (!err || !strstr (err, needle))
            printf ("   expected '%s' in '%s'\n", needle, err ? err : "(parsed)");
        assert (!self && err && strstr (err, needle));
        free (err);
        return NULL;
    }
    if (!self)
        printf ("   unexpected error: %s\n", err);
    assert (self && !err);
    return self;
}

void
wrp_pipeline_test (bool verbose)
{
    //  The seed's custom pipeline.
    wrp_pipeline_t *self = s_try ("name: my_iowarp_deployment\n"
                                  "\n"
                                  "pkgs:\n"
                                  "  - pkg_type: jarvis_wrp_runtime.wrp_runtime\n"
                                  "    pkg_name: runtime\n"
                                  "    low_latency_workers: 8\n"
                                  "    high_latency_workers: 4\n"
                                  "    main_segment_size: \"2G\"\n"
                                  "    client_data_segment_size: \"1G\"\n"
                                  "    runtime_data_segment_size: '1G'\n"
                                  "    log_level: \"debug\"\n",
                                  NULL, verbose);
    const wrp_params_t *params = wrp_pipeline_params (self);
    assert (!strcmp (wrp_pipeline_name (self), "my_iowarp_deployment"));
    assert (!strcmp (wrp_pipeline_pkg_name (self), "runtime"));
    assert (wrp_params_int (params, "low_latency_workers") == 8);
    assert (wrp_params_source (params, "low_latency_workers") == WRP_SOURCE_PIPELINE);
    assert (wrp_params_int (params, "main_segment_size") == 2147483648LL);
    assert (wrp_params_int (params, "runtime_data_segment_size") == 1073741824LL);
    assert (!strcmp (wrp_params_str (params, "log_level"), "debug"));
    assert (wrp_params_int (params, "port") == 5555);
    assert (wrp_params_source (params, "port") == WRP_SOURCE_DEFAULT);
    assert (wrp_params_str (params, "hostfile") == NULL);
    wrp_pipeline_destroy (&self);
    wrp_pipeline_destroy (&self);

    //  Name from the stem, short pkg_type, hostfile and env.
    self =
        s_try ("hostfile: /etc/wrp/hosts\nenv: [CUDA_HOME, LD_LIBRARY_PATH, CUDA_HOME]\n"
               "pkgs:\n- pkg_type: wrp_runtime\n  pkg_name: rt\n  sleep: 1\n",
               NULL, verbose);
    assert (!strcmp (wrp_pipeline_name (self), "p"));
    assert (!strcmp (wrp_pipeline_pkg_name (self), "rt"));
    assert (!strcmp (wrp_params_str (wrp_pipeline_params (self), "hostfile"),
                     "/etc/wrp/hosts"));
    assert (wrp_pipeline_env_count (self) == 2);
    assert (!strcmp (wrp_pipeline_env (self, 1), "LD_LIBRARY_PATH"));
    wrp_pipeline_destroy (&self);

    //  Every bad input: file:line and the key.
    static const struct {
        const char *yaml, *error;
    } bad[] = {
        {"pkgs:\n- pkg_type: wrp_runtime\n  low_latency_worker: 8\n",
         "p.yaml:3: unknown parameter 'low_latency_worker' (did you mean "
         "'low_latency_workers'?)"},
        {"pkgs:\n- pkg_type: wrp_runtime\n  low_latency_workers: eight\n",
         "p.yaml:3: parameter 'low_latency_workers': 'eight' is not an integer"},
        {"pkgs:\n- pkg_type: wrp_runtime\n  main_segment_size: -1G\n",
         "p.yaml:3: parameter 'main_segment_size': invalid size '-1G'"},
        {"pkgs:\n- pkg_type: wrp_runtime\n  main_segment_size: 0\n", "greater than zero"},
        {"pkgs:\n- pkg_type: wrp_runtime\n  main_segment_size: 99999999999999P\n",
         "too large"},
        {"pkgs:\n- pkg_type: wrp_runtime\n  main_segment_size: 12Q\n", "'12Q'"},
        {"pkgs:\n- pkg_type: wrp_runtime\n  log_level: loud\n",
         "p.yaml:3: parameter 'log_level': 'loud' is not one of"},
        {"pkgs:\n- pkg_type: wrp_runtime\n  port: 65535\n", "p.yaml:3: parameter 'port'"},
        {"pkgs:\n- pkg_type: wrp_runtime\n  port:\n", "p.yaml:3: key 'port': no value"},
        {"pkgs:\n- pkg_type: wrp_runtime\n  port: [1]\n",
         "key 'port': expected a single"},
        {"pkgs:\n- pkg_type: jarvis.other\n",
         "p.yaml:2: key 'pkg_type': unknown package type "
         "'jarvis.other'"},
        {"pkgs:\n- pkg_name: x\n", "p.yaml:2: package without 'pkg_type'"},
        {"pkgs:\n- pkg_type: wrp_runtime\n- pkg_type: wrp_runtime\n",
         "p.yaml:3: a pipeline holds one wrp_runtime package"},
        {"pkgs: []\n", "p.yaml:1: key 'pkgs': no wrp_runtime package"},
        {"pkgs: 3\n", "key 'pkgs': expected a list"},
        {"name: x\n", "p.yaml:1: missing required key 'pkgs'"},
        {"", "p.yaml:1: empty pipeline"},
        {"- a\n", "p.yaml:1: a pipeline is a mapping"},
        {"name: x\npkgs: [\n", "YAML syntax error"},
        {"name: x\n  bad: indent\npkgs: []\n", "p.yaml:2: YAML syntax error"},
        {"name: x\nname: y\npkgs: []\n",
         "p.yaml:2: duplicate key 'name' (first on line 1)"},
        {"name: ../etc\npkgs: []\n", "p.yaml:1: key 'name': bad pipeline name"},
        {"port: 1\npkgs: []\n",
         "p.yaml:1: unknown key 'port' (runtime parameters go inside"},
        {"nmae: x\npkgs: []\n", "unknown key 'nmae'"},
        {"env: [LD_PRELOAD]\npkgs: []\n",
         "p.yaml:1: key 'env': 'LD_PRELOAD' is a dynamic loader"},
        {"env: [LD_AUDIT]\npkgs: []\n", "loader"},
        //  The agent's policy: what `ppl load` passes, every node accepts
        {"env: [GCONV_PATH]\npkgs: []\n", "p.yaml:1: key 'env': 'GCONV_PATH' makes libc"},
        {"env: [LOCPATH]\npkgs: []\n", "libc"},
        {"env: [USER]\npkgs: []\n", "set by the agent"},
        {"env: [\"A B\"]\npkgs: []\n", "not a variable name"},
        {"env: X\npkgs: []\n", "key 'env': expected a list"},
        {"pkgs:\n- pkg_type: wrp_runtime\n---\npkgs: []\n",
         "p.yaml:4: more than one YAML"},
        {"pkgs:\n- pkg_type: wrp_runtime\n  sleep: \"a\\0b\"\n", "NUL byte"},
        {"pkgs:\n- pkg_type: wrp_runtime\n  [a]: 1\n", "p.yaml:3: a key must be"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        s_try (bad[i].yaml, bad[i].error, verbose);

    //  Load from a file: missing file, relative hostfile.
    char *err = NULL;
    self = wrp_pipeline_load ("/nonexistent/dir/x.yaml", &err);
    assert (!self && strstr (err, "/nonexistent/dir/x.yaml: cannot open: No such file"));
    free (err);
    char dir[] = "/tmp/wrp-pipeline-test.XXXXXX";
    assert (mkdtemp (dir));
    char path[256];
    snprintf (path, sizeof path, "%s/demo.yml", dir);
    const char *text = "hostfile: hosts\npkgs:\n- pkg_type: wrp_runtime\n";
    FILE *file = fopen (path, "w");
    assert (file && fputs (text, file) >= 0 && fclose (file) == 0);
    self = wrp_pipeline_load (path, &err);
    assert (self);
    assert (!strcmp (wrp_pipeline_name (self), "demo"));
    char expect[300];
    snprintf (expect, sizeof expect, "%s/hosts", dir);
    assert (!strcmp (wrp_params_str (wrp_pipeline_params (self), "hostfile"), expect));
    wrp_pipeline_destroy (&self);
    unlink (path);
    rmdir (dir);
}
