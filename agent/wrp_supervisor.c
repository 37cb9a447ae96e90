/*  wrp_supervisor — the runtime's state machine. See wrp_supervisor.h.     */

#include "wrp_supervisor.h"
#include "wrp_log.h"
#include "wrp_names.h"
#include "wrp_output.h"
#include "wrp_proc.h"
#include "wrp_sha256.h"
#include "wrp_shm.h"
#include "wrp_str.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_PROBE_MS      10     //  readiness probe period while starting
#define S_SETTLE_MIN_MS 100    //  bounds of the settle time (see s_wake_probe)
#define S_SETTLE_MAX_MS 2000

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

static const char *s_state_names[] = {WRP_STATE_STOPPED, WRP_STATE_STARTING,
                                      WRP_STATE_RUNNING, WRP_STATE_STOPPING,
                                      WRP_STATE_FAILED};
#define S_STATES (sizeof s_state_names / sizeof s_state_names[0])

const char *
wrp_supervisor_state_name (wrp_rt_state_t state)
{
    return (unsigned) state < S_STATES ? s_state_names[state] : WRP_STATE_FAILED;
}

static wrp_rt_state_t
s_state_from_name (const char *name)
{
    for (size_t i = 0; i < S_STATES; i++)
        if (!strcmp (name, s_state_names[i]))
            return (wrp_rt_state_t) i;
    return WRP_RT_STOPPED;
}

// ---------------------------------------------------------------------------
//  Steps

static char *
s_log_tail (wrp_supervisor_t *self)
{
    return wrp_store_log_tail (self->store, self->rec.pipeline, self->log_offset);
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
    return wrp_proc_probe (self->config->runtime_address, self->rec.port + 1,
                           &self->probe_fd);
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

//  Sets rec.error to text (or how when text is NULL: out of memory).
static void
s_set_error (wrp_supervisor_t *self, char *text, const char *how)
{
    snprintf (self->rec.error, sizeof self->rec.error, "%s", text ? text : how);
    free (text);
}

//  START ended with the runtime's exit: it died, or was killed on timeout.
static void
s_exit_during_start (wrp_supervisor_t *self, int pid, const char *how, const char *reason)
{
    if (self->timed_out)
        s_set_error (self,
                     wrp_strf ("runtime not ready within its start timeout: %s after it "
                               "was killed",
                               how),
                     how);
    else
        s_set_error (self,
                     wrp_strf ("runtime pid %d %s before serving%s%s", pid, how,
                               *reason ? ": " : "", reason),
                     how);
    s_set_state (self, WRP_RT_FAILED);
    s_finish_op (self, false, self->timed_out ? WRP_ERR_TIMEOUT : WRP_ERR_FAILED,
                 self->rec.error);
}

//  It ended as asked (STOP, KILL, or a stop cut short by a restart).
static void
s_exit_when_asked (wrp_supervisor_t *self, int pid, const char *how)
{
    self->rec.error[0] = 0;
    s_set_state (self, WRP_RT_STOPPED);
    char *text = wrp_strf ("runtime pid %d %s%s%s", pid, how, self->stop_note ? " " : "",
                           self->stop_note ? self->stop_note : "");
    s_finish_op (self, true, NULL, text ? text : how);
    free (text);
}

//  Nobody asked it to end.
static void
s_exit_unasked (wrp_supervisor_t *self, int pid, const char *how, const char *reason)
{
    s_set_error (self,
                 wrp_strf ("runtime pid %d %s without being asked%s%s", pid, how,
                           *reason ? ": " : "", reason),
                 how);
    s_set_state (self, WRP_RT_FAILED);
    wrp_warning ("%s", self->rec.error);
    if (self->fn)
        self->fn (self->arg, NULL);
}

//  The runtime's pidfd became readable: it has ended. Collects the status
//  and settles the operation under way.
static void
s_on_exit (wrp_supervisor_t *self)
{
    //  Our child is still a zombie: sweep what is left of its group first,
    //  while the pid cannot be reused.
    if (self->is_child && self->op != WRP_CMD_INVALID)
        killpg (self->rec.pid, SIGKILL);
    int status = 0;
    int ended =
        wrp_proc_exit_status (self->rec.pid, self->pidfd, self->is_child, &status);
    if (ended == 0)
        return;    //  not ended yet (spurious wake-up)
    close (self->pidfd);
    self->pidfd = -1;
    s_close_probe (self);
    char how[128] = "ended; exit status unknown (it was not the agent's child)";
    self->rec.exit_code = -1;
    self->rec.signal = 0;
    if (ended == 1)
        wrp_proc_describe_end (status, &self->rec.exit_code, &self->rec.signal, how,
                               sizeof how);
    wrp_info ("runtime pid %d %s", self->rec.pid, how);
    char *output = s_log_tail (self);
    char reason[256];
    if (!wrp_output_reason (output, true, reason, sizeof reason))
        reason[0] = 0;
    free (output);
    int pid = self->rec.pid;
    self->rec.pid = 0;
    self->rec.start_time = 0;
    if (self->op == WRP_CMD_START)
        s_exit_during_start (self, pid, how, reason);
    else if (self->op == WRP_CMD_STOP || self->op == WRP_CMD_KILL ||
             self->rec.stop_requested)
        s_exit_when_asked (self, pid, how);
    else
        s_exit_unasked (self, pid, how, reason);
}

static void
s_escalate (wrp_supervisor_t *self, s_phase_t phase)
{
    self->phase = phase;
    self->phase_deadline = zclock_mono () + self->step_ms;
    if (phase == S_PHASE_TERM) {
        wrp_info ("runtime pid %d: SIGTERM to its process group", self->rec.pid);
        wrp_proc_signal_group (self->rec.pid, self->pidfd, SIGTERM);
    } else if (phase == S_PHASE_KILL) {
        wrp_info ("runtime pid %d: SIGKILL to its process group", self->rec.pid);
        wrp_proc_signal_group (self->rec.pid, self->pidfd, SIGKILL);
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
        wrp_proc_describe_end (status, &code, &sig, how, sizeof how);
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

// ---------------------------------------------------------------------------
//  Waking up

//  Starting: is it serving yet? Returns true when the state changed.
static bool
s_wake_probe (wrp_supervisor_t *self, int64_t now)
{
    if (self->state != WRP_RT_STARTING || self->pidfd < 0 || self->timed_out ||
        self->next_probe < 0 || now < self->next_probe)
        return false;
    if (!s_probe (self)) {
        self->next_probe = now + S_PROBE_MS;
        return false;
    }
    s_close_probe (self);
    //  The real runtime listens before it loads its modules and exits 1
    //  some 10 ms later when they are missing: it runs once it still
    //  serves after a settle time, twice its time to listen.
    if (!self->served_at) {
        int64_t settle = 2 * (now - self->spawned);
        settle = settle < S_SETTLE_MIN_MS   ? S_SETTLE_MIN_MS
                 : settle > S_SETTLE_MAX_MS ? S_SETTLE_MAX_MS
                                            : settle;
        self->served_at = now;
        self->next_probe = now + settle;
        return false;
    }
    s_set_state (self, WRP_RT_RUNNING);
    wrp_info ("runtime pid %d serves on %s:%d", self->rec.pid,
              self->config->runtime_address, self->rec.port + 1);
    if (self->op == WRP_CMD_START)
        s_finish_op (self, true, NULL, WRP_STATE_RUNNING);
    else if (self->fn)
        self->fn (self->arg, NULL);
    return true;
}

//  START past its deadline: kill it. Returns true when it did.
static bool
s_wake_start_timeout (wrp_supervisor_t *self, int64_t now)
{
    if (self->op != WRP_CMD_START || self->timed_out || now < self->op_deadline ||
        self->pidfd < 0)
        return false;
    wrp_warning ("runtime pid %d not serving on %s:%d in time; killing it", self->rec.pid,
                 self->config->runtime_address, self->rec.port + 1);
    self->timed_out = true;
    s_close_probe (self);
    s_escalate (self, S_PHASE_TERM);
    return true;
}

//  An escalation step's wait is over: the next step, or give up.
static void
s_wake_phase (wrp_supervisor_t *self, int64_t now)
{
    if (self->phase == S_PHASE_NONE || self->pidfd < 0 || now < self->phase_deadline)
        return;
    if (self->phase == S_PHASE_STOP_BINARY)
        s_escalate (self, S_PHASE_TERM);
    else if (self->phase == S_PHASE_TERM)
        s_escalate (self, S_PHASE_KILL);
    else {
        char *text = wrp_strf ("runtime pid %d still there after SIGKILL", self->rec.pid);
        self->phase = S_PHASE_NONE;
        s_finish_op (self, false, WRP_ERR_TIMEOUT,
                     text ? text : "still there after SIGKILL");
        free (text);
    }
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
    if (s_wake_probe (self, now) || s_wake_start_timeout (self, now))
        return;
    s_wake_phase (self, now);
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
//  START

//  The PATH the runtime's programs are looked up on: the config file's env
//  when it has one, else the agent's own.
static const char *
s_search_path (const wrp_agent_config_t *config)
{
    char **env = config->env ? config->env : environ;
    for (size_t i = 0; env[i]; i++)
        if (!strncmp (env[i], "PATH=", 5))
            return env[i] + 5;
    return "/usr/local/bin:/usr/bin:/bin";
}

//  The start binary, or NULL with *ret_err (NOT_FOUND) naming what to set
//  where.
static char *
s_start_binary (wrp_supervisor_t *self, char **ret_err)
{
    const char *name = self->config->start_binary;
    const char *path = s_search_path (self->config);
    char *binary = wrp_proc_resolve (name, path);
    const char *file = self->config->file ? self->config->file : WRP_AGENT_CONFIG_DEFAULT;
    if (!binary && name[0] == '/')
        *ret_err = wrp_strf ("%s: not found or not executable; set start_binary in %s",
                             name, file);
    else if (!binary)
        *ret_err = wrp_strf ("%s: not found on PATH %s; set start_binary (an absolute "
                             "path) or env: PATH in %s",
                             name, path, file);
    return binary;
}

//  A second runtime would unlink the first one's segments: never start one
//  while its ports are held. Returns 0, or -1 and *ret_err (BUSY).
static int
s_check_ports (wrp_supervisor_t *self, int port, char **ret_err)
{
    for (int p = port; p <= port + 1; p++) {
        char *holder = NULL;
        if (wrp_proc_port_taken (self->config->runtime_address, p, &holder)) {
            *ret_err = wrp_strf ("port %d on %s is already in use%s%s; not starting a "
                                 "second runtime",
                                 p, self->config->runtime_address, holder ? " by " : "",
                                 holder ? holder : "");
            free (holder);
            return -1;
        }
    }
    return 0;
}

//  True when env sets the variable name.
static bool
s_env_sets (char **env, const char *name)
{
    size_t len = strlen (name);
    for (size_t i = 0; env && env[i]; i++)
        if (!strncmp (env[i], name, len) && env[i][len] == '=')
            return true;
    return false;
}

//  The runtime's environment: the config file's env (the agent's own when
//  the file has none), the forwarded variables the file's env does not
//  set, and what the agent sets itself.
static char **
s_runtime_env (wrp_supervisor_t *self, const char *conf, const wrp_start_req_t *req)
{
    const char *names[WRP_ENV_MAX + 2], *values[WRP_ENV_MAX + 2];
    names[0] = WRP_ENV_SERVER_CONF;
    values[0] = conf;
    names[1] = WRP_ENV_USER;
    values[1] = self->config->user;
    size_t count = 2;
    for (size_t i = 0; i < req->env_count; i++)
        if (!s_env_sets (self->config->env, req->env_name[i])) {
            names[count] = req->env_name[i];
            values[count++] = req->env_value[i];
        }
    return wrp_proc_env_new (self->config->env, names, values, count);
}

//  Push the files and spawn the runtime with the pidfd held. Returns the
//  pid, or -1 with *ret_code and *ret_err.
static pid_t
s_spawn_runtime (wrp_supervisor_t *self, const char *binary, const wrp_start_req_t *req,
                 const char **ret_code, char **ret_err)
{
    char *conf = NULL;
    char **env = NULL;
    off_t log_size = 0;
    int log_fd = -1;
    pid_t pid = -1;
    *ret_code = WRP_ERR_INTERNAL;
    if (wrp_store_push (self->store, req->pipeline, req->config, req->config_size,
                        req->hostfile, req->hostfile_size, &conf, ret_err))
        goto out;
    if (!(env = s_runtime_env (self, conf, req))) {
        *ret_err = wrp_strf ("out of memory");
        goto out;
    }
    if ((log_fd = wrp_store_log_open (self->store, req->pipeline, &log_size, ret_err)) <
        0)
        goto out;
    if ((pid = wrp_proc_spawn (binary, env, log_fd)) < 0) {
        *ret_code = WRP_ERR_FAILED;
        *ret_err = wrp_strf ("cannot run %s: %s", binary, strerror (errno));
        goto out;
    }
    if ((self->pidfd = wrp_proc_pidfd_open (pid)) < 0) {
        //  Cannot watch it: do not leave an unsupervised runtime behind.
        *ret_err = wrp_strf ("pidfd_open: %s", strerror (errno));
        killpg (pid, SIGKILL);
        waitpid (pid, NULL, 0);
        pid = -1;
        goto out;
    }
    self->is_child = true;
    self->log_offset = log_size;
    wrp_proc_env_destroy (&self->child_env);
    self->child_env = env;
    env = NULL;
    wrp_info ("started %s (pid %d) for pipeline %s, generation %" PRId64 ", config %s",
              binary, (int) pid, req->pipeline, req->generation, conf);
out:
    if (log_fd >= 0)
        close (log_fd);
    wrp_proc_env_destroy (&env);
    free (conf);
    return pid;
}

//  Records the started runtime and arms the readiness probe and deadline.
static void
s_started (wrp_supervisor_t *self, pid_t pid, const wrp_start_req_t *req)
{
    wrp_proc_stat_t stat = {0};
    wrp_proc_stat (pid, &stat);
    self->rec.pid = pid;
    self->rec.start_time = stat.start_time;
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
    int timeout = req->timeout_ms > 0 ? req->timeout_ms : self->config->start_timeout_ms;
    self->op_deadline = zclock_mono () + timeout;
    self->step_ms = self->config->stop_timeout_ms;
    self->next_probe = zclock_mono () + S_PROBE_MS;
    self->spawned = zclock_mono ();
    self->served_at = 0;
    s_set_state (self, WRP_RT_STARTING);
}

int
wrp_supervisor_start (wrp_supervisor_t *self, const wrp_start_req_t *req,
                      const char **ret_code, char **ret_err)
{
    if (self->pidfd >= 0 &&
        (self->state == WRP_RT_RUNNING || self->state == WRP_RT_STARTING))
        return 1;
    if (self->pidfd >= 0) {
        *ret_code = WRP_ERR_BUSY;
        *ret_err = wrp_strf ("runtime pid %d is %s", self->rec.pid,
                             wrp_supervisor_state_name (self->state));
        return -1;
    }
    *ret_code = WRP_ERR_NOT_FOUND;
    char *binary = s_start_binary (self, ret_err);
    if (!binary)
        return -1;
    *ret_code = WRP_ERR_BUSY;
    pid_t pid = -1;
    if (s_check_ports (self, req->port, ret_err) == 0)
        pid = s_spawn_runtime (self, binary, req, ret_code, ret_err);
    free (binary);
    if (pid < 0)
        return -1;
    s_started (self, pid, req);
    return 0;
}

// ---------------------------------------------------------------------------
//  STOP, KILL, CLEAN

static int
s_step_ms (wrp_supervisor_t *self, int timeout_ms)
{
    int step = self->config->stop_timeout_ms;
    if (timeout_ms > 0 && timeout_ms / 3 < step)
        step = timeout_ms / 3 > 0 ? timeout_ms / 3 : 1;
    return step;
}

//  Runs the stop binary with the runtime's environment, its output into
//  the runtime's log. Returns 0, or -1 when it cannot run.
static int
s_run_stop_binary (wrp_supervisor_t *self)
{
    const char *path = s_search_path (self->config);
    char *binary = wrp_proc_resolve (self->config->stop_binary, path);
    if (!self->child_env)
        self->child_env = wrp_proc_env_read (self->rec.pid);
    if (!binary || !self->child_env || self->helper > 0) {
        if (!binary)
            wrp_warning ("%s: not found on PATH %s; stopping with SIGTERM",
                         self->config->stop_binary, path);
        else
            wrp_warning ("%s: cannot run it (%s); stopping with SIGTERM", binary,
                         self->helper > 0 ? "a helper is still running"
                                          : "the runtime's environment is unreadable");
        free (binary);
        return -1;
    }
    off_t size = 0;
    char *err = NULL;
    int log_fd = wrp_store_log_open (self->store, self->rec.pipeline, &size, &err);
    free (err);
    if (log_fd < 0)
        log_fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
    pid_t pid = wrp_proc_spawn (binary, self->child_env, log_fd);
    if (log_fd >= 0)
        close (log_fd);
    if (pid > 0) {
        self->helper = pid;
        wrp_info ("runtime pid %d: ran %s (pid %d)", self->rec.pid, binary, (int) pid);
    } else
        wrp_warning ("cannot run %s: %s; going on with SIGTERM", binary,
                     strerror (errno));
    free (binary);
    return pid > 0 ? 0 : -1;
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
    if (s_run_stop_binary (self) == 0) {
        s_escalate (self, S_PHASE_STOP_BINARY);
        return 0;
    }
    free (self->stop_note);
    self->stop_note =
        wrp_strf ("(%s not found: stopped by signal)", self->config->stop_binary);
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
                      char **ret_kept, const char **ret_code, char **ret_err)
{
    *ret_code = WRP_ERR_REFUSED;
    if (self->pidfd >= 0) {
        *ret_err = wrp_strf ("runtime pid %d is %s: stop it before clean", self->rec.pid,
                             wrp_supervisor_state_name (self->state));
        return -1;
    }
    if (!pipeline && self->rec.pipeline[0])
        pipeline = self->rec.pipeline;
    if (pipeline && wrp_names_check_pipeline (pipeline, ret_err))
        return -1;
    *ret_code = WRP_ERR_INTERNAL;
    char *files = NULL, *segments = NULL, *err = NULL;
    if (pipeline && wrp_store_clean (self->store, pipeline, &files, ret_err))
        return -1;
    if (wrp_shm_clean (self->config->shm_dir, &segments, ret_kept, &err)) {
        *ret_err = wrp_strf ("%s%s%s", err ? err : "shm clean failed",
                             files && *files ? "; removed: " : "", files ? files : "");
        free (err);
        free (files);
        return -1;
    }
    bool both = files && *files && *segments;
    *ret_removed = wrp_strf ("%s%s%s", files ? files : "", both ? "\n" : "", segments);
    free (files);
    free (segments);
    if (!*ret_removed) {
        free (*ret_kept);
        *ret_kept = NULL;
        *ret_err = wrp_strf ("out of memory");
        return -1;
    }
    return 0;
}

// ---------------------------------------------------------------------------
//  Status

static void
s_status_process (wrp_supervisor_t *self, wrp_msg_t *reply)
{
    if (self->pidfd >= 0 && self->rec.pid > 0) {
        wrp_msg_set_int (reply, WRP_F_PID, self->rec.pid);
        int64_t uptime = zclock_time () - self->rec.started_at_ms;
        wrp_msg_set_int (reply, WRP_F_UPTIME_MS, uptime > 0 ? uptime : 0);
        return;
    }
    if (self->rec.exit_code >= 0)
        wrp_msg_set_int (reply, WRP_F_EXIT_CODE, self->rec.exit_code);
    if (self->rec.signal > 0)
        wrp_msg_set_int (reply, WRP_F_SIGNAL, self->rec.signal);
}

static void
s_status_failure (wrp_supervisor_t *self, wrp_msg_t *reply)
{
    if (self->state != WRP_RT_FAILED)
        return;
    //  Strings on the wire are UTF-8: whatever the runtime printed is made so.
    char *error = self->rec.error[0]
                      ? wrp_str_utf8 (self->rec.error, strlen (self->rec.error))
                      : NULL;
    if (error)
        wrp_msg_set_str (reply, WRP_F_ERROR, error);
    free (error);
    char *tail = s_log_tail (self);
    char *output = tail ? wrp_str_utf8 (tail, strlen (tail)) : NULL;
    if (output)
        wrp_msg_set_str (reply, WRP_F_OUTPUT, output);
    free (tail);
    free (output);
}

void
wrp_supervisor_status (wrp_supervisor_t *self, wrp_msg_t *reply)
{
    wrp_msg_set_str (reply, WRP_F_NODE, self->config->node_name);
    wrp_msg_set_str (reply, WRP_F_STATE, wrp_supervisor_state_name (self->state));
    s_status_process (self, reply);
    wrp_msg_set_int (reply, WRP_F_STARTS, self->rec.starts);
    if (self->rec.pipeline[0])
        wrp_msg_set_str (reply, WRP_F_PIPELINE, self->rec.pipeline);
    if (self->rec.generation >= 0)
        wrp_msg_set_int (reply, WRP_F_GENERATION, self->rec.generation);
    if (self->rec.sha256[0])
        wrp_msg_set_str (reply, WRP_F_SHA256, self->rec.sha256);
    wrp_msg_set_str (reply, WRP_F_STATE_DIR, wrp_store_dir (self->store));
    char *shm = NULL, *err = NULL;
    if (wrp_shm_list (self->config->shm_dir, &shm, &err) == 0)
        wrp_msg_set_str (reply, WRP_F_SHM, shm);
    free (shm);
    free (err);
    s_status_failure (self, reply);
    wrp_msg_set_str (reply, WRP_F_AGENT_VERSION, WRP_VERSION);
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
    wrp_proc_env_destroy (&self->child_env);
    free (self->stop_note);
    free (self);
    *self_p = NULL;
}

//  The recorded runtime's pidfd when it still runs (same pid and start
//  time, checked again with the pidfd held: the pid cannot change under
//  it), else -1.
static int
s_open_recorded (wrp_supervisor_t *self)
{
    pid_t pid = self->rec.pid;
    if (!wrp_proc_alive (pid, self->rec.start_time))
        return -1;
    int fd = wrp_proc_pidfd_open (pid);
    wrp_proc_stat_t stat;
    if (fd >= 0 &&
        (wrp_proc_stat (pid, &stat) || stat.start_time != self->rec.start_time)) {
        close (fd);
        fd = -1;
    }
    return fd;
}

static char *
s_adopt_live (wrp_supervisor_t *self, int fd)
{
    self->pidfd = fd;
    self->is_child = false;
    wrp_rt_state_t was = self->state;
    self->state = WRP_RT_STARTING;
    self->next_probe = zclock_mono ();
    self->spawned = self->next_probe;
    //  Only a runtime caught starting may still be in its settle time.
    self->served_at = was == WRP_RT_STARTING ? 0 : self->spawned;
    if (s_probe (self)) {
        s_close_probe (self);
        self->state = WRP_RT_RUNNING;
    } else
        self->next_probe = zclock_mono () + S_PROBE_MS;
    //  A stop cut short by the agent's restart is not pending any more.
    self->rec.stop_requested = false;
    s_save (self);
    return wrp_strf ("re-adopted runtime pid %d (pipeline %s, was %s, now %s)",
                     self->rec.pid, self->rec.pipeline, wrp_supervisor_state_name (was),
                     wrp_supervisor_state_name (self->state));
}

static char *
s_adopt_gone (wrp_supervisor_t *self)
{
    int pid = self->rec.pid;
    self->rec.pid = 0;
    if (self->state == WRP_RT_STOPPED || self->state == WRP_RT_FAILED) {
        s_save (self);
        return NULL;
    }
    self->rec.start_time = 0;
    self->rec.exit_code = -1;
    self->rec.signal = 0;
    if (self->rec.stop_requested) {
        self->rec.error[0] = 0;
        s_set_state (self, WRP_RT_STOPPED);
        return wrp_strf (
            "runtime pid %d ended while the agent was down (it was being stopped)", pid);
    }
    snprintf (self->rec.error, sizeof self->rec.error,
              "runtime pid %d ended while the agent was down; exit status unknown", pid);
    s_set_state (self, WRP_RT_FAILED);
    return wrp_strf ("%s", self->rec.error);
}

//  The recorded process lives but is not a runtime this agent started (a
//  forged or stale record): never adopted, never signalled; reset.
static char *
s_adopt_refused (wrp_supervisor_t *self, int fd, const char *why)
{
    close (fd);
    int pid = self->rec.pid;
    self->rec.pid = 0;
    self->rec.start_time = 0;
    self->rec.stop_requested = false;
    self->rec.error[0] = 0;
    s_set_state (self, WRP_RT_STOPPED);
    return wrp_strf ("not adopting pid %d named by %s/" WRP_LAYOUT_STATE_FILE
                     ": %s; the record is reset to stopped",
                     pid, wrp_store_dir (self->store), why ? why : "not the runtime");
}

char *
wrp_supervisor_adopt (wrp_supervisor_t *self, bool *ret_warning)
{
    *ret_warning = false;
    if (self->rec.pid <= 0) {
        //  Nothing ran; a state claiming otherwise cannot be true.
        if (self->state != WRP_RT_STOPPED && self->state != WRP_RT_FAILED)
            s_set_state (self, WRP_RT_STOPPED);
        return NULL;
    }
    int fd = s_open_recorded (self);
    if (fd < 0)
        return s_adopt_gone (self);
    char *conf =
        wrp_store_pipeline_path (self->store, self->rec.pipeline, WRP_LAYOUT_CONFIG);
    char *why = NULL;
    int rc =
        wrp_proc_is_runtime (self->rec.pid, self->rec.pipeline[0] ? conf : NULL, &why);
    free (conf);
    char *note = rc ? s_adopt_refused (self, fd, why) : s_adopt_live (self, fd);
    *ret_warning = rc != 0;
    free (why);
    return note;
}

void
wrp_supervisor_test (bool verbose)
{
    (void) verbose;
    for (size_t i = 0; i < S_STATES; i++)
        assert (s_state_from_name (wrp_supervisor_state_name ((wrp_rt_state_t) i)) ==
                (wrp_rt_state_t) i);
    assert (!strcmp (wrp_supervisor_state_name ((wrp_rt_state_t) 99), WRP_STATE_FAILED));
}
