/*  wrp_yaml — one YAML document written into memory with libyaml's
    emitter: block style, UTF-8 kept as is, long lines never folded. The
    writers of chimaera_config.yaml and of the controller's state files
    share it.

    Calls return 0 or -1; after the first failure every call does nothing
    and returns -1, and wrp_yaml_finish says what went wrong, so a writer
    may check once, at the end.                                               */

#ifndef WRP_YAML_H_INCLUDED
#define WRP_YAML_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct _wrp_yaml_t wrp_yaml_t;

//  Start a document whose text begins with header (raw bytes, e.g. comment
//  lines; NULL: none). Returns NULL when out of memory.
wrp_yaml_t *wrp_yaml_new (const char *header);

//  Destroy; accepts NULL, nulls the caller's pointer.
void wrp_yaml_destroy (wrp_yaml_t **self_p);

//  Emit a scalar (a key or a value): plain, or double-quoted when quoted.
int wrp_yaml_scalar (wrp_yaml_t *self, const char *value, bool quoted);

//  Open a block mapping (as the root, or as the value of the last key).
int wrp_yaml_mapping_start (wrp_yaml_t *self);

//  Close the innermost mapping.
int wrp_yaml_mapping_end (wrp_yaml_t *self);

//  End the document. Returns its text (NUL-terminated, caller frees) and its
//  size in *ret_size (when not NULL), or NULL and *ret_err (caller frees;
//  when ret_err is not NULL): "out of memory" or the emitter's problem.
char *wrp_yaml_finish (wrp_yaml_t *self, size_t *ret_size, char **ret_err);

void wrp_yaml_test (bool verbose);

#endif
