/*  wrp_params — THE table of runtime parameters (CONTRACT §2) and a set of
    values for them.

    Every parameter has a name, a type (int, size, choice, path), a default,
    a constraint and one line of help. The pipeline reader, `pkg conf`,
    `ppl show`, the config generator and docs/PIPELINES.md all read this one
    table. A wrp_params_t holds one value per parameter and where it came
    from (default, pipeline, conf); every value goes through the same
    validation whatever its source.                                           */

#ifndef WRP_PARAMS_H_INCLUDED
#define WRP_PARAMS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    WRP_PARAM_INT = 0,    //  decimal integer within [min, max]
    WRP_PARAM_SIZE,       //  byte size (wrp_size), within [min, max]
    WRP_PARAM_CHOICE,     //  one of a fixed list of words
    WRP_PARAM_PATH,       //  a file path
} wrp_param_type_t;

typedef enum {
    WRP_SOURCE_DEFAULT = 0,    //  the table's default
    WRP_SOURCE_PIPELINE,       //  the pipeline YAML
    WRP_SOURCE_CONF,           //  `pkg conf` (controller state)
} wrp_source_t;

typedef struct {
    const char *name;              //  e.g. "low_latency_workers"
    wrp_param_type_t type;         //  how values are checked
    const char *default_value;     //  canonical default text (NULL: unset)
    int64_t min;                   //  int and size: smallest value allowed
    int64_t max;                   //  int and size: largest value allowed
    const char *const *choices;    //  choice: NULL-terminated list of words
    const char *unit;              //  "ms", "us", "s", "bytes" or NULL
    const char *help;              //  one line for `ppl show --help` and the docs
} wrp_param_def_t;

typedef struct _wrp_params_t wrp_params_t;

//  A set of values, every parameter at its default. NULL only on OOM.
wrp_params_t *wrp_params_new (void);

//  Destroy a set; NULL-safe, nulls the caller's pointer.
void wrp_params_destroy (wrp_params_t **self_p);

//  A deep copy (values and sources). NULL only on OOM.
wrp_params_t *wrp_params_dup (const wrp_params_t *self);

//  Validate value against the table and store it with its source. On error
//  returns -1, leaves self unchanged and sets *ret_err (caller frees) to a
//  message naming the parameter and the value, e.g.
//  "unknown parameter 'x' (did you mean 'y'?)" or
//  "parameter 'port': 70000 is out of range 1..65534".
int wrp_params_set (wrp_params_t *self, const char *name, const char *value,
                    wrp_source_t source, char **ret_err);

//  Value of an int or size parameter (sizes in bytes). name must be an int
//  or size parameter of the table (programmer error otherwise).
int64_t wrp_params_int (const wrp_params_t *self, const char *name);

//  Canonical text of a value ("8", "2G", "debug", a path); NULL for a path
//  parameter that is unset (hostfile). Borrowed; valid until the next set.
const char *wrp_params_str (const wrp_params_t *self, const char *name);

//  Where the value of name came from. name must be in the table.
wrp_source_t wrp_params_source (const wrp_params_t *self, const char *name);

//  Validate without storing: 0 when value is acceptable for name (sets
//  *ret_canonical, caller frees, when not NULL), else -1 and *ret_err.
int wrp_params_check (const char *name, const char *value, char **ret_canonical,
                      char **ret_err);

//  The table: count, entry by index (NULL past the end), entry by name
//  (NULL when unknown).
size_t wrp_params_count (void);
const wrp_param_def_t *wrp_params_def (size_t index);
const wrp_param_def_t *wrp_params_lookup (const char *name);

//  The known name closest to an unknown one, or NULL when none is close.
const char *wrp_params_suggest (const char *name);

//  Human text of a definition's constraint, e.g. "1..1024", ">= 16384",
//  "> 0", "debug, info, warning, error". Caller frees; NULL on OOM.
char *wrp_params_constraint (const wrp_param_def_t *def);

//  "int", "size", "choice", "path".
const char *wrp_params_type_name (wrp_param_type_t type);

//  "default", "pipeline", "conf".
const char *wrp_params_source_name (wrp_source_t source);

void wrp_params_test (bool verbose);

#endif
