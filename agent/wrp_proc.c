/*  wrp_proc — Linux process helpers. See wrp_proc.h.                       */

#include "wrp_proc.h"
#include "wrp_str.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>

#include "wrp_proto.h"
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define S_ENVIRON_MAX (1u << 20)    //  bytes of /proc/PID/environ read at most

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

// ---------------------------------------------------------------------------
//  /proc/PID/stat and pidfds

//  Fields of a stat line after the command name, which may hold spaces
//  and parens: they start after the last ')'.
static int
s_parse_stat (char *buf, wrp_proc_stat_t *ret_stat)
{
    char *at = strrchr (buf, ')');
    if (!at || !at[1])
        return -1;
    wrp_proc_stat_t stat = {.exit_status = -1};
    int field = 3;
    char *save = NULL;
    for (char *tok = strtok_r (at + 2, " ", &save); tok;
         tok = strtok_r (NULL, " ", &save), field++) {
        if (field == 3)
            stat.state = *tok;
        else if (field == 5)
            stat.pgrp = atoi (tok);
        else if (field == 22)
            stat.start_time = strtoull (tok, NULL, 10);
        else if (field == 52)
            stat.exit_status = atoi (tok);
    }
    if (field <= 22)
        return -1;
    *ret_stat = stat;
    return 0;
}

int
wrp_proc_stat (pid_t pid, wrp_proc_stat_t *ret_stat)
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
    return s_parse_stat (buf, ret_stat);
}

bool
wrp_proc_alive (pid_t pid, uint64_t start_time)
{
    wrp_proc_stat_t stat;
    return wrp_proc_stat (pid, &stat) == 0 && stat.state != 'Z' && stat.state != 'X' &&
           stat.start_time == start_time;
}

int
wrp_proc_pidfd_open (pid_t pid)
{
    return (int) syscall (SYS_pidfd_open, pid, 0);
}

void
wrp_proc_signal_group (pid_t pid, int pidfd, int sig)
{
    if (pid <= 0 || pidfd < 0)
        return;
    wrp_proc_stat_t stat;
    if (wrp_proc_stat (pid, &stat) == 0 && stat.pgrp == pid)
        killpg (pid, sig);
    else
        syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

//  Our child: reap it through its pidfd.
static int
s_child_status (int pidfd, int *ret_status)
{
    siginfo_t info;
    memset (&info, 0, sizeof info);
    if (waitid ((idtype_t) P_PIDFD, (id_t) pidfd, &info, WEXITED | WNOHANG) != 0 ||
        info.si_pid == 0)
        return 0;    //  not ended yet (spurious wake-up)
    *ret_status = info.si_code == CLD_EXITED ? W_EXITCODE (info.si_status, 0)
                                             : (info.si_status & 0x7f);
    return 1;
}

//  Not our child: a zombie still shows its status in /proc; once its new
//  parent reaped it, Linux >= 6.15 tells through the pidfd.
static int
s_foreign_status (pid_t pid, int pidfd, int *ret_status)
{
    wrp_proc_stat_t stat;
    if (wrp_proc_stat (pid, &stat) == 0) {
        if (stat.state != 'Z' && stat.state != 'X')
            return 0;    //  still alive
        if (stat.exit_status >= 0) {
            *ret_status = stat.exit_status;
            return 1;
        }
    }
    s_pidfd_info_t info;
    memset (&info, 0, sizeof info);
    info.mask = S_PIDFD_INFO_EXIT;
    if (ioctl (pidfd, S_PIDFD_GET_INFO, &info) == 0 && (info.mask & S_PIDFD_INFO_EXIT)) {
        *ret_status = info.exit_code;
        return 1;
    }
    return -1;
}

int
wrp_proc_exit_status (pid_t pid, int pidfd, bool is_child, int *ret_status)
{
    return is_child ? s_child_status (pidfd, ret_status)
                    : s_foreign_status (pid, pidfd, ret_status);
}

void
wrp_proc_describe_end (int status, int *ret_code, int *ret_signal, char *text,
                       size_t size)
{
    *ret_code = -1;
    *ret_signal = 0;
    if (WIFEXITED (status)) {
        *ret_code = WEXITSTATUS (status);
        snprintf (text, size, "exited with code %d", *ret_code);
    } else if (WIFSIGNALED (status)) {
        *ret_signal = WTERMSIG (status);
        const char *name = sigabbrev_np (*ret_signal);
        snprintf (text, size, "killed by signal %d (%s)", *ret_signal, name ? name : "?");
    } else
        snprintf (text, size, "ended");
}

// ---------------------------------------------------------------------------
//  Programs and their environment

char *
wrp_proc_resolve (const char *name, const char *path)
{
    if (name[0] == '/')
        return access (name, X_OK) == 0 ? strdup (name) : NULL;
    if (!path)
        path = getenv ("PATH");
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

int
wrp_proc_is_runtime (pid_t pid, const char *conf, char **ret_why)
{
    if (getsid (pid) != pid) {
        wrp_str_set (ret_why, "it does not lead a session of its own, as every runtime "
                              "the agent starts does");
        return -1;
    }
    //  The agent gives each runtime CHI_SERVER_CONF naming the config it
    //  pushed; nobody can set that in another user's process afterwards.
    char **env = wrp_proc_env_read (pid);
    char *want = conf ? wrp_strf ("%s=%s", WRP_ENV_SERVER_CONF, conf) : NULL;
    bool found = false;
    for (char **entry = env; entry && *entry && want && !found; entry++)
        found = !strcmp (*entry, want);
    wrp_proc_env_destroy (&env);
    free (want);
    if (!found) {
        wrp_str_set (ret_why,
                     "its environment has no %s=%s: not a runtime this agent "
                     "started",
                     WRP_ENV_SERVER_CONF, conf ? conf : "?");
        return -1;
    }
    return 0;
}

pid_t
wrp_proc_spawn (const char *path, char **env, int log_fd)
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

void
wrp_proc_env_destroy (char ***env_p)
{
    if (!env_p || !*env_p)
        return;
    for (char **e = *env_p; *e; e++)
        free (*e);
    free (*env_p);
    *env_p = NULL;
}

//  True when the entry "NAME=value" sets one of names.
static bool
s_env_replaced (const char *entry, const char *const *names, size_t count)
{
    const char *eq = strchr (entry, '=');
    size_t len = eq ? (size_t) (eq - entry) : strlen (entry);
    for (size_t i = 0; i < count; i++)
        if (strlen (names[i]) == len && !strncmp (entry, names[i], len))
            return true;
    return false;
}

char **
wrp_proc_env_new (char **base, const char *const *names, const char *const *values,
                  size_t count)
{
    if (!base)
        base = environ;
    size_t own = 0;
    for (char **e = base; *e; e++)
        own++;
    char **env = calloc (own + count + 1, sizeof *env);
    if (!env)
        return NULL;
    size_t n = 0;
    for (char **e = base; *e; e++)
        if (!s_env_replaced (*e, names, count) && !(env[n++] = strdup (*e)))
            goto fail;
    for (size_t i = 0; i < count; i++)
        if (!(env[n++] = wrp_strf ("%s=%s", names[i], values[i])))
            goto fail;
    return env;
fail:
    wrp_proc_env_destroy (&env);
    return NULL;
}

//  Splits NUL-separated entries into an environment array.
static char **
s_env_split (const char *data, size_t size)
{
    size_t count = 0;
    for (size_t i = 0; i < size; i++)
        count += data[i] == 0;
    char **env = calloc (count + 2, sizeof *env);
    size_t n = 0;
    for (size_t i = 0; env && i < size; i += strlen (data + i) + 1)
        if (data[i] && !(env[n++] = strdup (data + i)))
            wrp_proc_env_destroy (&env);
    return env;
}

char **
wrp_proc_env_read (pid_t pid)
{
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/environ", (int) pid);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t size = 0;
    char *data = malloc (S_ENVIRON_MAX + 1);
    while (data && size < S_ENVIRON_MAX) {
        ssize_t got = read (fd, data + size, S_ENVIRON_MAX - size);
        if (got <= 0)
            break;
        size += (size_t) got;
    }
    close (fd);
    if (!data)
        return NULL;
    data[size] = 0;
    char **env = s_env_split (data, size);
    free (data);
    return env;
}

// ---------------------------------------------------------------------------
//  Ports

static bool
s_port_bound (const struct sockaddr_in *sa)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int one = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool taken =
        bind (fd, (const struct sockaddr *) sa, sizeof *sa) != 0 && errno == EADDRINUSE;
    close (fd);
    return taken;
}

//  The inode of a socket listening on port at address (or any address),
//  from one /proc/net table; 0 when none.
static unsigned long
s_listener_inode (const char *table, bool any_address, uint32_t address, int port)
{
    FILE *file = fopen (table, "re");
    char line[512];
    unsigned long inode = 0;
    while (file && !inode && fgets (line, sizeof line, file)) {
        char local[64];
        unsigned int state = 0;
        unsigned long node = 0;
        if (sscanf (line, " %*d: %63s %*s %x %*s %*s %*s %*d %*d %lu", local, &state,
                    &node) != 3)
            continue;
        //  "0100007F:15B3": the raw 32-bit address in hex, then the port.
        char *colon = strrchr (local, ':');
        uint32_t addr = (uint32_t) strtoul (local, NULL, 16);
        bool ours = any_address || addr == address || addr == 0;
        if (colon && strtol (colon + 1, NULL, 16) == port && state == 0x0A && ours)
            inode = node;
    }
    if (file)
        fclose (file);
    return inode;
}

//  "pid N (comm)" when process pid (a /proc entry name) holds the socket.
static char *
s_fd_holder (const char *pid, const char *want)
{
    char dir[300];
    snprintf (dir, sizeof dir, "/proc/%s/fd", pid);
    DIR *fds = opendir (dir);
    struct dirent *fde;
    char *holder = NULL;
    while (fds && !holder && (fde = readdir (fds))) {
        char link[600], target[128];
        snprintf (link, sizeof link, "%s/%s", dir, fde->d_name);
        ssize_t len = readlink (link, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = 0;
        if (strcmp (target, want))
            continue;
        char comm[64] = "?", path[300];
        snprintf (path, sizeof path, "/proc/%s/comm", pid);
        FILE *file = fopen (path, "re");
        if (file) {
            if (fgets (comm, sizeof comm, file))
                comm[strcspn (comm, "\n")] = 0;
            fclose (file);
        }
        holder = wrp_strf ("pid %.20s (%.32s)", pid, comm);
    }
    if (fds)
        closedir (fds);
    return holder;
}

//  The process holding socket inode, or NULL.
static char *
s_inode_holder (unsigned long inode)
{
    char want[64];
    snprintf (want, sizeof want, "socket:[%lu]", inode);
    DIR *proc = opendir ("/proc");
    struct dirent *entry;
    char *holder = NULL;
    while (proc && !holder && (entry = readdir (proc)))
        if (isdigit ((unsigned char) entry->d_name[0]))
            holder = s_fd_holder (entry->d_name, want);
    if (proc)
        closedir (proc);
    return holder;
}

bool
wrp_proc_port_taken (const char *address, int port, char **ret_holder)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    inet_pton (AF_INET, address, &sa.sin_addr);
    if (!s_port_bound (&sa))
        return false;
    //  Best effort: the listening socket's inode, then a process holding it.
    unsigned long inode =
        s_listener_inode ("/proc/net/tcp", false, sa.sin_addr.s_addr, port);
    if (!inode)
        inode = s_listener_inode ("/proc/net/tcp6", true, 0, port);
    if (inode)
        *ret_holder = s_inode_holder (inode);
    return true;
}

bool
wrp_proc_probe (const char *address, int port, int *fd_p)
{
    if (*fd_p >= 0) {
        struct pollfd pfd = {.fd = *fd_p, .events = POLLOUT};
        if (poll (&pfd, 1, 0) == 0)
            return false;    //  still connecting
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt (*fd_p, SOL_SOCKET, SO_ERROR, &error, &len);
        close (*fd_p);
        *fd_p = -1;
        return error == 0;
    }
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    inet_pton (AF_INET, address, &sa.sin_addr);
    if (connect (fd, (struct sockaddr *) &sa, sizeof sa) == 0) {
        close (fd);
        return true;
    }
    if (errno == EINPROGRESS)
        *fd_p = fd;
    else
        close (fd);
    return false;
}

void
wrp_proc_test (bool verbose)
{
    (void) verbose;
    char line[128];
    int code = 0, sig = 0;
    wrp_proc_describe_end (W_EXITCODE (3, 0), &code, &sig, line, sizeof line);
    assert (code == 3 && sig == 0);
    wrp_proc_describe_end (SIGSEGV, &code, &sig, line, sizeof line);
    assert (sig == SIGSEGV && code == -1 && strstr (line, "SEGV"));

    wrp_proc_stat_t stat;
    assert (wrp_proc_stat (getpid (), &stat) == 0 && stat.start_time > 0);
    assert (wrp_proc_alive (getpid (), stat.start_time));
    assert (!wrp_proc_alive (getpid (), stat.start_time + 1));
    char text[] = "12 (a) b) c) S 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 4242 0 0";
    assert (s_parse_stat (text, &stat) == 0 && stat.state == 'S' && stat.pgrp == 77 &&
            stat.start_time == 4242);
    char short_text[] = "12 (x) S 1";
    assert (s_parse_stat (short_text, &stat) == -1);

    const char *names[] = {"WRP_PROC_TEST", "PATH"};
    const char *values[] = {"a=b", "/nowhere"};
    char **env = wrp_proc_env_new (NULL, names, values, 2);
    assert (env);
    size_t paths = 0;
    bool seen = false;
    for (char **e = env; *e; e++) {
        paths += !strncmp (*e, "PATH=", 5);
        seen |= !strcmp (*e, "WRP_PROC_TEST=a=b");
    }
    assert (paths == 1 && seen);
    wrp_proc_env_destroy (&env);
    wrp_proc_env_destroy (&env);
    env = wrp_proc_env_read (getpid ());
    assert (env);
    wrp_proc_env_destroy (&env);

    char *sh = wrp_proc_resolve ("sh", NULL);
    free (sh);
    assert (!wrp_proc_resolve ("sh", "/nonexistent"));
    sh = wrp_proc_resolve ("sh", "/nonexistent:/bin");
    assert (sh && sh[0] == '/');
    free (sh);
    assert (!wrp_proc_resolve ("/nonexistent/wrp-none", NULL));
}
