/*  wrp_buf — a growing NUL-terminated byte buffer for text built piece by
    piece. Lives on the stack like wrp_sha256_t: `wrp_buf_t buf = {0};`.
    An allocation failure makes the buffer "failed": later appends do
    nothing and wrp_buf_finish returns NULL, so a builder checks once, at
    the end.                                                                  */

#ifndef WRP_BUF_H_INCLUDED
#define WRP_BUF_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data;      //  bytes, NUL-terminated (NULL before the first append)
    size_t size;     //  bytes used, without the NUL
    size_t alloc;    //  bytes allocated
    bool failed;     //  an allocation failed
} wrp_buf_t;

//  Append size bytes of data. Returns 0, or -1 when the buffer has failed.
int wrp_buf_add (wrp_buf_t *self, const void *data, size_t size);

//  Append a string. Returns 0 or -1 as wrp_buf_add.
int wrp_buf_str (wrp_buf_t *self, const char *text);

//  Append printf output. Returns 0 or -1 as wrp_buf_add.
int wrp_buf_printf (wrp_buf_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Take the text: returns it (NUL-terminated, "" when nothing was added;
//  caller frees) and its size in *ret_size (when not NULL), or NULL when
//  the buffer failed or memory ran out. Either way the buffer is empty
//  afterwards.
char *wrp_buf_finish (wrp_buf_t *self, size_t *ret_size);

//  Drop the bytes; the buffer is empty (and not failed) afterwards.
void wrp_buf_reset (wrp_buf_t *self);

void wrp_buf_test (bool verbose);

#endif
