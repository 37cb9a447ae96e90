/*  wrp_store — the agent's state and command record. See wrp_store.h.      */

#include "wrp_store.h"
#include "wrp_buf.h"
#include "wrp_file.h"
#include "wrp_str.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_COMMANDS_MAGIC  "WRP-COMMANDS 1\n"
#define S_MAX_RECORD_FILE (64u << 20)    //  refuse to read a larger record

struct _wrp_store_t {
    char *dir;                                     //  state dir
    char *state_path;                              //  dir/agent.state
    char *commands_path;                           //  dir/commands
    wrp_store_state_t state;                       //  last saved state
    wrp_msg_t *replies[WRP_STORE_MAX_COMMANDS];    //  ring of recorded replies
    size_t next;                                   //  ring slot written next
    size_t count;                                  //  recorded replies (<= max)
};

static void
s_state_defaults (wrp_store_state_t *state)
{
    memset (state, 0, sizeof *state);
    state->generation = -1;
    state->exit_code = -1;
    snprintf (state->state, sizeof state->state, "stopped");
}

static void
s_copy_field (char *dest, size_t size, const char *value)
{
    size_t i = 0;
    for (; value[i] && i + 1 < size; i++)
        dest[i] = (value[i] == '\n' || value[i] == '\r') ? ' ' : value[i];
    dest[i] = 0;
}

//  Reads a record file; NULL when it is missing (nothing to say) or
//  unreadable (said in *ret_warning, replacing an earlier warning).
static char *
s_read_record (const char *path, size_t limit, size_t *ret_size, char **ret_warning)
{
    char *data = NULL, *err = NULL;
    if (wrp_file_read (path, limit, &data, ret_size, &err) == 0)
        return data;
    if (errno != ENOENT) {
        free (*ret_warning);
        *ret_warning = err;
    } else
        free (err);
    return NULL;
}

static void
s_parse_state (wrp_store_state_t *state, char *text)
{
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
        char *eq = strchr (line, '=');
        if (!eq)
            continue;
        *eq = 0;
        const char *key = line, *value = eq + 1;
        if (!strcmp (key, "pid"))
            state->pid = atoi (value);
        else if (!strcmp (key, "start_time"))
            state->start_time = strtoull (value, NULL, 10);
        else if (!strcmp (key, "started_at_ms"))
            state->started_at_ms = strtoll (value, NULL, 10);
        else if (!strcmp (key, "pipeline"))
            s_copy_field (state->pipeline, sizeof state->pipeline, value);
        else if (!strcmp (key, "generation"))
            state->generation = strtoll (value, NULL, 10);
        else if (!strcmp (key, "sha256"))
            s_copy_field (state->sha256, sizeof state->sha256, value);
        else if (!strcmp (key, "starts"))
            state->starts = strtoll (value, NULL, 10);
        else if (!strcmp (key, "port"))
            state->port = atoi (value);
        else if (!strcmp (key, "state"))
            s_copy_field (state->state, sizeof state->state, value);
        else if (!strcmp (key, "exit_code"))
            state->exit_code = atoi (value);
        else if (!strcmp (key, "signal"))
            state->signal = atoi (value);
        else if (!strcmp (key, "stop_requested"))
            state->stop_requested = atoi (value) != 0;
        else if (!strcmp (key, "error"))
            s_copy_field (state->error, sizeof state->error, value);
    }
}

int
wrp_store_save_state (wrp_store_t *self, const wrp_store_state_t *state, char **ret_err)
{
    if (&self->state != state)
        self->state = *state;
    //  One line per value: the file is line-oriented.
    wrp_store_state_t *s = &self->state;
    s_copy_field (s->error, sizeof s->error, s->error);
    s_copy_field (s->pipeline, sizeof s->pipeline, s->pipeline);
    s_copy_field (s->state, sizeof s->state, s->state);
    char *text =
        wrp_strf ("pid=%d\nstart_time=%" PRIu64 "\nstarted_at_ms=%" PRId64 "\n"
                  "pipeline=%s\ngeneration=%" PRId64 "\nsha256=%s\nstarts=%" PRId64 "\n"
                  "port=%d\nstate=%s\nexit_code=%d\nsignal=%d\nstop_requested=%d\n"
                  "error=%s\n",
                  s->pid, s->start_time, s->started_at_ms, s->pipeline, s->generation,
                  s->sha256, s->starts, s->port, s->state, s->exit_code, s->signal,
                  s->stop_requested ? 1 : 0, s->error);
    if (!text) {
        *ret_err = wrp_strf ("out of memory");
        return -1;
    }
    int rc = wrp_file_write_atomic (self->state_path, text, strlen (text), 0600, ret_err);
    free (text);
    return rc;
}

static int
s_save_commands (wrp_store_t *self, char **ret_err)
{
    wrp_buf_t buf = {0};
    wrp_buf_add (&buf, S_COMMANDS_MAGIC, strlen (S_COMMANDS_MAGIC));
    //  Oldest first, so a reload keeps the same order.
    for (size_t i = 0; i < self->count; i++) {
        size_t slot = (self->next + WRP_STORE_MAX_COMMANDS - self->count + i) %
                      WRP_STORE_MAX_COMMANDS;
        const wrp_msg_t *reply = self->replies[slot];
        char head[160];
        size_t fields = wrp_msg_field_count (reply);
        int n = snprintf (head, sizeof head, "%s %s %zu\n", wrp_msg_id (reply),
                          wrp_msg_cmd_name (wrp_msg_cmd (reply)), fields);
        wrp_buf_add (&buf, head, (size_t) n);
        for (size_t f = 0; f < fields; f++) {
            size_t vsize = 0;
            const char *key = wrp_msg_field_key (reply, f);
            const void *value = wrp_msg_field_value (reply, f, &vsize);
            n = snprintf (head, sizeof head, "%zu %zu\n", strlen (key), vsize);
            wrp_buf_add (&buf, head, (size_t) n);
            wrp_buf_add (&buf, key, strlen (key));
            wrp_buf_add (&buf, value, vsize);
            wrp_buf_add (&buf, "\n", 1);
        }
    }
    size_t size = 0;
    char *data = wrp_buf_finish (&buf, &size);
    if (!data) {
        *ret_err = wrp_strf ("out of memory");
        return -1;
    }
    int rc = wrp_file_write_atomic (self->commands_path, data, size, 0600, ret_err);
    free (data);
    return rc;
}

static void
s_remember (wrp_store_t *self, wrp_msg_t *reply)
{
    wrp_msg_destroy (&self->replies[self->next]);
    self->replies[self->next] = reply;
    self->next = (self->next + 1) % WRP_STORE_MAX_COMMANDS;
    if (self->count < WRP_STORE_MAX_COMMANDS)
        self->count++;
}

//  Parses the command record; stops at the first damaged entry.
static int
s_load_commands (wrp_store_t *self, const char *data, size_t size)
{
    size_t magic = strlen (S_COMMANDS_MAGIC);
    if (size < magic || memcmp (data, S_COMMANDS_MAGIC, magic))
        return -1;
    const char *at = data + magic, *end = data + size;
    while (at < end) {
        const char *nl = memchr (at, '\n', (size_t) (end - at));
        if (!nl || nl - at > 150)
            return -1;
        char head[160], id[80], cmd[32];
        memcpy (head, at, (size_t) (nl - at));
        head[nl - at] = 0;
        size_t fields = 0;
        if (sscanf (head, "%79s %31s %zu", id, cmd, &fields) != 3 ||
            fields > WRP_MSG_MAX_FIELDS)
            return -1;
        wrp_cmd_t command = wrp_msg_cmd_from_name (cmd);
        wrp_msg_t *reply = command == WRP_CMD_INVALID ? NULL : wrp_msg_new (command, id);
        if (!reply)
            return -1;
        at = nl + 1;
        for (size_t f = 0; f < fields; f++) {
            nl = memchr (at, '\n', (size_t) (end - at));
            size_t ksize = 0, vsize = 0;
            char sizes[64];
            if (!nl || nl - at >= (long) sizeof sizes) {
                wrp_msg_destroy (&reply);
                return -1;
            }
            memcpy (sizes, at, (size_t) (nl - at));
            sizes[nl - at] = 0;
            if (sscanf (sizes, "%zu %zu", &ksize, &vsize) != 2 || ksize == 0 ||
                ksize > WRP_MSG_MAX_KEY || vsize > WRP_MSG_MAX_VALUE ||
                (size_t) (end - nl - 1) < ksize + vsize + 1) {
                wrp_msg_destroy (&reply);
                return -1;
            }
            char key[WRP_MSG_MAX_KEY + 1];
            memcpy (key, nl + 1, ksize);
            key[ksize] = 0;
            if (wrp_msg_set (reply, key, nl + 1 + ksize, vsize)) {
                wrp_msg_destroy (&reply);
                return -1;
            }
            at = nl + 1 + ksize + vsize + 1;
        }
        s_remember (self, reply);
    }
    return 0;
}

wrp_store_t *
wrp_store_new (const char *state_dir, char **ret_warning, char **ret_err)
{
    if (wrp_file_mkdirs (state_dir, 0700, ret_err))
        return NULL;
    wrp_store_t *self = calloc (1, sizeof *self);
    if (!self) {
        *ret_err = wrp_strf ("out of memory");
        return NULL;
    }
    self->dir = strdup (state_dir);
    self->state_path = wrp_strf ("%s/agent.state", state_dir);
    self->commands_path = wrp_strf ("%s/commands", state_dir);
    char *pipelines = wrp_strf ("%s/pipelines", state_dir);
    if (!self->dir || !self->state_path || !self->commands_path || !pipelines) {
        free (pipelines);
        wrp_store_destroy (&self);
        *ret_err = wrp_strf ("out of memory");
        return NULL;
    }
    int rc = wrp_file_mkdirs (pipelines, 0700, ret_err);
    free (pipelines);
    if (rc) {
        wrp_store_destroy (&self);
        return NULL;
    }
    //  Check the dir is writable now rather than at the first command.
    if (access (state_dir, W_OK | X_OK)) {
        *ret_err = wrp_strf ("%s: %s", state_dir, strerror (errno));
        wrp_store_destroy (&self);
        return NULL;
    }
    s_state_defaults (&self->state);
    size_t size = 0;
    char *text = s_read_record (self->state_path, 1u << 16, &size, ret_warning);
    if (text)
        s_parse_state (&self->state, text);
    free (text);
    char *data =
        s_read_record (self->commands_path, S_MAX_RECORD_FILE, &size, ret_warning);
    if (data && s_load_commands (self, data, size)) {
        free (*ret_warning);
        *ret_warning = wrp_strf ("%s: damaged after %zu records; the rest ignored",
                                 self->commands_path, self->count);
    }
    free (data);
    return self;
}

void
wrp_store_destroy (wrp_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_store_t *self = *self_p;
    for (size_t i = 0; i < WRP_STORE_MAX_COMMANDS; i++)
        wrp_msg_destroy (&self->replies[i]);
    free (self->dir);
    free (self->state_path);
    free (self->commands_path);
    free (self);
    *self_p = NULL;
}

const char *
wrp_store_dir (wrp_store_t *self)
{
    return self->dir;
}

const wrp_store_state_t *
wrp_store_state (wrp_store_t *self)
{
    return &self->state;
}

const wrp_msg_t *
wrp_store_lookup (wrp_store_t *self, const char *id)
{
    for (size_t i = 0; i < WRP_STORE_MAX_COMMANDS; i++)
        if (self->replies[i] && !strcmp (wrp_msg_id (self->replies[i]), id))
            return self->replies[i];
    return NULL;
}

int
wrp_store_record (wrp_store_t *self, const wrp_msg_t *reply, char **ret_err)
{
    wrp_msg_t *copy = wrp_msg_dup (reply);
    if (!copy) {
        *ret_err = wrp_strf ("out of memory");
        return -1;
    }
    s_remember (self, copy);
    return s_save_commands (self, ret_err);
}

void
wrp_store_test (bool verbose)
{
    (void) verbose;
    char dir[] = "/tmp/wrp-store-test.XXXXXX";
    assert (mkdtemp (dir));
    char sub[128];
    snprintf (sub, sizeof sub, "%s/state", dir);
    char *warning = NULL, *err = NULL;
    wrp_store_t *store = wrp_store_new (sub, &warning, &err);
    assert (store && !warning);
    assert (!strcmp (wrp_store_state (store)->state, "stopped"));
    wrp_store_state_t state = *wrp_store_state (store);
    state.pid = 1234;
    state.start_time = 99887766;
    state.starts = 3;
    snprintf (state.state, sizeof state.state, "running");
    snprintf (state.pipeline, sizeof state.pipeline, "basic");
    snprintf (state.error, sizeof state.error, "two\nlines");
    assert (wrp_store_save_state (store, &state, &err) == 0);
    //  More replies than the record keeps: the oldest go.
    for (int i = 0; i < WRP_STORE_MAX_COMMANDS + 5; i++) {
        char id[32];
        snprintf (id, sizeof id, "cmd-%d", i);
        wrp_msg_t *reply = wrp_msg_new (i % 2 ? WRP_CMD_OK : WRP_CMD_ERROR, id);
        assert (reply);
        wrp_msg_set_int (reply, "starts", i);
        wrp_msg_set (reply, "output", "a\nb\0c", 5);
        if (i > WRP_STORE_MAX_COMMANDS)
            assert (wrp_store_record (store, reply, &err) == 0);
        else
            s_remember (store, wrp_msg_dup (reply));
        wrp_msg_destroy (&reply);
    }
    wrp_store_destroy (&store);

    store = wrp_store_new (sub, &warning, &err);
    assert (store && !warning);
    assert (wrp_store_state (store)->pid == 1234);
    assert (wrp_store_state (store)->start_time == 99887766);
    assert (wrp_store_state (store)->starts == 3);
    assert (!strcmp (wrp_store_state (store)->state, "running"));
    assert (!strcmp (wrp_store_state (store)->error, "two lines"));
    assert (!wrp_store_lookup (store, "cmd-4"));
    const wrp_msg_t *found = wrp_store_lookup (store, "cmd-5");
    assert (found && wrp_msg_cmd (found) == WRP_CMD_OK);
    found = wrp_store_lookup (store, "cmd-1028");
    assert (found && wrp_msg_cmd (found) == WRP_CMD_ERROR);
    int64_t value = 0;
    assert (wrp_msg_int (found, "starts", &value) == 0 && value == 1028);
    const void *data = NULL;
    size_t size = 0;
    assert (wrp_msg_get (found, "output", &data, &size) == 0 && size == 5 &&
            !memcmp (data, "a\nb\0c", 5));
    wrp_store_destroy (&store);

    //  A damaged record keeps what came before the damage.
    char path[160];
    snprintf (path, sizeof path, "%s/commands", sub);
    const char *damaged = S_COMMANDS_MAGIC "ok-1 OK 1\n6 1\nstarts7\nbad-2 OK 9\n";
    assert (wrp_file_write_atomic (path, damaged, strlen (damaged), 0600, &err) == 0);
    store = wrp_store_new (sub, &warning, &err);
    assert (store && warning);
    free (warning);
    warning = NULL;
    assert (wrp_store_lookup (store, "ok-1") && !wrp_store_lookup (store, "bad-2"));
    wrp_store_destroy (&store);
    wrp_store_destroy (&store);

    unlink (path);
    snprintf (path, sizeof path, "%s/agent.state", sub);
    unlink (path);
    snprintf (path, sizeof path, "%s/pipelines", sub);
    rmdir (path);
    rmdir (sub);
    assert (rmdir (dir) == 0);
}
