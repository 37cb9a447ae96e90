/*  wrp_state — the controller's state under $WRP_HOME. See wrp_state.h.     */

#include "wrp_state.h"
#include "wrp_str.h"
#include "wrp_file.h"
#include "wrp_names.h"
#include "wrp_yaml.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#define S_STATE_MAX (256 * 1024)    //  largest state file read

struct _wrp_state_t {
    char *home;    //  the state directory
};

//  Overrides of one pipeline: canonical text per table index.
typedef struct {
    char **values;          //  wrp_params_count () entries, NULL: not set
    uint64_t generation;    //  config generation
} s_conf_t;

static void
s_set_err (char **ret_err, char *err)
{
    if (ret_err)
        *ret_err = err ? err : strdup ("out of memory");
    else
        free (err);
}

wrp_state_t *
wrp_state_new (const char *home, char **ret_err)
{
    char *dir = NULL;
    if (home && *home)
        dir = strdup (home);
    else if (getenv ("WRP_HOME") && *getenv ("WRP_HOME"))
        dir = strdup (getenv ("WRP_HOME"));
    else {
        const char *user_home = getenv ("HOME");
        if (!user_home || !*user_home) {
            struct passwd *pw = getpwuid (getuid ());
            user_home = pw ? pw->pw_dir : NULL;
        }
        if (!user_home) {
            wrp_str_set (ret_err, "no state directory: set WRP_HOME or HOME");
            return NULL;
        }
        dir = wrp_strf ("%s/.wrp", user_home);
    }
    wrp_state_t *self = dir ? calloc (1, sizeof *self) : NULL;
    if (!self) {
        free (dir);
        s_set_err (ret_err, NULL);
        return NULL;
    }
    self->home = dir;
    return self;
}

void
wrp_state_destroy (wrp_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->home);
    free (*self_p);
    *self_p = NULL;
}

//  Check a pipeline name given by the caller; -1 and *ret_err when bad.
static int
s_check_name (const char *name, char **ret_err)
{
    char *err = NULL;
    if (wrp_names_check_pipeline (name, &err)) {
        s_set_err (ret_err, err);
        return -1;
    }
    return 0;
}

//  Take the exclusive lock of the state (HOME/lock, created with HOME) for
//  a read-modify-write: concurrent commands queue instead of losing an
//  update. Returns the lock's fd, or -1 and *ret_err.
static int
s_lock (wrp_state_t *self, char **ret_err)
{
    if (wrp_file_mkdirs (self->home, 0700, ret_err))
        return -1;
    char *path = wrp_strf ("%s/lock", self->home);
    int fd = path ? open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
    if (fd < 0 || flock (fd, LOCK_EX)) {
        wrp_str_set (ret_err, "%s: cannot lock the state: %s", path ? path : self->home,
                     strerror (errno));
        if (fd >= 0)
            close (fd);
        fd = -1;
    }
    free (path);
    return fd;
}

static void
s_unlock (int fd)
{
    if (fd >= 0)
        close (fd);    //  releases the flock
}

//  Write a YAML mapping of count key/value strings (values quoted except
//  those flagged plain) plus, when conf is not NULL, a nested "conf" mapping
//  of the table's set values. Atomic.
static int
s_write_yaml (const char *path, const char *header, const char *const *keys,
              const char *const *values, const bool *plain, size_t count,
              const s_conf_t *conf, char **ret_err)
{
    wrp_yaml_t *yaml = wrp_yaml_new (header);
    if (!yaml) {
        s_set_err (ret_err, NULL);
        return -1;
    }
    wrp_yaml_mapping_start (yaml);
    for (size_t i = 0; i < count; i++) {
        wrp_yaml_scalar (yaml, keys[i], false);
        wrp_yaml_scalar (yaml, values[i], !plain[i]);
    }
    if (conf) {
        wrp_yaml_scalar (yaml, "conf", false);
        wrp_yaml_mapping_start (yaml);
        for (size_t i = 0; i < wrp_params_count (); i++)
            if (conf->values[i]) {
                wrp_yaml_scalar (yaml, wrp_params_def (i)->name, false);
                wrp_yaml_scalar (yaml, conf->values[i], true);
            }
        wrp_yaml_mapping_end (yaml);
    }
    wrp_yaml_mapping_end (yaml);
    size_t size = 0;
    char *text = wrp_yaml_finish (yaml, &size, NULL);
    wrp_yaml_destroy (&yaml);
    if (!text) {
        wrp_str_set (ret_err, "%s: cannot format state", path);
        return -1;
    }
    int rc = wrp_file_write_atomic (path, text, size, 0600, ret_err);
    free (text);
    return rc;
}

//  Parse data (size bytes, as read from path) as a YAML mapping. Returns 0
//  with *doc loaded (root is a mapping), -1 and *ret_err otherwise.
static int
s_parse_yaml (const char *data, size_t size, const char *path, yaml_document_t *doc,
              char **ret_err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize (&parser)) {
        s_set_err (ret_err, NULL);
        return -1;
    }
    yaml_parser_set_input_string (&parser, (const unsigned char *) data, size);
    int rc = 0;
    if (!yaml_parser_load (&parser, doc)) {
        wrp_str_set (ret_err, "%s:%zu: corrupt state file: %s", path,
                     parser.problem_mark.line + 1,
                     parser.problem ? parser.problem : "bad YAML");
        rc = -1;
    } else {
        yaml_node_t *root = yaml_document_get_root_node (doc);
        if (!root || root->type != YAML_MAPPING_NODE) {
            wrp_str_set (ret_err, "%s:1: corrupt state file: expected a mapping", path);
            yaml_document_delete (doc);
            rc = -1;
        }
    }
    yaml_parser_delete (&parser);
    return rc;
}

//  Read the file at path. Returns 1 when it does not exist, 0 and *ret_data
//  (caller frees) and *ret_size, -1 and *ret_err otherwise.
static int
s_read (const char *path, char **ret_data, size_t *ret_size, char **ret_err)
{
    if (!path) {
        s_set_err (ret_err, NULL);
        return -1;
    }
    char *err = NULL;
    int rc = wrp_file_read (path, S_STATE_MAX, ret_data, ret_size, &err);
    if (rc && errno == ENOENT) {
        free (err);
        return 1;
    }
    if (rc)
        s_set_err (ret_err, err);
    return rc;
}

//  Scalar text of a node, NULL when not a scalar.
static const char *
s_text (yaml_node_t *node)
{
    return node && node->type == YAML_SCALAR_NODE ? (const char *) node->data.scalar.value
                                                  : NULL;
}

static void
s_conf_free (s_conf_t *conf)
{
    if (conf->values)
        for (size_t i = 0; i < wrp_params_count (); i++)
            free (conf->values[i]);
    free (conf->values);
    conf->values = NULL;
}

static char *
s_conf_path (wrp_state_t *self, const char *name)
{
    return wrp_strf ("%s/pipelines/%s/conf.yaml", self->home, name);
}

//  Parse a conf file's text (as read from path) into conf (values
//  allocated by the caller). Returns 0, or -1 and *ret_err.
static int
s_conf_parse (const char *data, size_t size, const char *path, s_conf_t *conf,
              char **ret_err)
{
    yaml_document_t doc;
    if (s_parse_yaml (data, size, path, &doc, ret_err))
        return -1;
    char *err = NULL;
    yaml_node_t *root = yaml_document_get_root_node (&doc);
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         !err && p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *key = yaml_document_get_node (&doc, p->key);
        yaml_node_t *value = yaml_document_get_node (&doc, p->value);
        size_t line = key->start_mark.line + 1;
        const char *k = s_text (key);
        if (k && !strcmp (k, "generation")) {
            const char *v = s_text (value);
            char *end = NULL;
            errno = 0;
            unsigned long long gen = v ? strtoull (v, &end, 10) : 0;
            if (!v || !*v || *end || errno || *v == '-')
                err = wrp_strf ("%s:%zu: corrupt state file: bad generation", path, line);
            else
                conf->generation = gen;
        } else if (k && !strcmp (k, "conf") && value->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *q = value->data.mapping.pairs.start;
                 !err && q < value->data.mapping.pairs.top; q++) {
                yaml_node_t *ck = yaml_document_get_node (&doc, q->key);
                const char *param = s_text (ck);
                const char *text = s_text (yaml_document_get_node (&doc, q->value));
                char *canonical = NULL, *why = NULL;
                if (!param || !text)
                    err = wrp_strf ("%s:%zu: corrupt state file: bad entry", path,
                                    ck->start_mark.line + 1);
                else if (wrp_params_check (param, text, &canonical, &why)) {
                    err = wrp_strf ("%s:%zu: %s", path, ck->start_mark.line + 1,
                                    why ? why : "out of memory");
                    free (why);
                } else {
                    size_t index =
                        (size_t) (wrp_params_lookup (param) - wrp_params_def (0));
                    free (conf->values[index]);
                    conf->values[index] = canonical;
                }
            }
        } else if (!k || strcmp (k, "pipeline"))
            err = wrp_strf ("%s:%zu: corrupt state file: unexpected key", path, line);
    }
    yaml_document_delete (&doc);
    if (err) {
        s_set_err (ret_err, err);
        return -1;
    }
    return 0;
}

//  Read pipeline name's overrides; a missing file is an empty set.
static int
s_conf_load (wrp_state_t *self, const char *name, s_conf_t *conf, char **ret_err)
{
    if (s_check_name (name, ret_err))
        return -1;
    conf->generation = 0;
    conf->values = calloc (wrp_params_count (), sizeof *conf->values);
    char *path = s_conf_path (self, name);
    char *data = NULL;
    size_t size = 0;
    int rc = !conf->values || !path ? (s_set_err (ret_err, NULL), -1)
                                    : s_read (path, &data, &size, ret_err);
    if (rc == 0)
        rc = s_conf_parse (data, size, path, conf, ret_err);
    if (rc < 0)
        s_conf_free (conf);
    free (data);
    free (path);
    return rc < 0 ? -1 : 0;
}

static int
s_conf_save (wrp_state_t *self, const char *name, const s_conf_t *conf, char **ret_err)
{
    char *dir = wrp_strf ("%s/pipelines/%s", self->home, name);
    char *path = s_conf_path (self, name);
    char generation[32];
    snprintf (generation, sizeof generation, "%llu",
              (unsigned long long) conf->generation);
    int rc = -1;
    if (!dir || !path)
        s_set_err (ret_err, NULL);
    else if (wrp_file_mkdirs (dir, 0700, ret_err) == 0) {
        const char *keys[] = {"pipeline", "generation"};
        const char *values[] = {name, generation};
        const bool plain[] = {false, true};
        rc = s_write_yaml (path,
                           "# wrp-controller state: `pkg conf` overrides. Written by "
                           "wrp-controller.\n",
                           keys, values, plain, 2, conf, ret_err);
    }
    free (dir);
    free (path);
    return rc;
}

int
wrp_state_parse_current (const char *data, size_t size, const char *path, char **ret_name,
                         char **ret_file, char **ret_err)
{
    assert (ret_name && ret_file);
    yaml_document_t doc;
    if (s_parse_yaml (data, size, path, &doc, ret_err))
        return -1;
    const char *name = NULL, *file = NULL;
    yaml_node_t *root = yaml_document_get_root_node (&doc);
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++) {
        const char *k = s_text (yaml_document_get_node (&doc, p->key));
        const char *v = s_text (yaml_document_get_node (&doc, p->value));
        if (k && !strcmp (k, "name"))
            name = v;
        else if (k && !strcmp (k, "file"))
            file = v;
    }
    char *err = NULL;
    if (!name || wrp_names_check_pipeline (name, NULL))
        err = wrp_strf (
            "%s:1: corrupt state file: no valid pipeline name (run `wrp-controller "
            "ppl load` again)",
            path);
    char *name_copy = name ? strdup (name) : NULL;
    char *file_copy = file && *file ? strdup (file) : NULL;
    bool oom = !name_copy || (file && *file && !file_copy);
    yaml_document_delete (&doc);
    if (err || oom) {
        free (name_copy);
        free (file_copy);
        s_set_err (ret_err, err);
        return -1;
    }
    *ret_name = name_copy;
    *ret_file = file_copy;
    return 0;
}

static int s_load_locked (wrp_state_t *self, const char *name, const char *file,
                          uint64_t *ret_generation, char **ret_err);

int
wrp_state_current (wrp_state_t *self, char **ret_name, char **ret_file, char **ret_err)
{
    assert (self && ret_name && ret_file);
    char *path = wrp_strf ("%s/current", self->home);
    char *data = NULL;
    size_t size = 0;
    int rc = s_read (path, &data, &size, ret_err);
    if (rc == 0)
        rc = wrp_state_parse_current (data, size, path, ret_name, ret_file, ret_err);
    free (data);
    free (path);
    return rc;
}

int
wrp_state_load (wrp_state_t *self, const char *name, const char *file,
                uint64_t *ret_generation, char **ret_err)
{
    assert (self && name);
    if (s_check_name (name, ret_err))
        return -1;
    int lock = s_lock (self, ret_err);
    if (lock < 0)
        return -1;
    int rc = s_load_locked (self, name, file, ret_generation, ret_err);
    s_unlock (lock);
    return rc;
}

static int
s_load_locked (wrp_state_t *self, const char *name, const char *file,
               uint64_t *ret_generation, char **ret_err)
{
    s_conf_t conf = {0};
    //  A corrupt old conf file is replaced: loading starts afresh. Keep its
    //  generation when it is readable so generations only grow.
    char *ignored = NULL;
    if (s_conf_load (self, name, &conf, &ignored)) {
        free (ignored);
        if (s_check_name (name, ret_err))
            return -1;
        conf.values = calloc (wrp_params_count (), sizeof *conf.values);
        if (!conf.values) {
            s_set_err (ret_err, NULL);
            return -1;
        }
        conf.generation = 0;
    }
    for (size_t i = 0; i < wrp_params_count (); i++) {
        free (conf.values[i]);
        conf.values[i] = NULL;
    }
    conf.generation++;
    int rc = wrp_file_mkdirs (self->home, 0700, ret_err);
    if (rc == 0)
        rc = s_conf_save (self, name, &conf, ret_err);
    if (rc == 0) {
        char *path = wrp_strf ("%s/current", self->home);
        const char *keys[] = {"name", "file"};
        const char *values[] = {name, file ? file : ""};
        const bool plain[] = {false, false};
        rc = path ? s_write_yaml (path, "# wrp-controller state: the current pipeline.\n",
                                  keys, values, plain, 2, NULL, ret_err)
                  : -1;
        if (!path)
            s_set_err (ret_err, NULL);
        free (path);
    }
    if (rc == 0 && ret_generation)
        *ret_generation = conf.generation;
    s_conf_free (&conf);
    return rc;
}

//  Set params from conf's values and hand out its generation.
static int
s_conf_apply (const s_conf_t *conf, wrp_params_t *params, uint64_t *ret_generation,
              char **ret_err)
{
    if (params)
        for (size_t i = 0; i < wrp_params_count (); i++)
            if (conf->values[i]) {
                char *err = NULL;
                if (wrp_params_set (params, wrp_params_def (i)->name, conf->values[i],
                                    WRP_SOURCE_CONF, &err)) {
                    s_set_err (ret_err, err);
                    return -1;
                }
            }
    if (ret_generation)
        *ret_generation = conf->generation;
    return 0;
}

int
wrp_state_parse_conf (const char *data, size_t size, const char *path,
                      wrp_params_t *params, uint64_t *ret_generation, char **ret_err)
{
    s_conf_t conf = {.values = calloc (wrp_params_count (), sizeof (char *))};
    int rc = conf.values ? s_conf_parse (data, size, path, &conf, ret_err)
                         : (s_set_err (ret_err, NULL), -1);
    if (rc == 0)
        rc = s_conf_apply (&conf, params, ret_generation, ret_err);
    s_conf_free (&conf);
    return rc;
}

int
wrp_state_conf_read (wrp_state_t *self, const char *name, wrp_params_t *params,
                     uint64_t *ret_generation, char **ret_err)
{
    assert (self && name);
    if (s_check_name (name, ret_err))
        return -1;
    char *path = s_conf_path (self, name);
    char *data = NULL;
    size_t size = 0;
    int rc = s_read (path, &data, &size, ret_err);
    if (rc == 1 && ret_generation)
        *ret_generation = 0;    //  no file: no overrides yet
    if (rc == 0)
        rc = wrp_state_parse_conf (data, size, path, params, ret_generation, ret_err);
    free (data);
    free (path);
    return rc < 0 ? -1 : 0;
}

int
wrp_state_conf_set (wrp_state_t *self, const char *name, const char *const *keys,
                    const char *const *values, size_t count, uint64_t *ret_generation,
                    char **ret_err)
{
    assert (self && name && (keys || count == 0) && (values || count == 0));
    s_conf_t conf = {0};
    if (s_check_name (name, ret_err))
        return -1;
    int lock = s_lock (self, ret_err);
    if (lock < 0)
        return -1;
    if (s_conf_load (self, name, &conf, ret_err)) {
        s_unlock (lock);
        return -1;
    }
    //  Every pair is validated before anything is written.
    for (size_t i = 0; i < count; i++) {
        char *canonical = NULL, *err = NULL;
        if (wrp_params_check (keys[i], values[i], &canonical, &err)) {
            s_conf_free (&conf);
            s_unlock (lock);
            s_set_err (ret_err, err);
            return -1;
        }
        size_t index = (size_t) (wrp_params_lookup (keys[i]) - wrp_params_def (0));
        free (conf.values[index]);
        conf.values[index] = canonical;
    }
    conf.generation++;
    int rc = s_conf_save (self, name, &conf, ret_err);
    s_unlock (lock);
    if (rc == 0 && ret_generation)
        *ret_generation = conf.generation;
    s_conf_free (&conf);
    return rc;
}

int
wrp_state_cluster (wrp_state_t *self, char **ret_path, char **ret_err)
{
    assert (self && ret_path);
    *ret_path = NULL;
    char *path = wrp_strf ("%s/cluster", self->home);
    if (!path) {
        s_set_err (ret_err, NULL);
        return -1;
    }
    char *data = NULL;
    size_t size = 0;
    yaml_document_t doc;
    int rc = s_read (path, &data, &size, ret_err);
    if (rc == 0 && s_parse_yaml (data, size, path, &doc, ret_err))
        rc = -1;
    free (data);
    if (rc) {
        free (path);
        return rc < 0 ? -1 : 0;
    }
    yaml_node_t *root = yaml_document_get_root_node (&doc);
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++) {
        const char *k = s_text (yaml_document_get_node (&doc, p->key));
        const char *v = s_text (yaml_document_get_node (&doc, p->value));
        if (k && v && !strcmp (k, "hostfile") && *v) {
            free (*ret_path);
            *ret_path = strdup (v);
        }
    }
    yaml_document_delete (&doc);
    if (!*ret_path) {
        wrp_str_set (ret_err,
                     "%s:1: corrupt state file: no hostfile (run "
                     "`wrp-controller hostfile set FILE` again)",
                     path);
        free (path);
        return -1;
    }
    free (path);
    return 0;
}

int
wrp_state_set_cluster (wrp_state_t *self, const char *hostfile, char **ret_err)
{
    assert (self && hostfile);
    int lock = s_lock (self, ret_err);
    if (lock < 0)
        return -1;
    char *path = wrp_strf ("%s/cluster", self->home);
    const char *keys[] = {"hostfile"};
    const char *values[] = {hostfile};
    const bool plain[] = {false};
    int rc = path ? s_write_yaml (path,
                                  "# wrp-controller state: the cluster's hostfile "
                                  "(`hostfile set`).\n",
                                  keys, values, plain, 1, NULL, ret_err)
                  : -1;
    if (!path)
        s_set_err (ret_err, NULL);
    free (path);
    s_unlock (lock);
    return rc;
}

//  Contents of path ("" when missing), for byte-for-byte comparisons.
static char *
s_slurp (const char *path)
{
    char *data = NULL;
    size_t size = 0;
    if (wrp_file_read (path, S_STATE_MAX, &data, &size, NULL))
        return strdup ("");
    return data;
}

void
wrp_state_test (bool verbose)
{
    (void) verbose;
    char home[] = "/tmp/wrp-state-test.XXXXXX";
    assert (mkdtemp (home));
    char *err = NULL;
    wrp_state_t *self = wrp_state_new (home, &err);
    assert (self);

    char *name = NULL, *file = NULL;
    assert (wrp_state_current (self, &name, &file, &err) == 1);
    uint64_t generation = 99;
    assert (wrp_state_conf_read (self, "basic", NULL, &generation, &err) == 0 &&
            generation == 0);

    //  Load: current, generation 1.
    assert (wrp_state_load (self, "basic", "/x/basic.yaml", &generation, &err) == 0);
    assert (generation == 1);
    assert (wrp_state_current (self, &name, &file, &err) == 0);
    assert (!strcmp (name, "basic") && !strcmp (file, "/x/basic.yaml"));
    free (name);
    free (file);

    //  Conf: validated, merged, generation bumped.
    const char *keys[] = {"low_latency_workers", "main_segment_size", "log_level"};
    const char *values[] = {"8", "2048M", "debug"};
    assert (wrp_state_conf_set (self, "basic", keys, values, 3, &generation, &err) == 0);
    assert (generation == 2);
    wrp_params_t *params = wrp_params_new ();
    assert (wrp_state_conf_read (self, "basic", params, &generation, &err) == 0);
    assert (generation == 2);
    assert (wrp_params_int (params, "low_latency_workers") == 8);
    assert (wrp_params_source (params, "low_latency_workers") == WRP_SOURCE_CONF);
    assert (!strcmp (wrp_params_str (params, "main_segment_size"), "2G"));
    assert (wrp_params_source (params, "port") == WRP_SOURCE_DEFAULT);
    assert (!strcmp (wrp_params_str (params, "log_level"), "debug"));

    //  A bad pair (even after good ones) writes nothing.
    char path[512];
    snprintf (path, sizeof path, "%s/pipelines/basic/conf.yaml", home);
    char *before = s_slurp (path);
    const char *bad_keys[] = {"port", "low_latency_worker"};
    const char *bad_values[] = {"7000", "8"};
    assert (wrp_state_conf_set (self, "basic", bad_keys, bad_values, 2, &generation,
                                &err) == -1);
    assert (strstr (err, "did you mean 'low_latency_workers'"));
    free (err);
    const char *bad_values2[] = {"0"};
    assert (wrp_state_conf_set (self, "basic", bad_keys, bad_values2, 1, NULL, &err) ==
            -1);
    assert (strstr (err, "port"));
    free (err);
    char *after = s_slurp (path);
    assert (!strcmp (before, after));
    free (after);
    free (before);

    //  Loading again clears the overrides and bumps the generation.
    assert (wrp_state_load (self, "basic", "/x/basic.yaml", &generation, &err) == 0);
    assert (generation == 3);
    wrp_params_destroy (&params);
    params = wrp_params_new ();
    assert (wrp_state_conf_read (self, "basic", params, &generation, &err) == 0);
    assert (generation == 3);
    assert (wrp_params_source (params, "low_latency_workers") == WRP_SOURCE_DEFAULT);
    wrp_params_destroy (&params);

    //  A corrupt file is an error naming it.
    FILE *f = fopen (path, "w");
    assert (f && fputs ("generation: [\n", f) >= 0 && fclose (f) == 0);
    assert (wrp_state_conf_read (self, "basic", NULL, NULL, &err) == -1);
    assert (strstr (err, path) && strstr (err, "corrupt"));
    free (err);
    f = fopen (path, "w");
    assert (f && fputs ("conf:\n  port: \"0\"\n", f) >= 0 && fclose (f) == 0);
    assert (wrp_state_conf_read (self, "basic", NULL, NULL, &err) == -1);
    assert (strstr (err, ":2: parameter 'port'"));
    free (err);
    //  ... and loading repairs it.
    assert (wrp_state_load (self, "basic", NULL, &generation, &err) == 0 &&
            generation == 1);
    assert (wrp_state_current (self, &name, &file, &err) == 0 && file == NULL);
    free (name);

    //  Names that could escape the state dir are refused.
    assert (wrp_state_load (self, "../x", NULL, NULL, &err) == -1);
    free (err);
    assert (wrp_state_conf_set (self, "..", keys, values, 1, NULL, &err) == -1);
    free (err);

    //  The cluster's hostfile: none, then the one set.
    char *cluster = NULL;
    assert (wrp_state_cluster (self, &cluster, &err) == 0 && !cluster);
    assert (wrp_state_set_cluster (self, "/etc/hosts.d/x", &err) == 0);
    assert (wrp_state_cluster (self, &cluster, &err) == 0);
    assert (cluster && !strcmp (cluster, "/etc/hosts.d/x"));
    free (cluster);

    wrp_state_destroy (&self);
    wrp_state_destroy (&self);
    snprintf (path, sizeof path, "rm -rf '%s'", home);
    assert (system (path) == 0);
}
