/*  wrp_supervisor — the runtime process. See wrp_supervisor.h.             */

#include "wrp_supervisor.h"
#include "wrp_file.h"
#include "wrp_str.h"

#include "wrp_log.h"
#include "wrp_sha256.h"
#include "wrp_shm.h"

#include <arpa/inet.h>
#include <assert.h>
#include <czmq.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define S_PROBE_MS      10     //  readiness probe period while starting
#define S_SETTLE_MIN_MS 100    //  bounds of the settle time (see wrp_supervisor_wake)
#define S_SETTLE_MAX_MS 2000
#define S_CONFIG_NAME   "chimaera_config.yaml"

//  PIDFD_GET_INFO (Linux 6.13; exit status from 6.15) is newer than the
//  headers of Debian 12: the layout of uapi/linux/pidfd.h, version 0.
#define S_PIDFD_INFO_EXIT (1ULL << 3)
typedef struct {
    uint64_t mask;        //  what to fetch / what was fetched
    uint64_t cgroupid;    //  unused
    uint32_t ids[11];     //  pid, tgid, ppid, uids and gids (unused)
    int32_t exit_code;    //  wait status, once the process was reaped
} s_pidfd_info_t;
#define S_PIDFD_GET_INFO _IOWR (0xFF, 11, s_pidfd_info_t)

typedef enum {
    S_PHASE_NONE = 0,       //  no escalation
    S_PHASE_STOP_BINARY,    //  stop binary ran; waiting for the exit
    S_PHASE_TERM,           //  SIGTERM sent to the group
    S_PHASE_KILL,           //  SIGKILL sent to the group
} s_phase_t;

struct _wrp_supervisor_t {
    const wrp_agent_config_t *config;    //  agent config (borrowed)
    wrp_store_t *store;                  //  state store (borrowed)
    wrp_supervisor_fn *fn;               //  result callback
    void *arg;                           //  its argument
    wrp_store_state_t rec;               //  working copy of the recorded state
    wrp_rt_state_t state;                //  current state
    int pidfd;                           //  the runtime's pidfd, -1 none
    bool is_child;                       //  the runtime is our child (not adopted)
    wrp_cmd_t op;                        //  operation under way, WRP_CMD_INVALID none
    int64_t op_deadline;                 //  when START times out (mono ms)
    bool timed_out;                      //  START missed its deadline; killing it
    s_phase_t phase;                     //  escalation step
    int64_t phase_deadline;              //  when the step's wait ends (mono ms)
    int step_ms;                         //  wait of each escalation step
    int64_t next_probe;                  //  next readiness probe (mono ms), -1 none
    int probe_fd;                        //  connect in progress, -1 none
    int64_t spawned;                     //  when the runtime was started (mono ms)
    int64_t served_at;                   //  first accepted probe (mono ms), 0 none
    pid_t helper;                        //  stop binary child, 0 none
    char *stop_note;                     //  what the stop did, for the reply text
    off_t log_offset;                    //  runtime.log size when this run started
    char **child_env;                    //  env the runtime got (for the stop binary)
};

static void
s_free_env (char ***env_p)
{
    if (!*env_p)
        return;
    for (char **e = *env_p; *e; e++)
        free (*e);
    free (*env_p);
    *env_p = NULL;
}

// ---------------------------------------------------------------------------
//  Validation (pure)

bool
wrp_supervisor_pipeline_name_ok (const char *name)
{
    size_t len = name ? strlen (name) : 0;
    if (len < 1 || len > 64 || !strcmp (name, ".") || !strcmp (name, ".."))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum ((unsigned char) name[i]) && name[i] != '_' && name[i] != '.' &&
            name[i] != '-')
            return false;
    return true;
}

static bool
s_env_name_ok (const char *name)
{
    if (!*name || !(isalpha ((unsigned char) *name) || *name == '_'))
        return false;
    for (const char *c = name; *c; c++)
        if (!isalnum ((unsigned char) *c) && *c != '_')
            return false;
    return true;
}

//  Variables that change what the dynamic loader or libc load into the
//  runtime (glibc's list of unsafe variables, less LD_LIBRARY_PATH, which
//  the runtime needs to find its modules), and the ones the agent sets.
static const char *
s_env_refused (const char *name)
{
    static const char *loader[] = {
        "GCONV_PATH",   "GETCONF_DIR", "HOSTALIASES", "LOCALDOMAIN",      "LOCPATH",
        "MALLOC_TRACE", "NIS_PATH",    "NLSPATH",     "RESOLV_HOST_CONF", "RES_OPTIONS",
    };
    if (!strncmp (name, "LD_", 3) && strcmp (name, "LD_LIBRARY_PATH"))
        return "a dynamic loader variable";
    for (size_t i = 0; i < sizeof loader / sizeof loader[0]; i++)
        if (!strcmp (name, loader[i]))
            return "a variable that makes libc load files";
    if (!strcmp (name, "CHI_SERVER_CONF") || !strcmp (name, "USER"))
        return "set by the agent itself";
    return NULL;
}

int
wrp_supervisor_validate_start (const wrp_msg_t *msg, wrp_start_req_t *ret_req,
                               const char **ret_code, char *err, size_t err_size)
{
    wrp_start_req_t req;
    memset (&req, 0, sizeof req);
    *ret_code = "BAD_REQUEST";
    req.pipeline = wrp_msg_str (msg, "pipeline");
    if (!req.pipeline) {
        snprintf (err, err_size, "START: missing field 'pipeline'");
        return -1;
    }
    if (!wrp_supervisor_pipeline_name_ok (req.pipeline)) {
        *ret_code = "REFUSED";
        snprintf (err, err_size,
                  "START: pipeline name '%.80s' is not [A-Za-z0-9_.-]{1,64} "
                  "(nor . or ..)",
                  req.pipeline);
        return -1;
    }
    if (wrp_msg_get (msg, "config", &req.config, &req.config_size)) {
        snprintf (err, err_size, "START: missing field 'config'");
        return -1;
    }
    if (wrp_msg_has (msg, "hostfile"))
        wrp_msg_get (msg, "hostfile", &req.hostfile, &req.hostfile_size);
    int64_t number = 0;
    if (wrp_msg_int (msg, "port", &number) || number < 1 || number > 65534) {
        snprintf (err, err_size, "START: field 'port' %s",
                  wrp_msg_has (msg, "port") ? "must be an integer 1..65534"
                                            : "is missing");
        return -1;
    }
    req.port = (int) number;
    if (wrp_msg_has (msg, "generation")) {
        if (wrp_msg_int (msg, "generation", &req.generation) || req.generation < 0) {
            snprintf (err, err_size, "START: field 'generation' must be an integer >= 0");
            return -1;
        }
    }
    if (wrp_msg_has (msg, "timeout_ms")) {
        if (wrp_msg_int (msg, "timeout_ms", &number) || number < 1 || number > 86400000) {
            snprintf (err, err_size,
                      "START: field 'timeout_ms' must be an integer 1..86400000");
            return -1;
        }
        req.timeout_ms = (int) number;
    }
    size_t fields = wrp_msg_field_count (msg);
    for (size_t i = 0; i < fields; i++) {
        const char *key = wrp_msg_field_key (msg, i);
        if (strncmp (key, "env.", 4))
            continue;
        const char *name = key + 4;
        if (!s_env_name_ok (name)) {
            snprintf (err, err_size,
                      "START: '%s': not a variable name [A-Za-z_][A-Za-z0-9_]*", key);
            return -1;
        }
        const char *why = s_env_refused (name);
        if (why) {
            *ret_code = "REFUSED";
            snprintf (err, err_size, "START: environment variable %s is refused: %s",
                      name, why);
            return -1;
        }
        const char *value = wrp_msg_str (msg, key);
        if (!value) {
            snprintf (err, err_size, "START: '%s': value holds a NUL byte", key);
            return -1;
        }
        if (req.env_count == WRP_SUPERVISOR_MAX_ENV) {
            snprintf (err, err_size, "START: more than %d env.* fields",
                      WRP_SUPERVISOR_MAX_ENV);
            return -1;
        }
        req.env_name[req.env_count] = name;
        req.env_value[req.env_count] = value;
        req.env_count++;
    }
    *ret_req = req;
    return 0;
}

// ---------------------------------------------------------------------------
//  Processes

const char *
wrp_supervisor_state_name (wrp_rt_state_t state)
{
    static const char *names[] = {"stopped", "starting", "running", "stopping", "failed"};
    return (unsigned) state < 5 ? names[state] : "failed";
}

static wrp_rt_state_t
s_state_from_name (const char *name)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp (name, wrp_supervisor_state_name ((wrp_rt_state_t) i)))
            return (wrp_rt_state_t) i;
    return WRP_RT_STOPPED;
}

//  Reads fields of /proc/PID/stat: state letter, process group, start time
//  (field 22) and exit status (field 52, meaningful for a zombie).
static int
s_proc_stat (pid_t pid, char *ret_state, int *ret_pgrp, uint64_t *ret_start,
             int *ret_exit)
{
    char path[64], buf[2048];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = read (fd, buf, sizeof buf - 1);
    close (fd);
    if (got <= 0)
        return -1;
    buf[got] = 0;
    //  The command name may hold spaces and parens: fields start after the last ')'.
    char *at = strrchr (buf, ')');
    if (!at)
        return -1;
    at += 2;
    int field = 3;
    char state = 0;
    int pgrp = 0, exit_code = -1;
    uint64_t start = 0;
    for (char *tok = strtok (at, " "); tok; tok = strtok (NULL, " "), field++) {
        if (field == 3)
            state = *tok;
        else if (field == 5)
            pgrp = atoi (tok);
        else if (field == 22)
            start = strtoull (tok, NULL, 10);
        else if (field == 52)
            exit_code = atoi (tok);
    }
    if (field <= 22)
        return -1;
    if (ret_state)
        *ret_state = state;
    if (ret_pgrp)
        *ret_pgrp = pgrp;
    if (ret_start)
        *ret_start = start;
    if (ret_exit)
        *ret_exit = exit_code;
    return 0;
}

static int
s_pidfd_open (pid_t pid)
{
    return (int) syscall (SYS_pidfd_open, pid, 0);
}

//  Signals the runtime's process group; the leader alone when it is not a
//  group leader (e.g. adopted from an older agent).
static void
s_signal (wrp_supervisor_t *self, int sig)
{
    pid_t pid = self->rec.pid;
    if (pid <= 0 || self->pidfd < 0)
        return;
    int pgrp = 0;
    if (s_proc_stat (pid, NULL, &pgrp, NULL, NULL) == 0 && pgrp == pid)
        killpg (pid, sig);
    else
        syscall (SYS_pidfd_send_signal, self->pidfd, sig, NULL, 0);
}

//  Finds name on the agent's PATH (or takes an absolute path). Returns the
//  path (caller frees) or NULL.
static char *
s_resolve (const char *name)
{
    if (name[0] == '/')
        return access (name, X_OK) == 0 ? strdup (name) : NULL;
    const char *path = getenv ("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char *copy = strdup (path);
    char *result = NULL;
    for (char *save = NULL, *dir = copy ? strtok_r (copy, ":", &save) : NULL;
         dir && !result; dir = strtok_r (NULL, ":", &save)) {
        char *full = wrp_strf ("%s/%s", dir, name);
        struct stat st;
        if (full && stat (full, &st) == 0 && S_ISREG (st.st_mode) &&
            access (full, X_OK) == 0)
            result = full;
        else
            free (full);
    }
    free (copy);
    return result;
}

static char *
s_pipeline_path (wrp_supervisor_t *self, const char *pipeline, const char *file)
{
    return wrp_strf ("%s/pipelines/%s%s%s", wrp_store_dir (self->store), pipeline,
                     file ? "/" : "", file ? file : "");
}

//  Spawns path with env, in its own session, a clean signal mask and
//  default dispositions, stdin from /dev/null, stdout and stderr to log_fd,
//  no other fds. Returns the pid or -1 (errno set).
static pid_t
s_spawn (const char *path, char **env, int log_fd)
{
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    posix_spawnattr_init (&attr);
    posix_spawn_file_actions_init (&actions);
    sigset_t none, all;
    sigemptyset (&none);
    sigfillset (&all);
    //  A session of its own (so also a process group, pgid = pid): the
    //  group is never orphaned by the agent's exit, which would SIGHUP a
    //  stopped runtime, and no terminal's signals reach it.
    posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                         POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setsigmask (&attr, &none);
    posix_spawnattr_setsigdefault (&attr, &all);
    posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2 (&actions, log_fd, 1);
    posix_spawn_file_actions_adddup2 (&actions, log_fd, 2);
    posix_spawn_file_actions_addclosefrom_np (&actions, 3);
    char *argv[] = {(char *) path, NULL};
    pid_t pid = 0;
    int rc = posix_spawn (&pid, path, &actions, &attr, argv, env);
    posix_spawn_file_actions_destroy (&actions);
    posix_spawnattr_destroy (&attr);
    if (rc) {
        errno = rc;
        return -1;
    }
    return pid;
}

//  The agent's environment with CHI_SERVER_CONF, USER and the forwarded
//  variables replaced. Returns NULL when out of memory.
static char **
s_build_env (const char *conf_path, const char *user, const wrp_start_req_t *req)
{
    size_t count = 0;
    for (char **e = environ; *e; e++)
        count++;
    char **env = calloc (count + req->env_count + 3, sizeof *env);
    if (!env)
        return NULL;
    size_t n = 0;
    for (char **e = environ; *e; e++) {
        const char *eq = strchr (*e, '=');
        size_t len = eq ? (size_t) (eq - *e) : strlen (*e);
        bool replaced = (len == 15 && !strncmp (*e, "CHI_SERVER_CONF", 15)) ||
                        (len == 4 && !strncmp (*e, "USER", 4));
        for (size_t i = 0; i < req->env_count && !replaced; i++)
            replaced =
                strlen (req->env_name[i]) == len && !strncmp (*e, req->env_name[i], len);
        if (!replaced && !(env[n++] = strdup (*e)))
            goto fail;
    }
    if (!(env[n++] = wrp_strf ("CHI_SERVER_CONF=%s", conf_path)) ||
        !(env[n++] = wrp_strf ("USER=%s", user)))
        goto fail;
    for (size_t i = 0; i < req->env_count; i++)
        if (!(env[n++] = wrp_strf ("%s=%s", req->env_name[i], req->env_value[i])))
            goto fail;
    return env;
fail:
    s_free_env (&env);
    return NULL;
}

//  The environment of a live process (for an adopted runtime's stop binary).
static char **
s_read_environ (pid_t pid)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/environ", (int) pid);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t size = 0, max = 1 << 20;
    char *data = malloc (max + 1);
    while (data && size < max) {
        ssize_t got = read (fd, data + size, max - size);
        if (got <= 0)
            break;
        size += (size_t) got;
    }
    close (fd);
    if (!data)
        return NULL;
    data[size] = 0;
    size_t count = 0;
    for (size_t i = 0; i < size; i++)
        count += data[i] == 0;
    char **env = calloc (count + 2, sizeof *env);
    size_t n = 0;
    for (size_t i = 0; env && i < size; i += strlen (data + i) + 1)
        if (data[i] && !(env[n++] = strdup (data + i))) {
            s_free_env (&env);
            break;
        }
    free (data);
    return env;
}

//  Is anyone bound to address:port? Names the holder (pid and command) in
//  ret_holder when /proc tells.
static bool
s_port_taken (const char *address, int port, char *holder, size_t holder_size)
{
    *holder = 0;
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int one = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    inet_pton (AF_INET, address, &sa.sin_addr);
    bool taken =
        bind (fd, (struct sockaddr *) &sa, sizeof sa) != 0 && errno == EADDRINUSE;
    close (fd);
    if (!taken)
        return false;
    //  Best effort: the listening socket's inode, then a process holding it.
    unsigned long inode = 0;
    const char *tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (int t = 0; t < 2 && !inode; t++) {
        FILE *file = fopen (tables[t], "re");
        char line[512];
        while (file && fgets (line, sizeof line, file)) {
            char local[64];
            unsigned int state = 0;
            unsigned long node = 0;
            if (sscanf (line, " %*d: %63s %*s %x %*s %*s %*s %*d %*d %lu", local, &state,
                        &node) != 3)
                continue;
            //  "0100007F:15B3": the raw 32-bit address in hex, then the port. A
            //  listener on our address or on any address holds it.
            char *colon = strrchr (local, ':');
            uint32_t addr = (uint32_t) strtoul (local, NULL, 16);
            bool ours = t == 1 || addr == sa.sin_addr.s_addr || addr == 0;
            if (colon && strtol (colon + 1, NULL, 16) == port && state == 0x0A && ours) {
                inode = node;
                break;
            }
        }
        if (file)
            fclose (file);
    }
    if (!inode)
        return true;
    char want[64];
    snprintf (want, sizeof want, "socket:[%lu]", inode);
    DIR *proc = opendir ("/proc");
    struct dirent *entry;
    while (proc && !*holder && (entry = readdir (proc))) {
        if (!isdigit ((unsigned char) entry->d_name[0]))
            continue;
        char dir[300];
        snprintf (dir, sizeof dir, "/proc/%s/fd", entry->d_name);
        DIR *fds = opendir (dir);
        struct dirent *fde;
        while (fds && !*holder && (fde = readdir (fds))) {
            char link[600], target[128];
            snprintf (link, sizeof link, "%s/%s", dir, fde->d_name);
            ssize_t len = readlink (link, target, sizeof target - 1);
            if (len <= 0)
                continue;
            target[len] = 0;
            if (strcmp (target, want))
                continue;
            char comm[64] = "?", path[300];
            snprintf (path, sizeof path, "/proc/%s/comm", entry->d_name);
            FILE *file = fopen (path, "re");
            if (file) {
                if (fgets (comm, sizeof comm, file))
                    comm[strcspn (comm, "\n")] = 0;
                fclose (file);
            }
            snprintf (holder, holder_size, "pid %.20s (%.32s)", entry->d_name, comm);
        }
        if (fds)
            closedir (fds);
    }
    if (proc)
        closedir (proc);
    return true;
}

//  Last lines of the runtime's log since this run started: up to
//  WRP_OUTPUT_LINES lines and WRP_OUTPUT_BYTES bytes. Caller frees.
static char *
s_log_tail (wrp_supervisor_t *self)
{
    if (!self->rec.pipeline[0])
        return NULL;
    char *path = s_pipeline_path (self, self->rec.pipeline, "runtime.log");
    int fd = path ? open (path, O_RDONLY | O_CLOEXEC) : -1;
    free (path);
    if (fd < 0)
        return NULL;
    struct stat st;
    char buf[WRP_OUTPUT_BYTES + 1];
    ssize_t got = -1;
    if (fstat (fd, &st) == 0) {
        off_t from = st.st_size - WRP_OUTPUT_BYTES;
        if (from < self->log_offset)
            from = self->log_offset;
        if (from < 0)
            from = 0;
        got = pread (fd, buf, WRP_OUTPUT_BYTES, from);
    }
    close (fd);
    if (got <= 0)
        return NULL;
    buf[got] = 0;
    for (ssize_t i = 0; i < got; i++)
        if (buf[i] == 0)
            buf[i] = ' ';
    while (got > 0 && buf[got - 1] == '\n')
        buf[--got] = 0;
    //  Keep the last WRP_OUTPUT_LINES complete lines.
    int lines = 0;
    char *start = buf;
    for (ssize_t i = got - 1; i >= 0; i--)
        if (buf[i] == '\n' && ++lines == WRP_OUTPUT_LINES) {
            start = buf + i + 1;
            break;
        }
    return strdup (start);
}

//  The line saying why the runtime ended: its last FATAL/error line, else
//  its last line.
static void
s_reason_line (const char *output, char *line, size_t size)
{
    *line = 0;
    if (!output)
        return;
    const char *best = NULL, *last = NULL;
    for (const char *at = output; *at;) {
        const char *end = strchr (at, '\n');
        size_t len = end ? (size_t) (end - at) : strlen (at);
        if (len > 0) {
            last = at;
            if (strstr (at, "FATAL") && (!end || strstr (at, "FATAL") < end))
                best = at;
            else if (!best &&
                     ((memmem (at, len, "ERROR", 5)) || memmem (at, len, "rror", 4)))
                best = at;
        }
        at = end ? end + 1 : at + len;
    }
    const char *pick = best ? best : last;
    if (!pick)
        return;
    size_t len = strcspn (pick, "\n");
    if (len >= size)
        len = size - 1;
    memcpy (line, pick, len);
    line[len] = 0;
}

static void
s_save (wrp_supervisor_t *self)
{
    snprintf (self->rec.state, sizeof self->rec.state, "%s",
              wrp_supervisor_state_name (self->state));
    char *err = NULL;
    if (wrp_store_save_state (self->store, &self->rec, &err)) {
        wrp_error ("cannot save the agent state: %s", err ? err : "?");
        free (err);
    }
}

static void
s_set_state (wrp_supervisor_t *self, wrp_rt_state_t state)
{
    self->state = state;
    s_save (self);
}

static void
s_close_probe (wrp_supervisor_t *self)
{
    if (self->probe_fd >= 0)
        close (self->probe_fd);
    self->probe_fd = -1;
    self->next_probe = -1;
}

//  One readiness probe: true when runtime_address:port+1 accepted.
static bool
s_probe (wrp_supervisor_t *self)
{
    if (self->probe_fd >= 0) {
        struct pollfd pfd = {.fd = self->probe_fd, .events = POLLOUT};
        if (poll (&pfd, 1, 0) == 0)
            return false;    //  still connecting
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt (self->probe_fd, SOL_SOCKET, SO_ERROR, &error, &len);
        close (self->probe_fd);
        self->probe_fd = -1;
        return error == 0;
    }
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons ((uint16_t) (self->rec.port + 1))};
    inet_pton (AF_INET, self->config->runtime_address, &sa.sin_addr);
    if (connect (fd, (struct sockaddr *) &sa, sizeof sa) == 0) {
        close (fd);
        return true;
    }
    if (errno == EINPROGRESS)
        self->probe_fd = fd;
    else
        close (fd);
    return false;
}

static void
s_finish_op (wrp_supervisor_t *self, bool ok, const char *code, const char *text)
{
    wrp_supervisor_result_t result = {
        .op = self->op, .ok = ok, .code = code, .text = text};
    self->op = WRP_CMD_INVALID;
    self->phase = S_PHASE_NONE;
    self->timed_out = false;
    free (self->stop_note);
    self->stop_note = NULL;
    if (self->helper > 0)
        kill (self->helper, SIGKILL);    //  reaped on SIGCHLD
    if (result.op != WRP_CMD_INVALID && self->fn)
        self->fn (self->arg, &result);
}

//  Describes how a process ended from a wait status.
static void
s_describe_end (int status, int *ret_code, int *ret_signal, char *text, size_t size)
{
    if (WIFEXITED (status)) {
        *ret_code = WEXITSTATUS (status);
        *ret_signal = 0;
        snprintf (text, size, "exited with code %d", *ret_code);
    } else if (WIFSIGNALED (status)) {
        *ret_code = -1;
        *ret_signal = WTERMSIG (status);
        snprintf (text, size, "killed by signal %d (%s)", *ret_signal,
                  sigabbrev_np (*ret_signal) ? sigabbrev_np (*ret_signal) : "?");
    } else {
        *ret_code = -1;
        *ret_signal = 0;
        snprintf (text, size, "ended");
    }
}

//  The runtime's pidfd became readable: it has ended. Collects the status
//  and settles the operation under way.
static void
s_on_exit (wrp_supervisor_t *self)
{
    int status = 0;
    bool known = false;
    if (self->is_child) {
        //  Still a zombie: sweep what is left of its group first, while the
        //  pid cannot be reused.
        if (self->op != WRP_CMD_INVALID)
            killpg (self->rec.pid, SIGKILL);
        siginfo_t info;
        memset (&info, 0, sizeof info);
        if (waitid ((idtype_t) P_PIDFD, (id_t) self->pidfd, &info, WEXITED | WNOHANG) ==
                0 &&
            info.si_pid != 0) {
            known = true;
            status = info.si_code == CLD_EXITED ? W_EXITCODE (info.si_status, 0)
                                                : (info.si_status & 0x7f);
        } else
            return;    //  not ended yet (spurious wake-up)
    } else {
        //  Not our child: a zombie still shows its status in /proc; once
        //  its new parent reaped it, Linux >= 6.15 tells through the pidfd.
        char pstate = 0;
        int code = -1;
        if (s_proc_stat (self->rec.pid, &pstate, NULL, NULL, &code) == 0) {
            if (pstate != 'Z' && pstate != 'X')
                return;    //  still alive
            known = code >= 0;
            status = code;
        }
        if (!known) {
            s_pidfd_info_t info;
            memset (&info, 0, sizeof info);
            info.mask = S_PIDFD_INFO_EXIT;
            if (ioctl (self->pidfd, S_PIDFD_GET_INFO, &info) == 0 &&
                (info.mask & S_PIDFD_INFO_EXIT)) {
                known = true;
                status = info.exit_code;
            }
        }
    }
    close (self->pidfd);
    self->pidfd = -1;
    s_close_probe (self);
    char how[128] = "ended; exit status unknown (it was not the agent's child)";
    self->rec.exit_code = -1;
    self->rec.signal = 0;
    if (known)
        s_describe_end (status, &self->rec.exit_code, &self->rec.signal, how, sizeof how);
    wrp_info ("runtime pid %d %s", self->rec.pid, how);
    char *output = s_log_tail (self);
    char reason[256];
    s_reason_line (output, reason, sizeof reason);
    free (output);
    int pid = self->rec.pid;
    self->rec.pid = 0;
    self->rec.start_time = 0;

    if (self->op == WRP_CMD_START) {
        char *text = NULL;
        if (self->timed_out)
            text = wrp_strf (
                "runtime not ready within its start timeout: %s after it was killed",
                how);
        else
            text = wrp_strf ("runtime pid %d %s before serving%s%s", pid, how,
                             *reason ? ": " : "", reason);
        snprintf (self->rec.error, sizeof self->rec.error, "%s", text ? text : how);
        s_set_state (self, WRP_RT_FAILED);
        s_finish_op (self, false, self->timed_out ? "TIMEOUT" : "FAILED",
                     self->rec.error);
        free (text);
        return;
    }
    if (self->op == WRP_CMD_STOP || self->op == WRP_CMD_KILL ||
        self->rec.stop_requested) {
        self->rec.error[0] = 0;
        s_set_state (self, WRP_RT_STOPPED);
        char *text =
            wrp_strf ("runtime pid %d %s%s%s", pid, how, self->stop_note ? " " : "",
                      self->stop_note ? self->stop_note : "");
        s_finish_op (self, true, NULL, text ? text : how);
        free (text);
        return;
    }
    //  Nobody asked it to end.
    char *text = wrp_strf ("runtime pid %d %s without being asked%s%s", pid, how,
                           *reason ? ": " : "", reason);
    snprintf (self->rec.error, sizeof self->rec.error, "%s", text ? text : how);
    free (text);
    s_set_state (self, WRP_RT_FAILED);
    wrp_warning ("%s", self->rec.error);
    if (self->fn)
        self->fn (self->arg, NULL);
}

static void
s_escalate (wrp_supervisor_t *self, s_phase_t phase)
{
    self->phase = phase;
    self->phase_deadline = zclock_mono () + self->step_ms;
    if (phase == S_PHASE_TERM) {
        wrp_info ("runtime pid %d: SIGTERM to its process group", self->rec.pid);
        s_signal (self, SIGTERM);
    } else if (phase == S_PHASE_KILL) {
        wrp_info ("runtime pid %d: SIGKILL to its process group", self->rec.pid);
        s_signal (self, SIGKILL);
    }
}

static void
s_reap_helper (wrp_supervisor_t *self)
{
    if (self->helper <= 0)
        return;
    int status = 0;
    pid_t got = waitpid (self->helper, &status, WNOHANG);
    if (got == self->helper) {
        int code = 0, sig = 0;
        char how[96];
        s_describe_end (status, &code, &sig, how, sizeof how);
        wrp_info ("stop binary (pid %d) %s", (int) self->helper, how);
        self->helper = 0;
        //  It failed (the real one aborts when it finds no runtime's
        //  segments): no stop was delivered, so waiting is pointless.
        if (self->phase == S_PHASE_STOP_BINARY && (code || sig)) {
            free (self->stop_note);
            self->stop_note = wrp_strf ("(the stop binary %s: stopped by signal)", how);
            s_escalate (self, S_PHASE_TERM);
        }
    } else if (got < 0 && errno == ECHILD)
        self->helper = 0;
}

void
wrp_supervisor_wake (wrp_supervisor_t *self)
{
    s_reap_helper (self);
    if (self->pidfd >= 0) {
        struct pollfd pfd = {.fd = self->pidfd, .events = POLLIN};
        if (poll (&pfd, 1, 0) > 0)
            s_on_exit (self);
    }
    int64_t now = zclock_mono ();
    if (self->state == WRP_RT_STARTING && self->pidfd >= 0 && !self->timed_out &&
        self->next_probe >= 0 && now >= self->next_probe) {
        if (s_probe (self)) {
            s_close_probe (self);
            //  The real runtime listens before it loads its modules and
            //  exits 1 some 10 ms later when they are missing: it runs once
            //  it still serves after a settle time, twice its time to listen.
            if (!self->served_at) {
                int64_t settle = 2 * (now - self->spawned);
                settle = settle < S_SETTLE_MIN_MS   ? S_SETTLE_MIN_MS
                         : settle > S_SETTLE_MAX_MS ? S_SETTLE_MAX_MS
                                                    : settle;
                self->served_at = now;
                self->next_probe = now + settle;
                return;
            }
            s_set_state (self, WRP_RT_RUNNING);
            wrp_info ("runtime pid %d serves on %s:%d", self->rec.pid,
                      self->config->runtime_address, self->rec.port + 1);
            if (self->op == WRP_CMD_START)
                s_finish_op (self, true, NULL, "running");
            else if (self->fn)
                self->fn (self->arg, NULL);
            return;
        }
        self->next_probe = now + S_PROBE_MS;
    }
    if (self->op == WRP_CMD_START && !self->timed_out && now >= self->op_deadline &&
        self->pidfd >= 0) {
        wrp_warning ("runtime pid %d not serving on %s:%d in time; killing it",
                     self->rec.pid, self->config->runtime_address, self->rec.port + 1);
        self->timed_out = true;
        s_close_probe (self);
        s_escalate (self, S_PHASE_TERM);
        return;
    }
    if (self->phase != S_PHASE_NONE && self->pidfd >= 0 && now >= self->phase_deadline) {
        if (self->phase == S_PHASE_STOP_BINARY)
            s_escalate (self, S_PHASE_TERM);
        else if (self->phase == S_PHASE_TERM)
            s_escalate (self, S_PHASE_KILL);
        else {
            char *text =
                wrp_strf ("runtime pid %d still there after SIGKILL", self->rec.pid);
            self->phase = S_PHASE_NONE;
            s_finish_op (self, false, "TIMEOUT",
                         text ? text : "still there after SIGKILL");
            free (text);
        }
    }
}

int64_t
wrp_supervisor_deadline (wrp_supervisor_t *self)
{
    int64_t next = -1;
    if (self->state == WRP_RT_STARTING && self->next_probe >= 0)
        next = self->next_probe;
    if (self->op == WRP_CMD_START && !self->timed_out &&
        (next < 0 || self->op_deadline < next))
        next = self->op_deadline;
    if (self->phase != S_PHASE_NONE && (next < 0 || self->phase_deadline < next))
        next = self->phase_deadline;
    return next;
}

int
wrp_supervisor_fd (wrp_supervisor_t *self)
{
    return self->pidfd;
}

wrp_rt_state_t
wrp_supervisor_state (wrp_supervisor_t *self)
{
    return self->state;
}

// ---------------------------------------------------------------------------
//  Commands

int
wrp_supervisor_start (wrp_supervisor_t *self, const wrp_start_req_t *req,
                      const char **ret_code, char **ret_text)
{
    if (self->pidfd >= 0 &&
        (self->state == WRP_RT_RUNNING || self->state == WRP_RT_STARTING))
        return 1;
    if (self->pidfd >= 0) {
        *ret_code = "BUSY";
        *ret_text = wrp_strf ("runtime pid %d is %s", self->rec.pid,
                              wrp_supervisor_state_name (self->state));
        return -1;
    }
    char *binary = s_resolve (self->config->start_binary);
    if (!binary) {
        *ret_code = "NOT_FOUND";
        *ret_text =
            wrp_strf ("%s: not found%s%s", self->config->start_binary,
                      self->config->start_binary[0] == '/' ? "" : " on the agent's PATH ",
                      self->config->start_binary[0] == '/'
                          ? ""
                          : (getenv ("PATH") ? getenv ("PATH") : ""));
        return -1;
    }
    //  A second runtime would unlink the first one's segments: never start
    //  one while its ports are held.
    for (int p = req->port; p <= req->port + 1; p++) {
        char holder[128];
        if (s_port_taken (self->config->runtime_address, p, holder, sizeof holder)) {
            *ret_code = "BUSY";
            *ret_text = wrp_strf (
                "port %d on %s is already in use%s%s; not starting a second "
                "runtime",
                p, self->config->runtime_address, *holder ? " by " : "", holder);
            free (binary);
            return -1;
        }
    }
    char *err = NULL;
    char *dir = s_pipeline_path (self, req->pipeline, NULL);
    char *conf = s_pipeline_path (self, req->pipeline, S_CONFIG_NAME);
    char *hostfile = s_pipeline_path (self, req->pipeline, "hostfile");
    char *log = s_pipeline_path (self, req->pipeline, "runtime.log");
    char **env = NULL;
    int log_fd = -1;
    int rc = -1;
    *ret_code = "INTERNAL";
    if (!dir || !conf || !hostfile || !log) {
        *ret_text = wrp_strf ("out of memory");
        goto out;
    }
    if (wrp_file_mkdirs (dir, 0700, &err) ||
        wrp_file_write_atomic (conf, req->config, req->config_size, 0644, &err) ||
        (req->hostfile && wrp_file_write_atomic (hostfile, req->hostfile,
                                                 req->hostfile_size, 0644, &err))) {
        *ret_text = err;
        err = NULL;
        goto out;
    }
    if (!(env = s_build_env (conf, self->config->user, req))) {
        *ret_text = wrp_strf ("out of memory");
        goto out;
    }
    log_fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
    struct stat st;
    if (log_fd < 0 || fstat (log_fd, &st)) {
        *ret_text = wrp_strf ("%s: %s", log, strerror (errno));
        goto out;
    }
    pid_t pid = s_spawn (binary, env, log_fd);
    if (pid < 0) {
        *ret_code = "FAILED";
        *ret_text = wrp_strf ("cannot run %s: %s", binary, strerror (errno));
        goto out;
    }
    self->pidfd = s_pidfd_open (pid);
    if (self->pidfd < 0) {
        //  Cannot watch it: do not leave an unsupervised runtime behind.
        killpg (pid, SIGKILL);
        waitpid (pid, NULL, 0);
        *ret_text = wrp_strf ("pidfd_open: %s", strerror (errno));
        goto out;
    }
    self->is_child = true;
    self->log_offset = st.st_size;
    s_free_env (&self->child_env);
    self->child_env = env;
    env = NULL;
    uint64_t start_time = 0;
    s_proc_stat (pid, NULL, NULL, &start_time, NULL);
    self->rec.pid = pid;
    self->rec.start_time = start_time;
    self->rec.started_at_ms = zclock_time ();
    snprintf (self->rec.pipeline, sizeof self->rec.pipeline, "%s", req->pipeline);
    self->rec.generation = req->generation;
    wrp_sha256_hex (req->config, req->config_size, self->rec.sha256);
    self->rec.starts++;
    self->rec.port = req->port;
    self->rec.exit_code = -1;
    self->rec.signal = 0;
    self->rec.stop_requested = false;
    self->rec.error[0] = 0;
    self->op = WRP_CMD_START;
    self->timed_out = false;
    self->op_deadline =
        zclock_mono () +
        (req->timeout_ms > 0 ? req->timeout_ms : self->config->start_timeout_ms);
    self->step_ms = self->config->stop_timeout_ms;
    self->next_probe = zclock_mono () + S_PROBE_MS;
    self->spawned = zclock_mono ();
    self->served_at = 0;
    s_set_state (self, WRP_RT_STARTING);
    wrp_info ("started %s (pid %d) for pipeline %s, generation %" PRId64 ", config %s",
              binary, (int) pid, req->pipeline, req->generation, conf);
    rc = 0;
out:
    if (log_fd >= 0)
        close (log_fd);
    s_free_env (&env);
    free (err);
    free (binary);
    free (dir);
    free (conf);
    free (hostfile);
    free (log);
    return rc;
}

static int
s_step_ms (wrp_supervisor_t *self, int timeout_ms)
{
    int step = self->config->stop_timeout_ms;
    if (timeout_ms > 0 && timeout_ms / 3 < step)
        step = timeout_ms / 3 > 0 ? timeout_ms / 3 : 1;
    return step;
}

int
wrp_supervisor_stop (wrp_supervisor_t *self, int timeout_ms)
{
    if (self->pidfd < 0)
        return 1;
    self->op = WRP_CMD_STOP;
    self->step_ms = s_step_ms (self, timeout_ms);
    self->rec.stop_requested = true;
    s_close_probe (self);
    s_set_state (self, WRP_RT_STOPPING);
    char *binary = s_resolve (self->config->stop_binary);
    if (!self->child_env)
        self->child_env = s_read_environ (self->rec.pid);
    if (binary && self->child_env && self->helper <= 0) {
        char *log = s_pipeline_path (self, self->rec.pipeline, "runtime.log");
        int log_fd =
            log ? open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640)
                : -1;
        if (log_fd < 0)
            log_fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
        pid_t pid = s_spawn (binary, self->child_env, log_fd);
        if (log_fd >= 0)
            close (log_fd);
        free (log);
        if (pid > 0) {
            self->helper = pid;
            wrp_info ("runtime pid %d: ran %s (pid %d)", self->rec.pid, binary,
                      (int) pid);
            free (binary);
            s_escalate (self, S_PHASE_STOP_BINARY);
            return 0;
        }
        wrp_warning ("cannot run %s: %s; going on with SIGTERM", binary,
                     strerror (errno));
    } else
        wrp_warning ("%s: not found on the agent's PATH; stopping with SIGTERM",
                     self->config->stop_binary);
    free (self->stop_note);
    self->stop_note =
        wrp_strf ("(%s not found: stopped by signal)", self->config->stop_binary);
    free (binary);
    s_escalate (self, S_PHASE_TERM);
    return 0;
}

int
wrp_supervisor_kill (wrp_supervisor_t *self, int timeout_ms)
{
    if (self->pidfd < 0)
        return 1;
    //  Any operation under way is replaced without a callback: the caller
    //  answers it.
    self->op = WRP_CMD_KILL;
    self->timed_out = false;
    self->step_ms = s_step_ms (self, timeout_ms);
    self->rec.stop_requested = true;
    s_close_probe (self);
    if (self->helper > 0)
        kill (self->helper, SIGKILL);
    s_set_state (self, WRP_RT_STOPPING);
    s_escalate (self, S_PHASE_KILL);
    return 0;
}

int
wrp_supervisor_clean (wrp_supervisor_t *self, const char *pipeline, char **ret_removed,
                      const char **ret_code, char **ret_text)
{
    if (self->pidfd >= 0) {
        *ret_code = "REFUSED";
        *ret_text = wrp_strf ("runtime pid %d is %s: stop it before clean", self->rec.pid,
                              wrp_supervisor_state_name (self->state));
        return -1;
    }
    if (!pipeline && self->rec.pipeline[0])
        pipeline = self->rec.pipeline;
    if (pipeline && !wrp_supervisor_pipeline_name_ok (pipeline)) {
        *ret_code = "REFUSED";
        *ret_text =
            wrp_strf ("pipeline name '%.80s' is not [A-Za-z0-9_.-]{1,64}", pipeline);
        return -1;
    }
    char *text = NULL;
    size_t size = 0;
    static const char *files[] = {S_CONFIG_NAME, "hostfile", "runtime.log"};
    for (size_t i = 0; pipeline && i < 3; i++) {
        char *path = s_pipeline_path (self, pipeline, files[i]);
        struct stat st;
        if (path && lstat (path, &st) == 0 && unlink (path) == 0) {
            char *line =
                wrp_strf ("%s%s%s\t%lld", text ? text : "", text ? "\n" : "", path,
                          S_ISREG (st.st_mode) ? (long long) st.st_size : 0LL);
            if (line) {
                free (text);
                text = line;
                size = strlen (text);
            }
        }
        free (path);
    }
    if (pipeline) {
        char *dir = s_pipeline_path (self, pipeline, NULL);
        if (dir)
            rmdir (dir);    //  only when empty: other files stay
        free (dir);
    }
    char *segments = NULL, *err = NULL;
    if (wrp_shm_clean (self->config->shm_dir, &segments, &err)) {
        *ret_code = "INTERNAL";
        *ret_text = wrp_strf ("%s%s%s", err ? err : "shm clean failed",
                              text ? "; removed: " : "", text ? text : "");
        free (err);
        free (text);
        return -1;
    }
    char *all =
        wrp_strf ("%s%s%s", text ? text : "", (size && *segments) ? "\n" : "", segments);
    free (text);
    free (segments);
    if (!all) {
        *ret_code = "INTERNAL";
        *ret_text = wrp_strf ("out of memory");
        return -1;
    }
    *ret_removed = all;
    return 0;
}

void
wrp_supervisor_status (wrp_supervisor_t *self, wrp_msg_t *reply)
{
    wrp_msg_set_str (reply, "node", self->config->node_name);
    wrp_msg_set_str (reply, "state", wrp_supervisor_state_name (self->state));
    if (self->pidfd >= 0 && self->rec.pid > 0) {
        wrp_msg_set_int (reply, "pid", self->rec.pid);
        int64_t uptime = zclock_time () - self->rec.started_at_ms;
        wrp_msg_set_int (reply, "uptime_ms", uptime > 0 ? uptime : 0);
    } else {
        if (self->rec.exit_code >= 0)
            wrp_msg_set_int (reply, "exit_code", self->rec.exit_code);
        if (self->rec.signal > 0)
            wrp_msg_set_int (reply, "signal", self->rec.signal);
    }
    wrp_msg_set_int (reply, "starts", self->rec.starts);
    if (self->rec.pipeline[0])
        wrp_msg_set_str (reply, "pipeline", self->rec.pipeline);
    if (self->rec.generation >= 0)
        wrp_msg_set_int (reply, "generation", self->rec.generation);
    if (self->rec.sha256[0])
        wrp_msg_set_str (reply, "sha256", self->rec.sha256);
    wrp_msg_set_str (reply, "state_dir", wrp_store_dir (self->store));
    char *shm = NULL, *err = NULL;
    if (wrp_shm_list (self->config->shm_dir, &shm, &err) == 0)
        wrp_msg_set_str (reply, "shm", shm);
    free (shm);
    free (err);
    if (self->state == WRP_RT_FAILED) {
        if (self->rec.error[0])
            wrp_msg_set_str (reply, "error", self->rec.error);
        char *output = s_log_tail (self);
        if (output)
            wrp_msg_set_str (reply, "output", output);
        free (output);
    }
    wrp_msg_set_str (reply, "agent_version", WRP_AGENT_VERSION);
}

// ---------------------------------------------------------------------------
//  Life

wrp_supervisor_t *
wrp_supervisor_new (const wrp_agent_config_t *config, wrp_store_t *store,
                    wrp_supervisor_fn *fn, void *arg)
{
    wrp_supervisor_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = config;
    self->store = store;
    self->fn = fn;
    self->arg = arg;
    self->rec = *wrp_store_state (store);
    self->state = s_state_from_name (self->rec.state);
    self->pidfd = -1;
    self->probe_fd = -1;
    self->next_probe = -1;
    self->op = WRP_CMD_INVALID;
    self->step_ms = config->stop_timeout_ms;
    return self;
}

void
wrp_supervisor_destroy (wrp_supervisor_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_supervisor_t *self = *self_p;
    if (self->pidfd >= 0)
        close (self->pidfd);
    s_close_probe (self);
    s_free_env (&self->child_env);
    free (self->stop_note);
    free (self);
    *self_p = NULL;
}

char *
wrp_supervisor_adopt (wrp_supervisor_t *self)
{
    if (self->rec.pid <= 0) {
        //  Nothing ran; a state claiming otherwise cannot be true.
        if (self->state != WRP_RT_STOPPED && self->state != WRP_RT_FAILED)
            s_set_state (self, WRP_RT_STOPPED);
        return NULL;
    }
    pid_t pid = self->rec.pid;
    uint64_t start = 0;
    char pstate = 0;
    int fd = -1;
    bool alive = s_proc_stat (pid, &pstate, NULL, &start, NULL) == 0 && pstate != 'Z' &&
                 pstate != 'X' && start == self->rec.start_time &&
                 (fd = s_pidfd_open (pid)) >= 0;
    //  Check again with the pidfd held: the pid cannot change under it now.
    if (alive && (s_proc_stat (pid, &pstate, NULL, &start, NULL) ||
                  start != self->rec.start_time)) {
        close (fd);
        alive = false;
    }
    if (alive) {
        self->pidfd = fd;
        self->is_child = false;
        wrp_rt_state_t was = self->state;
        self->state = WRP_RT_STARTING;
        self->next_probe = zclock_mono ();
        self->spawned = self->next_probe;
        self->served_at = was == WRP_RT_RUNNING ? self->spawned : 0;    //  settled
        if (s_probe (self)) {
            s_close_probe (self);
            self->state = WRP_RT_RUNNING;
        } else
            self->next_probe = zclock_mono () + S_PROBE_MS;
        //  A stop cut short by the agent's restart is not pending any more.
        self->rec.stop_requested = false;
        s_save (self);
        return wrp_strf ("re-adopted runtime pid %d (pipeline %s, was %s, now %s)",
                         (int) pid, self->rec.pipeline, wrp_supervisor_state_name (was),
                         wrp_supervisor_state_name (self->state));
    }
    if (self->state == WRP_RT_STOPPED || self->state == WRP_RT_FAILED) {
        self->rec.pid = 0;
        s_save (self);
        return NULL;
    }
    self->rec.pid = 0;
    self->rec.start_time = 0;
    self->rec.exit_code = -1;
    self->rec.signal = 0;
    if (self->rec.stop_requested) {
        self->rec.error[0] = 0;
        s_set_state (self, WRP_RT_STOPPED);
        return wrp_strf (
            "runtime pid %d ended while the agent was down (it was being stopped)",
            (int) pid);
    }
    snprintf (self->rec.error, sizeof self->rec.error,
              "runtime pid %d ended while the agent was down; exit status unknown",
              (int) pid);
    s_set_state (self, WRP_RT_FAILED);
    return wrp_strf ("%s", self->rec.error);
}

void
wrp_supervisor_test (bool verbose)
{
    (void) verbose;
    assert (wrp_supervisor_pipeline_name_ok ("basic_runtime-1.0"));
    assert (!wrp_supervisor_pipeline_name_ok (".."));
    assert (!wrp_supervisor_pipeline_name_ok ("."));
    assert (!wrp_supervisor_pipeline_name_ok ("../../etc"));
    assert (!wrp_supervisor_pipeline_name_ok (""));
    assert (!wrp_supervisor_pipeline_name_ok ("a b"));
    char long_name[70];
    memset (long_name, 'a', 65);
    long_name[65] = 0;
    assert (!wrp_supervisor_pipeline_name_ok (long_name));
    long_name[64] = 0;
    assert (wrp_supervisor_pipeline_name_ok (long_name));

    wrp_msg_t *msg = wrp_msg_new (WRP_CMD_START, "t1");
    assert (msg);
    wrp_start_req_t req;
    const char *code = NULL;
    char err[256];
    assert (wrp_supervisor_validate_start (msg, &req, &code, err, sizeof err) == -1);
    assert (!strcmp (code, "BAD_REQUEST") && strstr (err, "pipeline"));
    wrp_msg_set_str (msg, "pipeline", "basic");
    wrp_msg_set_str (msg, "config", "networking:\n  port: 9000\n");
    wrp_msg_set_str (msg, "port", "9000");
    wrp_msg_set_str (msg, "env.CHI_REPO_PATH", "/opt/chi/lib");
    wrp_msg_set_str (msg, "env.LD_LIBRARY_PATH", "/opt/chi/lib");
    assert (wrp_supervisor_validate_start (msg, &req, &code, err, sizeof err) == 0);
    assert (req.port == 9000 && req.env_count == 2 && !req.hostfile);
    assert (!strcmp (req.env_name[0], "CHI_REPO_PATH"));
    const char *refused[] = {"env.LD_PRELOAD", "env.LD_AUDIT", "env.GCONV_PATH",
                             "env.USER"};
    for (size_t i = 0; i < 4; i++) {
        wrp_msg_t *bad = wrp_msg_dup (msg);
        wrp_msg_set_str (bad, refused[i], "/tmp/x.so");
        assert (wrp_supervisor_validate_start (bad, &req, &code, err, sizeof err) == -1);
        assert (!strcmp (code, "REFUSED") && strstr (err, refused[i] + 4));
        wrp_msg_destroy (&bad);
    }
    const char *bad_fields[][2] = {
        {"port", "65535"}, {"port", "x"},       {"generation", "-1"},
        {"env.1X", "y"},   {"timeout_ms", "0"}, {"pipeline", "../../etc"},
    };
    for (size_t i = 0; i < 6; i++) {
        wrp_msg_t *bad = wrp_msg_dup (msg);
        wrp_msg_set_str (bad, bad_fields[i][0], bad_fields[i][1]);
        assert (wrp_supervisor_validate_start (bad, &req, &code, err, sizeof err) == -1);
        wrp_msg_destroy (&bad);
    }
    wrp_msg_destroy (&msg);

    char line[128];
    s_reason_line ("info\nFATAL ChiMod 'x' not found\nbye", line, sizeof line);
    assert (!strcmp (line, "FATAL ChiMod 'x' not found"));
    s_reason_line ("a\nlast", line, sizeof line);
    assert (!strcmp (line, "last"));
    int code_out = 0, sig = 0;
    s_describe_end (W_EXITCODE (3, 0), &code_out, &sig, line, sizeof line);
    assert (code_out == 3 && sig == 0);
    s_describe_end (SIGSEGV, &code_out, &sig, line, sizeof line);
    assert (sig == SIGSEGV && strstr (line, "SEGV"));
}
