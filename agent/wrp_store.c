/*  wrp_store — every file of the agent's state dir. See wrp_store.h.       */

#include "wrp_store.h"
#include "wrp_buf.h"
#include "wrp_file.h"
#include "wrp_str.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_COMMANDS_MAGIC  "WRP-COMMANDS 2\n"
#define S_MAX_STATE_FILE  (1u << 16)     //  refuse to read a larger agent.state
#define S_MAX_RECORD_FILE (64u << 20)    //  refuse to read a larger command record

struct _wrp_store_t {
    char *dir;                             //  state dir
    int dfd;                               //  the state dir, open
    int pfd;                               //  its pipelines/, open
    char *state_path;                      //  dir/agent.state
    char *commands_path;                   //  dir/commands
    wrp_store_state_t state;               //  last saved state
    wrp_msg_t *replies[WRP_RECORD_MAX];    //  ring of recorded replies
    size_t next;                           //  ring slot written next
    size_t count;                          //  recorded replies (<= max)
};

// ---------------------------------------------------------------------------
//  agent.state

static void
s_state_defaults (wrp_store_state_t *state)
{
    memset (state, 0, sizeof *state);
    state->generation = -1;
    state->exit_code = -1;
    snprintf (state->state, sizeof state->state, "%s", WRP_STATE_STOPPED);
}

//  Copies a value as one line: the file is line-oriented.
static void
s_copy_field (char *dest, size_t size, const char *value)
{
    size_t i = 0;
    for (; value[i] && i + 1 < size; i++)
        dest[i] = (value[i] == '\n' || value[i] == '\r') ? ' ' : value[i];
    dest[i] = 0;
}

//  The fields of agent.state, one "key=value" line each, in this order.
typedef enum { S_INT, S_I64, S_U64, S_BOOL, S_TEXT } s_kind_t;
typedef struct {
    const char *key;    //  key in the file
    s_kind_t kind;      //  C type of the field
    size_t offset;      //  field in wrp_store_state_t
    size_t size;        //  its size (S_TEXT: the buffer)
} s_field_t;

#define S_FIELD(name, kind)                                                              \
    {                                                                                    \
#name, kind, offsetof(wrp_store_state_t, name),                                  \
            sizeof(((wrp_store_state_t *) 0)->name)                                      \
    }
static const s_field_t s_fields[] = {
    S_FIELD (pid, S_INT),           S_FIELD (start_time, S_U64),
    S_FIELD (started_at_ms, S_I64), S_FIELD (pipeline, S_TEXT),
    S_FIELD (generation, S_I64),    S_FIELD (sha256, S_TEXT),
    S_FIELD (starts, S_I64),        S_FIELD (port, S_INT),
    S_FIELD (state, S_TEXT),        S_FIELD (exit_code, S_INT),
    S_FIELD (signal, S_INT),        S_FIELD (stop_requested, S_BOOL),
    S_FIELD (error, S_TEXT),
};
#define S_FIELDS (sizeof s_fields / sizeof s_fields[0])

//  Is value a whole decimal number (what a numeric field must hold)?
static bool
s_number (const char *value)
{
    char *end = NULL;
    errno = 0;
    strtoll (value, &end, 10);
    return *value && end && !*end && errno == 0;
}

//  Is value one of the protocol's states?
static bool
s_state_known (const char *value)
{
    static const char *const known[] = {WRP_STATE_STOPPED, WRP_STATE_STARTING,
                                        WRP_STATE_RUNNING, WRP_STATE_STOPPING,
                                        WRP_STATE_FAILED};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp (value, known[i]))
            return true;
    return false;
}

//  One line of agent.state. Returns 0, or -1 when the key is unknown or its
//  value malformed (then nothing is taken from it).
static int
s_parse_state_line (wrp_store_state_t *state, const char *key, const char *value)
{
    for (size_t i = 0; i < S_FIELDS; i++) {
        const s_field_t *f = &s_fields[i];
        if (strcmp (key, f->key))
            continue;
        if (f->kind == S_TEXT ? !strcmp (key, "state") && !s_state_known (value)
                              : !s_number (value))
            return -1;
        void *field = (char *) state + f->offset;
        if (f->kind == S_INT)
            *(int *) field = atoi (value);
        else if (f->kind == S_I64)
            *(int64_t *) field = strtoll (value, NULL, 10);
        else if (f->kind == S_U64)
            *(uint64_t *) field = strtoull (value, NULL, 10);
        else if (f->kind == S_BOOL)
            *(bool *) field = atoi (value) != 0;
        else
            s_copy_field ((char *) field, f->size, value);
        return 0;
    }
    return -1;
}

//  Appends the line of one field.
static void
s_format_field (wrp_buf_t *buf, const wrp_store_state_t *state, const s_field_t *f)
{
    const void *field = (const char *) state + f->offset;
    if (f->kind == S_INT)
        wrp_buf_printf (buf, "%s=%d\n", f->key, *(const int *) field);
    else if (f->kind == S_I64)
        wrp_buf_printf (buf, "%s=%" PRId64 "\n", f->key, *(const int64_t *) field);
    else if (f->kind == S_U64)
        wrp_buf_printf (buf, "%s=%" PRIu64 "\n", f->key, *(const uint64_t *) field);
    else if (f->kind == S_BOOL)
        wrp_buf_printf (buf, "%s=%d\n", f->key, *(const bool *) field ? 1 : 0);
    else {
        char text[sizeof state->error];
        s_copy_field (text, f->size < sizeof text ? f->size : sizeof text, field);
        wrp_buf_printf (buf, "%s=%s\n", f->key, text);
    }
}

int
wrp_store_state_parse (const char *data, size_t size, wrp_store_state_t *ret_state)
{
    s_state_defaults (ret_state);
    char *text = size < S_MAX_STATE_FILE ? malloc (size + 1) : NULL;
    if (!text)
        return -1;
    memcpy (text, data, size);
    text[size] = 0;
    int rc = size && memchr (data, 0, size) ? -1 : 0;
    char *save = NULL;
    for (char *line = strtok_r (text, "\n", &save); line;
         line = strtok_r (NULL, "\n", &save)) {
        char *eq = strchr (line, '=');
        if (eq) {
            *eq = 0;
            if (s_parse_state_line (ret_state, line, eq + 1))
                rc = -1;
        } else
            rc = -1;
    }
    free (text);
    return rc;
}

char *
wrp_store_state_format (const wrp_store_state_t *state)
{
    wrp_buf_t buf = {0};
    for (size_t i = 0; i < S_FIELDS; i++)
        s_format_field (&buf, state, &s_fields[i]);
    return wrp_buf_finish (&buf, NULL);
}

int
wrp_store_save_state (wrp_store_t *self, const wrp_store_state_t *state, char **ret_err)
{
    if (&self->state != state)
        self->state = *state;
    char *text = wrp_store_state_format (&self->state);
    if (!text) {
        *ret_err = wrp_strf ("out of memory");
        return -1;
    }
    int rc = wrp_file_write_atomic_at (self->dfd, WRP_LAYOUT_STATE_FILE, text,
                                       strlen (text), 0600, ret_err);
    free (text);
    return rc;
}

// ---------------------------------------------------------------------------
//  The command record

static void
s_add_entry (wrp_buf_t *buf, const wrp_msg_t *reply)
{
    size_t size = 0;
    uint8_t *bytes = NULL;
    if (wrp_msg_to_bytes (reply, &bytes, &size)) {
        buf->failed = true;
        return;
    }
    unsigned char head[4] = {(unsigned char) (size >> 24), (unsigned char) (size >> 16),
                             (unsigned char) (size >> 8), (unsigned char) size};
    wrp_buf_add (buf, head, 4);
    wrp_buf_add (buf, bytes, size);
    free (bytes);
}

static int
s_save_commands (wrp_store_t *self, char **ret_err)
{
    wrp_buf_t buf = {0};
    wrp_buf_str (&buf, S_COMMANDS_MAGIC);
    //  Oldest first, so a reload keeps the same order.
    for (size_t i = 0; i < self->count; i++)
        s_add_entry (&buf, self->replies[(self->next + WRP_RECORD_MAX - self->count + i) %
                                         WRP_RECORD_MAX]);
    size_t size = 0;
    char *data = wrp_buf_finish (&buf, &size);
    if (!data) {
        *ret_err = wrp_strf ("out of memory");
        return -1;
    }
    int rc = wrp_file_write_atomic_at (self->dfd, WRP_LAYOUT_COMMANDS_FILE, data, size,
                                       0600, ret_err);
    free (data);
    return rc;
}

int
wrp_store_replies_parse (const void *data, size_t size, wrp_store_reply_fn *fn, void *arg)
{
    const unsigned char *at = data, *end = at + size;
    size_t magic = strlen (S_COMMANDS_MAGIC);
    if (size < magic || memcmp (data, S_COMMANDS_MAGIC, magic))
        return -1;
    for (at += magic; at < end;) {
        if (end - at < 4)
            return -1;
        size_t len = (size_t) at[0] << 24 | (size_t) at[1] << 16 | (size_t) at[2] << 8 |
                     (size_t) at[3];
        at += 4;
        if (len > (size_t) (end - at) || len > WRP_MSG_MAX_TOTAL)
            return -1;
        wrp_msg_t *reply = NULL;
        if (wrp_msg_from_bytes (at, len, &reply, NULL, 0))
            return -1;
        fn (arg, reply);
        at += len;
    }
    return 0;
}

static void
s_remember (void *arg, wrp_msg_t *reply)
{
    wrp_store_t *self = (wrp_store_t *) arg;
    wrp_msg_destroy (&self->replies[self->next]);
    self->replies[self->next] = reply;
    self->next = (self->next + 1) % WRP_RECORD_MAX;
    if (self->count < WRP_RECORD_MAX)
        self->count++;
}

const wrp_msg_t *
wrp_store_lookup (wrp_store_t *self, const char *id)
{
    for (size_t i = 0; i < WRP_RECORD_MAX; i++)
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

// ---------------------------------------------------------------------------
//  Pipelines: pushed files and the runtime's log

char *
wrp_store_pipeline_path (wrp_store_t *self, const char *pipeline, const char *file)
{
    if (!file)
        return wrp_strf ("%s/" WRP_LAYOUT_PIPELINES "/%s", self->dir, pipeline);
    return wrp_strf (WRP_LAYOUT_PIPELINE_FILE_FMT, self->dir, pipeline, file);
}

//  Opens pipeline's directory under pipelines/ (made when create), never
//  through a symbolic link: whoever can write the state dir must not make
//  the agent write or remove files elsewhere. Returns the fd, or -1 and
//  *ret_err (may be NULL).
static int
s_pipeline_dir (wrp_store_t *self, const char *pipeline, bool create, char **ret_err)
{
    if (create && mkdirat (self->pfd, pipeline, 0700) && errno != EEXIST) {
        wrp_str_set (ret_err, "%s/" WRP_LAYOUT_PIPELINES "/%s: cannot create: %s",
                     self->dir, pipeline, strerror (errno));
        return -1;
    }
    int fd =
        openat (self->pfd, pipeline, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        wrp_str_set (ret_err, "%s/" WRP_LAYOUT_PIPELINES "/%s: %s", self->dir, pipeline,
                     errno == ELOOP || errno == ENOTDIR
                         ? "not a directory (a symbolic link?): refused"
                         : strerror (errno));
    return fd;
}

int
wrp_store_push (wrp_store_t *self, const char *pipeline, const void *config,
                size_t config_size, const void *hostfile, size_t hostfile_size,
                char **ret_config_path, char **ret_err)
{
    int fd = s_pipeline_dir (self, pipeline, true, ret_err);
    if (fd < 0)
        return -1;
    char *conf = wrp_store_pipeline_path (self, pipeline, WRP_LAYOUT_CONFIG);
    int rc = -1;
    if (!conf)
        *ret_err = wrp_strf ("out of memory");
    else if (wrp_file_write_atomic_at (fd, WRP_LAYOUT_CONFIG, config, config_size, 0644,
                                       ret_err) == 0 &&
             (!hostfile ||
              wrp_file_write_atomic_at (fd, WRP_LAYOUT_HOSTFILE, hostfile, hostfile_size,
                                        0644, ret_err) == 0)) {
        *ret_config_path = conf;
        conf = NULL;
        rc = 0;
    }
    close (fd);
    free (conf);
    return rc;
}

int
wrp_store_log_open (wrp_store_t *self, const char *pipeline, off_t *ret_size,
                    char **ret_err)
{
    int dir = s_pipeline_dir (self, pipeline, true, ret_err);
    if (dir < 0)
        return -1;
    int fd = openat (dir, WRP_LAYOUT_RUNTIME_LOG,
                     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
                     0640);
    struct stat st;
    if (fd < 0 || fstat (fd, &st) || !S_ISREG (st.st_mode)) {
        *ret_err = wrp_strf (
            "%s/" WRP_LAYOUT_PIPELINES "/%s/" WRP_LAYOUT_RUNTIME_LOG ": %s", self->dir,
            pipeline, fd < 0 ? strerror (errno) : "not a regular file");
        if (fd >= 0)
            close (fd);
        fd = -1;
    } else
        *ret_size = st.st_size;
    close (dir);
    return fd;
}

//  Keeps the last WRP_OUTPUT_LINES complete lines of text (size bytes).
static char *
s_last_lines (char *text, ssize_t size)
{
    for (ssize_t i = 0; i < size; i++)
        if (text[i] == 0)
            text[i] = ' ';
    while (size > 0 && text[size - 1] == '\n')
        text[--size] = 0;
    int lines = 0;
    char *start = text;
    for (ssize_t i = size - 1; i >= 0; i--)
        if (text[i] == '\n' && ++lines == WRP_OUTPUT_LINES) {
            start = text + i + 1;
            break;
        }
    return strdup (start);
}

char *
wrp_store_log_tail (wrp_store_t *self, const char *pipeline, off_t from)
{
    if (!pipeline || !*pipeline)
        return NULL;
    int dir = s_pipeline_dir (self, pipeline, false, NULL);
    int fd = dir >= 0 ? openat (dir, WRP_LAYOUT_RUNTIME_LOG,
                                O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
                      : -1;
    if (dir >= 0)
        close (dir);
    if (fd < 0)
        return NULL;
    struct stat st;
    char buf[WRP_OUTPUT_BYTES + 1];
    ssize_t got = -1;
    if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode)) {
        off_t at = st.st_size - WRP_OUTPUT_BYTES;
        if (at < from)
            at = from;
        if (at < 0)
            at = 0;
        got = pread (fd, buf, WRP_OUTPUT_BYTES, at);
    }
    close (fd);
    if (got <= 0)
        return NULL;
    buf[got] = 0;
    return s_last_lines (buf, got);
}

//  Removes name in dir; adds "path\tbytes" to removed when it was there.
static void
s_remove (int dir, const char *name, const char *path, wrp_buf_t *removed)
{
    struct stat st;
    if (fstatat (dir, name, &st, AT_SYMLINK_NOFOLLOW) || S_ISDIR (st.st_mode) ||
        unlinkat (dir, name, 0))
        return;
    wrp_buf_printf (removed, "%s%s\t%lld", removed->size ? "\n" : "", path,
                    S_ISREG (st.st_mode) ? (long long) st.st_size : 0LL);
}

int
wrp_store_clean (wrp_store_t *self, const char *pipeline, char **ret_removed,
                 char **ret_err)
{
    static const char *files[] = {WRP_LAYOUT_CONFIG, WRP_LAYOUT_HOSTFILE,
                                  WRP_LAYOUT_RUNTIME_LOG};
    wrp_buf_t removed = {0};
    wrp_buf_str (&removed, "");
    char *path = wrp_store_pipeline_path (self, pipeline, NULL);
    int dir = s_pipeline_dir (self, pipeline, false, NULL);
    if (dir >= 0) {
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            char *file = wrp_store_pipeline_path (self, pipeline, files[i]);
            if (file)
                s_remove (dir, files[i], file, &removed);
            free (file);
        }
        close (dir);
        unlinkat (self->pfd, pipeline, AT_REMOVEDIR);    //  only when empty
    } else if (path)
        //  Not a directory: a link (or a file) in our state dir goes, as a
        //  name; whatever it points to stays.
        s_remove (self->pfd, pipeline, path, &removed);
    free (path);
    *ret_removed = wrp_buf_finish (&removed, NULL);
    if (!*ret_removed) {
        *ret_err = wrp_strf ("out of memory");
        return -1;
    }
    return 0;
}

// ---------------------------------------------------------------------------
//  Life

//  Reads a record file of the state dir (a regular file, not through a
//  link, bounded); NULL when it is missing (nothing to say) or unreadable
//  (said in *ret_warning, replacing an earlier warning).
static char *
s_read_record (wrp_store_t *self, const char *name, size_t limit, size_t *ret_size,
               char **ret_warning)
{
    char *data = NULL, *err = NULL;
    if (wrp_file_read_at (self->dfd, name, limit, WRP_FILE_NOFOLLOW, &data, ret_size,
                          &err) == 0)
        return data;
    if (errno != ENOENT) {
        free (*ret_warning);
        *ret_warning = wrp_strf ("%s/%s; ignored", self->dir, err ? err : name);
    }
    free (err);
    return NULL;
}

static void
s_load (wrp_store_t *self, char **ret_warning)
{
    size_t size = 0;
    char *text =
        s_read_record (self, WRP_LAYOUT_STATE_FILE, S_MAX_STATE_FILE, &size, ret_warning);
    if (text && wrp_store_state_parse (text, size, &self->state)) {
        //  Not what this agent writes: nothing in it is trusted.
        s_state_defaults (&self->state);
        free (*ret_warning);
        *ret_warning = wrp_strf ("%s: not a state record written by this agent (unknown "
                                 "or malformed lines); reset to stopped",
                                 self->state_path);
    }
    free (text);
    char *data = s_read_record (self, WRP_LAYOUT_COMMANDS_FILE, S_MAX_RECORD_FILE, &size,
                                ret_warning);
    if (data && wrp_store_replies_parse (data, size, s_remember, self)) {
        free (*ret_warning);
        *ret_warning = wrp_strf ("%s: damaged after %zu records; the rest ignored",
                                 self->commands_path, self->count);
    }
    free (data);
}

//  Opens (creating it) the state dir and its pipelines/. The state dir
//  must belong to the agent's user and be writable by nobody else: whoever
//  can write it can make the agent start, adopt and kill what they name.
static int
s_open_dirs (wrp_store_t *self, char **ret_err)
{
    if (wrp_file_mkdirs (self->dir, 0700, ret_err))
        return -1;
    self->dfd = open (self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (self->dfd < 0 || fstat (self->dfd, &st)) {
        *ret_err = wrp_strf ("%s: %s", self->dir, strerror (errno));
        return -1;
    }
    if (st.st_uid != geteuid ()) {
        *ret_err =
            wrp_strf ("state dir %s: owned by uid %u, not by the agent's user (uid "
                      "%u): refused",
                      self->dir, (unsigned) st.st_uid, (unsigned) geteuid ());
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        *ret_err = wrp_strf ("state dir %s: writable by group or others (mode %04o): "
                             "refused; run 'chmod 700 %s'",
                             self->dir, (unsigned) (st.st_mode & 07777), self->dir);
        return -1;
    }
    if (mkdirat (self->dfd, WRP_LAYOUT_PIPELINES, 0700) && errno != EEXIST) {
        *ret_err =
            wrp_strf ("%s/" WRP_LAYOUT_PIPELINES ": %s", self->dir, strerror (errno));
        return -1;
    }
    self->pfd = openat (self->dfd, WRP_LAYOUT_PIPELINES,
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    //  Writable now rather than at the first command.
    if (self->pfd < 0 || faccessat (self->dfd, ".", W_OK | X_OK, 0)) {
        *ret_err = wrp_strf ("%s/" WRP_LAYOUT_PIPELINES ": %s", self->dir,
                             errno == ELOOP || errno == ENOTDIR ? "not a directory"
                                                                : strerror (errno));
        return -1;
    }
    return 0;
}

wrp_store_t *
wrp_store_new (const char *state_dir, char **ret_warning, char **ret_err)
{
    wrp_store_t *self = calloc (1, sizeof *self);
    if (self) {
        self->dfd = self->pfd = -1;
        self->dir = strdup (state_dir);
        self->state_path = wrp_strf ("%s/" WRP_LAYOUT_STATE_FILE, state_dir);
        self->commands_path = wrp_strf ("%s/" WRP_LAYOUT_COMMANDS_FILE, state_dir);
    }
    if (!self || !self->dir || !self->state_path || !self->commands_path) {
        wrp_store_destroy (&self);
        *ret_err = wrp_strf ("out of memory");
        return NULL;
    }
    if (s_open_dirs (self, ret_err)) {
        wrp_store_destroy (&self);
        return NULL;
    }
    s_state_defaults (&self->state);
    s_load (self, ret_warning);
    return self;
}

void
wrp_store_destroy (wrp_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_store_t *self = *self_p;
    for (size_t i = 0; i < WRP_RECORD_MAX; i++)
        wrp_msg_destroy (&self->replies[i]);
    if (self->dfd >= 0)
        close (self->dfd);
    if (self->pfd >= 0)
        close (self->pfd);
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

// ---------------------------------------------------------------------------

static void
s_test_state (const char *sub)
{
    char *warning = NULL, *err = NULL;
    wrp_store_t *store = wrp_store_new (sub, &warning, &err);
    assert (store && !warning);
    assert (!strcmp (wrp_store_state (store)->state, WRP_STATE_STOPPED));
    wrp_store_state_t state = *wrp_store_state (store);
    state.pid = 1234;
    state.start_time = 99887766;
    state.starts = 3;
    snprintf (state.state, sizeof state.state, WRP_STATE_RUNNING);
    snprintf (state.pipeline, sizeof state.pipeline, "basic");
    snprintf (state.error, sizeof state.error, "two\nlines");
    assert (wrp_store_save_state (store, &state, &err) == 0);
    wrp_store_destroy (&store);
    store = wrp_store_new (sub, &warning, &err);
    assert (store && !warning);
    const wrp_store_state_t *got = wrp_store_state (store);
    assert (got->pid == 1234 && got->start_time == 99887766 && got->starts == 3);
    assert (!strcmp (got->state, WRP_STATE_RUNNING) && !strcmp (got->error, "two lines"));
    wrp_store_destroy (&store);
    wrp_store_state_parse ("pid=7\ngarbage\nport", 19, &state);
    assert (state.pid == 7 && state.generation == -1);
}

static void
s_test_record (const char *sub)
{
    char *warning = NULL, *err = NULL;
    wrp_store_t *store = wrp_store_new (sub, &warning, &err);
    assert (store && !warning);
    //  More replies than the record keeps: the oldest go.
    for (int i = 0; i < WRP_RECORD_MAX + 5; i++) {
        char id[32];
        snprintf (id, sizeof id, "cmd-%d", i);
        wrp_msg_t *reply = wrp_msg_new (i % 2 ? WRP_CMD_OK : WRP_CMD_ERROR, id);
        assert (reply);
        wrp_msg_set_int (reply, WRP_F_STARTS, i);
        wrp_msg_set (reply, WRP_F_OUTPUT, "a\nb\0c", 5);
        if (i > WRP_RECORD_MAX)
            assert (wrp_store_record (store, reply, &err) == 0);
        else
            s_remember (store, wrp_msg_dup (reply));
        wrp_msg_destroy (&reply);
    }
    wrp_store_destroy (&store);
    store = wrp_store_new (sub, &warning, &err);
    assert (store && !warning);
    assert (!wrp_store_lookup (store, "cmd-4"));
    const wrp_msg_t *found = wrp_store_lookup (store, "cmd-5");
    assert (found && wrp_msg_cmd (found) == WRP_CMD_OK);
    found = wrp_store_lookup (store, "cmd-1028");
    assert (found && wrp_msg_cmd (found) == WRP_CMD_ERROR);
    int64_t value = 0;
    assert (wrp_msg_int (found, WRP_F_STARTS, &value) == 0 && value == 1028);
    const void *data = NULL;
    size_t size = 0;
    assert (wrp_msg_get (found, WRP_F_OUTPUT, &data, &size) == 0 && size == 5 &&
            !memcmp (data, "a\nb\0c", 5));
    wrp_store_destroy (&store);

    //  A damaged record keeps what came before the damage.
    wrp_msg_t *ok = wrp_msg_new (WRP_CMD_OK, "ok-1");
    wrp_buf_t buf = {0};
    wrp_buf_str (&buf, S_COMMANDS_MAGIC);
    s_add_entry (&buf, ok);
    wrp_buf_add (&buf, "\0\0\0\11bad-2", 9);
    wrp_msg_destroy (&ok);
    char *damaged = wrp_buf_finish (&buf, &size);
    char *path = wrp_strf ("%s/" WRP_LAYOUT_COMMANDS_FILE, sub);
    assert (damaged && path);
    assert (wrp_file_write_atomic (path, damaged, size, 0600, &err) == 0);
    free (damaged);
    store = wrp_store_new (sub, &warning, &err);
    assert (store && warning);
    free (warning);
    assert (wrp_store_lookup (store, "ok-1") && !wrp_store_lookup (store, "bad-2"));
    wrp_store_destroy (&store);
    wrp_store_destroy (&store);
    unlink (path);
    free (path);
}

static void
s_test_pipeline (const char *sub)
{
    char *warning = NULL, *err = NULL, *conf = NULL, *removed = NULL;
    wrp_store_t *store = wrp_store_new (sub, &warning, &err);
    assert (store);
    assert (wrp_store_push (store, "p1", "x: 1\n", 5, "h1\n", 3, &conf, &err) == 0);
    assert (strstr (conf, "/" WRP_LAYOUT_PIPELINES "/p1/" WRP_LAYOUT_CONFIG));
    free (conf);
    off_t size = -1;
    int fd = wrp_store_log_open (store, "p1", &size, &err);
    assert (fd >= 0 && size == 0);
    for (int i = 0; i < 30; i++)
        dprintf (fd, "line %d\n", i);
    close (fd);
    char *tail = wrp_store_log_tail (store, "p1", 0);
    assert (tail && !strncmp (tail, "line 10\n", 8) && strstr (tail, "line 29") &&
            !strstr (tail, "line 29\n"));
    free (tail);
    assert (wrp_store_clean (store, "p1", &removed, &err) == 0);
    assert (strstr (removed, WRP_LAYOUT_CONFIG "\t5") &&
            strstr (removed, WRP_LAYOUT_HOSTFILE "\t3"));
    free (removed);
    assert (!wrp_store_log_tail (store, "p1", 0));
    assert (wrp_store_clean (store, "p1", &removed, &err) == 0 && !*removed);
    free (removed);
    wrp_store_destroy (&store);
}

void
wrp_store_test (bool verbose)
{
    (void) verbose;
    char dir[] = "/tmp/wrp-store-test.XXXXXX";
    assert (mkdtemp (dir));
    char *sub = wrp_strf ("%s/state", dir);
    assert (sub);
    s_test_state (sub);
    s_test_record (sub);
    s_test_pipeline (sub);
    char *path = wrp_strf ("%s/" WRP_LAYOUT_STATE_FILE, sub);
    unlink (path);
    free (path);
    path = wrp_strf ("%s/" WRP_LAYOUT_PIPELINES, sub);
    rmdir (path);
    free (path);
    rmdir (sub);
    free (sub);
    assert (rmdir (dir) == 0);
}
