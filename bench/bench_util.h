/*  Small helpers the bench programs share (header only: each program is
    built on its own by bench/run.sh).                                        */

#ifndef WRP_BENCH_UTIL_H_INCLUDED
#define WRP_BENCH_UTIL_H_INCLUDED

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

#endif
