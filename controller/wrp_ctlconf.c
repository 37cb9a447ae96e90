/*  wrp_ctlconf — wrp-controller's settings files. See wrp_ctlconf.h.       */

#include "wrp_ctlconf.h"
#include "wrp_file.h"
#include "wrp_str.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define S_FILE_MAX (64 * 1024)    //  largest settings file read

//  The settings a file may hold: its key and the long option it sets.
static const char *const s_keys[][2] = {
    {"port", "port"},         {"key", "key"},           {"agent_key", "agent-key"},
    {"insecure", "insecure"}, {"pipeline", "pipeline"}, {"format", "format"},
    {"timeout", "timeout"},
};
#define S_KEYS (sizeof s_keys / sizeof s_keys[0])

struct _wrp_ctlconf_t {
    wrp_ctlconf_entry_t entries[S_KEYS];    //  by s_keys index; value NULL: unset
};

void
wrp_ctlconf_destroy (wrp_ctlconf_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (size_t i = 0; i < S_KEYS; i++) {
        free ((*self_p)->entries[i].value);
        free ((*self_p)->entries[i].where);
    }
    free (*self_p);
    *self_p = NULL;
}

//  Read one file into self. 0 (also when it does not exist), -1 and *ret_err.
static int
s_read (wrp_ctlconf_t *self, const char *path, char **ret_err)
{
    if (access (path, F_OK) && errno == ENOENT)
        return 0;
    char *data = NULL;
    size_t size = 0;
    if (wrp_file_read (path, S_FILE_MAX, &data, &size, ret_err))
        return -1;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize (&parser)) {
        free (data);
        wrp_str_set (ret_err, "out of memory");
        return -1;
    }
    yaml_parser_set_input_string (&parser, (unsigned char *) data, size);
    int rc = 0;
    if (!yaml_parser_load (&parser, &doc)) {
        wrp_str_set (ret_err, "%s:%zu: YAML syntax error: %s", path,
                     parser.problem_mark.line + 1,
                     parser.problem ? parser.problem : "bad YAML");
        yaml_parser_delete (&parser);
        free (data);
        return -1;
    }
    yaml_node_t *root = yaml_document_get_root_node (&doc);
    if (root && root->type != YAML_MAPPING_NODE) {
        wrp_str_set (ret_err, "%s:%zu: expected a mapping of settings", path,
                     root->start_mark.line + 1);
        rc = -1;
    }
    for (yaml_node_pair_t *p = root && !rc ? root->data.mapping.pairs.start : NULL;
         p && p < root->data.mapping.pairs.top && !rc; p++) {
        yaml_node_t *key = yaml_document_get_node (&doc, p->key);
        yaml_node_t *value = yaml_document_get_node (&doc, p->value);
        size_t line = key->start_mark.line + 1;
        const char *k =
            key->type == YAML_SCALAR_NODE ? (char *) key->data.scalar.value : "?";
        size_t i;
        for (i = 0; i < S_KEYS; i++)
            if (!strcmp (s_keys[i][0], k))
                break;
        if (i == S_KEYS) {
            wrp_str_set (ret_err,
                         "%s:%zu: unknown setting '%s' (port, key, agent_key, insecure, "
                         "pipeline, format, timeout)",
                         path, line, k);
            rc = -1;
        } else if (value->type != YAML_SCALAR_NODE || !value->data.scalar.length) {
            wrp_str_set (ret_err, "%s:%zu: %s: expected a value", path, line, k);
            rc = -1;
        } else {
            wrp_ctlconf_entry_t *e = &self->entries[i];
            free (e->value);
            free (e->where);
            e->option = s_keys[i][1];
            e->value = strdup ((char *) value->data.scalar.value);
            e->where = wrp_strf ("%s:%zu", path, line);
            if (!e->value || !e->where) {
                wrp_str_set (ret_err, "out of memory");
                rc = -1;
            }
        }
    }
    yaml_document_delete (&doc);
    yaml_parser_delete (&parser);
    free (data);
    return rc;
}

wrp_ctlconf_t *
wrp_ctlconf_load (const char *system, char **ret_err)
{
    wrp_ctlconf_t *self = calloc (1, sizeof *self);
    if (!self) {
        wrp_str_set (ret_err, "out of memory");
        return NULL;
    }
    const char *xdg = getenv ("XDG_CONFIG_HOME");
    const char *home = getenv ("HOME");
    char *user = xdg && *xdg     ? wrp_strf ("%s/wrp/controller.yaml", xdg)
                 : home && *home ? wrp_strf ("%s/.config/wrp/controller.yaml", home)
                                 : NULL;
    if (s_read (self, system ? system : WRP_CTLCONF_SYSTEM, ret_err) ||
        (user && s_read (self, user, ret_err)))
        wrp_ctlconf_destroy (&self);
    free (user);
    return self;
}

const wrp_ctlconf_entry_t *
wrp_ctlconf_get (const wrp_ctlconf_t *self, const char *option)
{
    assert (self && option);
    for (size_t i = 0; i < S_KEYS; i++)
        if (!strcmp (s_keys[i][1], option))
            return self->entries[i].value ? &self->entries[i] : NULL;
    return NULL;
}

void
wrp_ctlconf_test (bool verbose)
{
    (void) verbose;
    char dir[] = "/tmp/wrp-ctlconf-test.XXXXXX";
    assert (mkdtemp (dir));
    char sys_file[128], user_dir[128], user[160], cmd[160];
    snprintf (sys_file, sizeof sys_file, "%s/system.yaml", dir);
    snprintf (user_dir, sizeof user_dir, "%s/wrp", dir);
    snprintf (user, sizeof user, "%s/controller.yaml", user_dir);
    assert (mkdir (user_dir, 0700) == 0);
    char *old_xdg =
        getenv ("XDG_CONFIG_HOME") ? strdup (getenv ("XDG_CONFIG_HOME")) : NULL;
    setenv ("XDG_CONFIG_HOME", dir, 1);

    char *err = NULL;
    wrp_ctlconf_t *self = wrp_ctlconf_load (sys_file, &err);
    assert (self && !wrp_ctlconf_get (self, "port"));
    wrp_ctlconf_destroy (&self);

    FILE *f = fopen (sys_file, "w");
    assert (f && fputs ("port: 6000\nagent_key: /etc/wrp/agent.key\n", f) >= 0);
    assert (fclose (f) == 0);
    f = fopen (user, "w");
    assert (f && fputs ("# mine\nport: 7000\ntimeout: 30s\n", f) >= 0 && fclose (f) == 0);
    self = wrp_ctlconf_load (sys_file, &err);
    assert (self);
    const wrp_ctlconf_entry_t *e = wrp_ctlconf_get (self, "port");
    assert (e && !strcmp (e->value, "7000") && strstr (e->where, "controller.yaml:2"));
    e = wrp_ctlconf_get (self, "agent-key");
    assert (e && !strcmp (e->value, "/etc/wrp/agent.key"));
    assert (!strcmp (wrp_ctlconf_get (self, "timeout")->value, "30s"));
    wrp_ctlconf_destroy (&self);

    const char *bad[][2] = {{"prot: 1\n", ":1: unknown setting 'prot'"},
                            {"port: [1\n", "YAML syntax"},
                            {"- a\n", "expected a mapping"},
                            {"port:\n", ":1: port: expected a value"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = fopen (user, "w");
        assert (f && fputs (bad[i][0], f) >= 0 && fclose (f) == 0);
        err = NULL;
        assert (!wrp_ctlconf_load (sys_file, &err));
        assert (err && strstr (err, bad[i][1]));
        free (err);
    }
    if (old_xdg)
        setenv ("XDG_CONFIG_HOME", old_xdg, 1);
    else
        unsetenv ("XDG_CONFIG_HOME");
    free (old_xdg);
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert (system (cmd) == 0);
}
