/*  wrp_proc — the Linux process helpers the supervisor stands on.

    Spawning a program with a clean signal mask, fds and session; building
    the runtime's environment; reading /proc (stat fields, a live process's
    environment, the holder of a listening port); pidfds and how a process
    ended; a non-blocking TCP connect probe. No state of its own.            */

#ifndef WRP_PROC_H_INCLUDED
#define WRP_PROC_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

//  What /proc/PID/stat tells about a process.
typedef struct {
    char state;             //  state letter: R, S, Z, X, ...
    int pgrp;               //  process group
    uint64_t start_time;    //  start time, clock ticks since boot (field 22)
    int exit_status;        //  wait status of a zombie (field 52), -1 none
} wrp_proc_stat_t;

//  Read /proc/PID/stat. Returns 0, or -1 when the process is gone or the
//  file cannot be read.
int wrp_proc_stat (pid_t pid, wrp_proc_stat_t *ret_stat);

//  True when /proc/PID/stat says the process is alive (not a zombie) and
//  started at start_time.
bool wrp_proc_alive (pid_t pid, uint64_t start_time);

//  pidfd_open (2). Returns the fd or -1 (errno set).
int wrp_proc_pidfd_open (pid_t pid);

//  Signal the process group of pid when pid leads one, else pid alone
//  through its pidfd (e.g. adopted from an older agent).
void wrp_proc_signal_group (pid_t pid, int pidfd, int sig);

//  The wait status of a process that ended, through its pidfd: waitid for
//  our child, else /proc (a zombie) or PIDFD_GET_INFO (Linux >= 6.15).
//  Returns 1 and *ret_status, 0 when it has not ended yet, -1 when it
//  ended and the status cannot be known.
int wrp_proc_exit_status (pid_t pid, int pidfd, bool is_child, int *ret_status);

//  How a process ended, from a wait status: *ret_code (-1 none),
//  *ret_signal (0 none) and a line ("exited with code 3", "killed by
//  signal 11 (SEGV)") into text.
void wrp_proc_describe_end (int status, int *ret_code, int *ret_signal, char *text,
                            size_t size);

//  Find name on path (NULL: the agent's PATH), or take an absolute path.
//  Returns the path (caller frees) or NULL.
char *wrp_proc_resolve (const char *name, const char *path);

//  Is pid a runtime this agent started: it leads its own session and its
//  environment holds CHI_SERVER_CONF=conf (the config the agent pushed for
//  it; a wrapper script that execs the runtime keeps both)? Returns 0, or
//  -1 and why not (caller frees). A record naming some other process (pid
//  and start time copied from /proc) is thus not adopted.
int wrp_proc_is_runtime (pid_t pid, const char *conf, char **ret_why);

//  Spawn path with env, in its own session, a clean signal mask and default
//  dispositions, stdin from /dev/null, stdout and stderr to log_fd, no
//  other fds. Returns the pid or -1 (errno set).
pid_t wrp_proc_spawn (const char *path, char **env, int log_fd);

//  base (NULL: the agent's environment) with the names[i]=values[i] set
//  (replacing base's). Returns a NULL-terminated array
//  (wrp_proc_env_destroy) or NULL when out of memory.
char **wrp_proc_env_new (char **base, const char *const *names, const char *const *values,
                         size_t count);

//  The environment of a live process, or NULL.
char **wrp_proc_env_read (pid_t pid);

//  Free an environment; accepts NULL, nulls the caller's pointer.
void wrp_proc_env_destroy (char ***env_p);

//  Is anyone bound to address:port? Returns true and, when /proc tells,
//  the holder ("pid 12 (chimaera)", caller frees) in *ret_holder.
bool wrp_proc_port_taken (const char *address, int port, char **ret_holder);

//  One step of a non-blocking connect to address:port. *fd_p holds the
//  connect in progress (-1 none). Returns true when it was accepted.
bool wrp_proc_probe (const char *address, int port, int *fd_p);

void wrp_proc_test (bool verbose);

#endif
