/*  Small helpers the bench programs share (header only: each program is
    built on its own by bench/run.sh).                                        */

#ifndef WRP_BENCH_UTIL_H_INCLUDED
#define WRP_BENCH_UTIL_H_INCLUDED

#include <sys/resource.h>
#include <time.h>

//  Monotonic time in milliseconds.
static inline double
bench_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

//  qsort comparator for doubles (medians of timings).
static inline int
bench_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

//  Raises the soft descriptor limit to the hard one: one descriptor per
//  connection, and a shell's soft limit is often 1024.
static inline void
bench_raise_fd_limit (void)
{
    struct rlimit lim;
    if (getrlimit (RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit (RLIMIT_NOFILE, &lim);
    }
}

#endif
