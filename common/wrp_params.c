/*  wrp_params — the one table of runtime parameters. See wrp_params.h.

    Integers without an upper bound in the contract are capped at INT32_MAX
    (the runtime keeps them in 32-bit fields), and `timeout` at 2147483 s so
    that it still fits in milliseconds.                                       */

#include "wrp_params.h"
#include "wrp_str.h"
#include "wrp_size.h"
#include "wrp_duration.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_INT_MAX  2147483647LL
#define S_PATH_MAX 4095

static const char *const s_log_levels[] = {"debug", "info", "warning", "error", NULL};
static const char *const s_lane_policies[] = {"map_by_pid_tid", "round_robin", "random",
                                              NULL};

static const wrp_param_def_t s_table[] = {
    {"low_latency_workers", WRP_PARAM_INT, "4", 1, 1024, NULL, NULL,
     "worker threads for fast tasks (the runtime's sched_threads)"},
    {"high_latency_workers", WRP_PARAM_INT, "2", 0, 1024, NULL, NULL,
     "worker threads for slow tasks (the runtime's slow_threads)"},
    {"reinforcement_workers", WRP_PARAM_INT, "1", 0, 1024, NULL, NULL,
     "reinforcement worker threads"},
    {"process_reaper_workers", WRP_PARAM_INT, "1", 0, 1024, NULL, NULL,
     "process reaper worker threads"},
    {"main_segment_size", WRP_PARAM_SIZE, "1G", 1, INT64_MAX, NULL, "bytes",
     "main shared memory segment (chi_main_segment_$USER)"},
    {"client_data_segment_size", WRP_PARAM_SIZE, "512M", 1, INT64_MAX, NULL, "bytes",
     "client data shared memory segment"},
    {"runtime_data_segment_size", WRP_PARAM_SIZE, "512M", 1, INT64_MAX, NULL, "bytes",
     "runtime data shared memory segment"},
    {"port", WRP_PARAM_INT, "5555", 1, 65534, NULL, NULL,
     "the runtime's port; it also listens on port+1 (127.0.0.1)"},
    {"log_level", WRP_PARAM_CHOICE, "info", 0, 0, s_log_levels, NULL,
     "runtime log level"},
    {"stack_size", WRP_PARAM_INT, "65536", 16384, S_INT_MAX, NULL, "bytes",
     "stack size per task"},
    {"queue_depth", WRP_PARAM_INT, "10000", 1, S_INT_MAX, NULL, NULL, "task queue depth"},
    {"heartbeat_interval", WRP_PARAM_INT, "1000", 10, S_INT_MAX, NULL, "ms",
     "runtime heartbeat interval"},
    {"task_timeout", WRP_PARAM_INT, "30000", 1, S_INT_MAX, NULL, "ms", "task timeout"},
    {"lane_map_policy", WRP_PARAM_CHOICE, "round_robin", 0, 0, s_lane_policies, NULL,
     "how tasks are mapped to worker lanes"},
    {"first_busy_wait", WRP_PARAM_INT, "50", 0, S_INT_MAX, NULL, "us",
     "busy wait before a worker first sleeps"},
    {"sleep_increment", WRP_PARAM_INT, "1000", 0, S_INT_MAX, NULL, "us",
     "growth of an idle worker's sleep"},
    {"max_sleep", WRP_PARAM_INT, "50000", 0, S_INT_MAX, NULL, "us",
     "longest sleep of an idle worker"},
    {"neighborhood_size", WRP_PARAM_INT, "32", 1, S_INT_MAX, NULL, NULL,
     "nodes each node talks to directly"},
    {"wait_for_restart", WRP_PARAM_INT, "30", 0, S_INT_MAX, NULL, "s",
     "how long the runtime waits for a restarting peer"},
    {"wait_for_restart_poll_period", WRP_PARAM_INT, "1", 1, S_INT_MAX, NULL, "s",
     "poll period while waiting for a restarting peer"},
    {"sleep", WRP_PARAM_INT, "0", 0, S_INT_MAX, NULL, "s",
     "extra wait after start, as in Jarvis"},
    {"timeout", WRP_PARAM_INT, "300", 1, 2147483, NULL, "s",
     "bound on each lifecycle command (overridden by --timeout MS)"},
    {"hostfile", WRP_PARAM_PATH, NULL, 0, 0, NULL, NULL,
     "hostfile of the nodes to deploy on (default: localhost)"},
};

#define S_COUNT (sizeof s_table / sizeof s_table[0])

struct _wrp_params_t {
    char *text[S_COUNT];             //  canonical text per parameter (NULL: unset)
    int64_t number[S_COUNT];         //  int and size values (bytes for sizes)
    wrp_source_t source[S_COUNT];    //  where each value came from
};

//  Value text as it may be shown in a message: printable and bounded.
static char *
s_quote (const char *value)
{
    size_t len = strlen (value);
    size_t shown = len > 64 ? 64 : len;
    char *out = malloc (shown * 4 + 4);
    if (!out)
        return NULL;
    char *p = out;
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char) value[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            *p++ = (char) c;
        else
            p += sprintf (p, "\\x%02x", c);
    }
    if (len > shown)
        p += sprintf (p, "...");
    *p = 0;
    return out;
}

static ssize_t
s_index (const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < S_COUNT; i++)
        if (!strcmp (s_table[i].name, name))
            return (ssize_t) i;
    return -1;
}

//  Strict decimal integer: optional '-', digits, nothing else.
static int
s_parse_int (const char *text, int64_t *ret_value)
{
    const char *p = text;
    bool negative = false;
    if (*p == '-') {
        negative = true;
        p++;
    }
    if (!isdigit ((unsigned char) *p))
        return -1;
    uint64_t value = 0;
    for (; isdigit ((unsigned char) *p); p++) {
        unsigned digit = (unsigned) (*p - '0');
        if (value > ((uint64_t) INT64_MAX - digit) / 10)
            value = (uint64_t) INT64_MAX;    //  saturate; the range check reports it
        else
            value = value * 10 + digit;
    }
    if (*p)
        return -1;
    *ret_value = negative ? -(int64_t) value : (int64_t) value;
    return 0;
}

//  Check value for parameter def: 0 and the canonical text and number, or
//  -1 and a message naming the parameter and the value.
static int
s_validate (const wrp_param_def_t *def, const char *value, char **ret_text,
            int64_t *ret_number, char **ret_err)
{
    char *shown = s_quote (value);
    char *err = NULL;
    char *text = NULL;
    int64_t number = 0;
    if (!shown)
        goto oom;
    switch (def->type) {
    case WRP_PARAM_INT: {
        int64_t unit_us = def->unit ? wrp_duration_unit (def->unit) : 0;
        int64_t us = 0;
        if (s_parse_int (value, &number) && unit_us &&
            wrp_duration_parse (value, def->unit, &us, NULL) == 0) {
            //  A time with a unit: "200ms" for a parameter in ms.
            if (us % unit_us) {
                err = wrp_strf ("parameter '%s': '%s' is not a whole number of %s",
                                def->name, shown, def->unit);
                break;
            }
            number = us / unit_us;
        } else if (s_parse_int (value, &number)) {
            err = wrp_strf ("parameter '%s': '%s' is not %s", def->name, shown,
                            unit_us ? "a duration (e.g. 200ms, 30s)" : "an integer");
            break;
        }
        if (number < def->min || number > def->max) {
            char *range = wrp_params_constraint (def);
            err = wrp_strf ("parameter '%s': %s is out of range (%s)", def->name, shown,
                            range ? range : "?");
            free (range);
            break;
        }
        text = wrp_strf ("%lld", (long long) number);
        break;
    }
    case WRP_PARAM_SIZE: {
        char *reason = NULL;
        if (wrp_size_parse (value, &number, &reason)) {
            err = wrp_strf ("parameter '%s': invalid size '%s': %s", def->name, shown,
                            reason ? reason : "out of memory");
            free (reason);
            break;
        }
        if (number < def->min || number > def->max) {
            char *range = wrp_params_constraint (def);
            err = wrp_strf ("parameter '%s': size '%s' is out of range (%s)", def->name,
                            shown, range ? range : "?");
            free (range);
            break;
        }
        text = wrp_size_format (number);
        break;
    }
    case WRP_PARAM_CHOICE: {
        for (const char *const *c = def->choices; *c; c++)
            if (!strcmp (*c, value))
                text = strdup (value);
        if (!text) {
            char *list = wrp_params_constraint (def);
            err = wrp_strf ("parameter '%s': '%s' is not one of %s", def->name, shown,
                            list ? list : "?");
            free (list);
            //  Did not fail for lack of memory: keep err.
        }
        break;
    }
    case WRP_PARAM_PATH: {
        size_t len = strlen (value);
        bool control = false;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char) value[i] < 0x20 || value[i] == 0x7f)
                control = true;
        if (len == 0)
            err = wrp_strf ("parameter '%s': empty path", def->name);
        else if (len > S_PATH_MAX)
            err = wrp_strf ("parameter '%s': path '%s' is longer than %d bytes",
                            def->name, shown, S_PATH_MAX);
        else if (control)
            err = wrp_strf ("parameter '%s': path '%s' holds control characters",
                            def->name, shown);
        else
            text = strdup (value);
        break;
    }
    }
    free (shown);
    if (text) {
        *ret_text = text;
        *ret_number = number;
        return 0;
    }
    if (err) {
        if (ret_err)
            *ret_err = err;
        else
            free (err);
        return -1;
    }
oom:
    if (ret_err)
        *ret_err = strdup ("out of memory");
    return -1;
}

wrp_params_t *
wrp_params_new (void)
{
    wrp_params_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    for (size_t i = 0; i < S_COUNT; i++) {
        if (!s_table[i].default_value)
            continue;
        char *err = NULL;
        if (s_validate (&s_table[i], s_table[i].default_value, &self->text[i],
                        &self->number[i], &err)) {
            //  A default that fails its own constraint is a table bug,
            //  unless memory ran out.
            assert (err && !strcmp (err, "out of memory"));
            free (err);
            wrp_params_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
wrp_params_destroy (wrp_params_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_params_t *self = *self_p;
    for (size_t i = 0; i < S_COUNT; i++)
        free (self->text[i]);
    free (self);
    *self_p = NULL;
}

wrp_params_t *
wrp_params_dup (const wrp_params_t *self)
{
    assert (self);
    wrp_params_t *copy = calloc (1, sizeof *copy);
    if (!copy)
        return NULL;
    for (size_t i = 0; i < S_COUNT; i++) {
        copy->number[i] = self->number[i];
        copy->source[i] = self->source[i];
        if (self->text[i] && !(copy->text[i] = strdup (self->text[i]))) {
            wrp_params_destroy (&copy);
            return NULL;
        }
    }
    return copy;
}

const char *
wrp_params_suggest (const char *name)
{
    if (!name)
        return NULL;
    size_t len = strlen (name);
    if (len > 128)
        return NULL;
    const char *best = NULL;
    size_t best_distance = SIZE_MAX;
    for (size_t t = 0; t < S_COUNT; t++) {
        size_t distance = wrp_str_distance (name, s_table[t].name);
        if (distance < best_distance) {
            best_distance = distance;
            best = s_table[t].name;
        }
    }
    //  Close means a few edits, relative to the length of the name.
    size_t limit = len < 6 ? 1 : len < 12 ? 2 : 4;
    if (best && best_distance <= limit)
        return best;
    //  Or a prefix of a name: "low_latency" -> "low_latency_workers".
    if (len >= 4)
        for (size_t t = 0; t < S_COUNT; t++)
            if (!strncmp (s_table[t].name, name, len))
                return s_table[t].name;
    return NULL;
}

static char *
s_unknown (const char *name)
{
    char *shown = s_quote (name);
    if (!shown)
        return NULL;
    const char *suggestion = wrp_params_suggest (name);
    char *err =
        suggestion
            ? wrp_strf ("unknown parameter '%s' (did you mean '%s'?)", shown, suggestion)
            : wrp_strf ("unknown parameter '%s' (`wrp-controller ppl show` lists them)",
                        shown);
    free (shown);
    return err;
}

//  Looks name up and validates value: returns its table index and sets the
//  canonical text and number, or -1 and *ret_err.
static ssize_t
s_resolve (const char *name, const char *value, char **ret_text, int64_t *ret_number,
           char **ret_err)
{
    ssize_t index = s_index (name);
    if (index < 0) {
        if (ret_err) {
            char *err = s_unknown (name);
            *ret_err = err ? err : strdup ("out of memory");
        }
        return -1;
    }
    if (s_validate (&s_table[index], value, ret_text, ret_number, ret_err))
        return -1;
    return index;
}

int
wrp_params_check (const char *name, const char *value, char **ret_canonical,
                  char **ret_err)
{
    assert (name && value);
    char *text = NULL;
    int64_t number = 0;
    if (s_resolve (name, value, &text, &number, ret_err) < 0)
        return -1;
    if (ret_canonical)
        *ret_canonical = text;
    else
        free (text);
    return 0;
}

int
wrp_params_set (wrp_params_t *self, const char *name, const char *value,
                wrp_source_t source, char **ret_err)
{
    assert (self && name && value);
    char *text = NULL;
    int64_t number = 0;
    ssize_t index = s_resolve (name, value, &text, &number, ret_err);
    if (index < 0)
        return -1;
    free (self->text[index]);
    self->text[index] = text;
    self->number[index] = number;
    self->source[index] = source;
    return 0;
}

//  Index of a parameter the caller knows exists (a programming error if
//  not).
static size_t
s_known (const wrp_params_t *self, const char *name)
{
    assert (self);
    ssize_t index = s_index (name);
    assert (index >= 0);
    return (size_t) index;
}

int64_t
wrp_params_int (const wrp_params_t *self, const char *name)
{
    size_t index = s_known (self, name);
    assert (s_table[index].type == WRP_PARAM_INT ||
            s_table[index].type == WRP_PARAM_SIZE);
    return self->number[index];
}

const char *
wrp_params_str (const wrp_params_t *self, const char *name)
{
    return self->text[s_known (self, name)];
}

wrp_source_t
wrp_params_source (const wrp_params_t *self, const char *name)
{
    return self->source[s_known (self, name)];
}

size_t
wrp_params_count (void)
{
    return S_COUNT;
}

const wrp_param_def_t *
wrp_params_def (size_t index)
{
    return index < S_COUNT ? &s_table[index] : NULL;
}

const wrp_param_def_t *
wrp_params_lookup (const char *name)
{
    ssize_t index = s_index (name);
    return index < 0 ? NULL : &s_table[index];
}

char *
wrp_params_constraint (const wrp_param_def_t *def)
{
    assert (def);
    switch (def->type) {
    case WRP_PARAM_INT:
        if (def->max == S_INT_MAX)
            return wrp_strf (">= %lld (max %lld)", (long long) def->min, S_INT_MAX);
        return wrp_strf ("%lld..%lld", (long long) def->min, (long long) def->max);
    case WRP_PARAM_SIZE:
        return strdup ("> 0, at most 8191P");
    case WRP_PARAM_CHOICE: {
        size_t len = 1;
        for (const char *const *c = def->choices; *c; c++)
            len += strlen (*c) + 2;
        char *list = malloc (len);
        if (!list)
            return NULL;
        *list = 0;
        for (const char *const *c = def->choices; *c; c++) {
            if (c != def->choices)
                strcat (list, ", ");
            strcat (list, *c);
        }
        return list;
    }
    case WRP_PARAM_PATH:
        return strdup ("a file path");
    }
    return NULL;
}

const char *
wrp_params_type_name (wrp_param_type_t type)
{
    switch (type) {
    case WRP_PARAM_INT:
        return "int";
    case WRP_PARAM_SIZE:
        return "size";
    case WRP_PARAM_CHOICE:
        return "choice";
    case WRP_PARAM_PATH:
        return "path";
    }
    return "?";
}

const char *
wrp_params_source_name (wrp_source_t source)
{
    switch (source) {
    case WRP_SOURCE_DEFAULT:
        return "default";
    case WRP_SOURCE_PIPELINE:
        return "pipeline";
    case WRP_SOURCE_CONF:
        return "conf";
    }
    return "?";
}

void
wrp_params_test (bool verbose)
{
    wrp_params_t *params = wrp_params_new ();
    assert (params);
    //  Defaults of CONTRACT §2.
    assert (wrp_params_int (params, "low_latency_workers") == 4);
    assert (wrp_params_int (params, "high_latency_workers") == 2);
    assert (wrp_params_int (params, "main_segment_size") == 1073741824LL);
    assert (wrp_params_int (params, "client_data_segment_size") == 536870912LL);
    assert (wrp_params_int (params, "port") == 5555);
    assert (wrp_params_int (params, "timeout") == 300);
    assert (!strcmp (wrp_params_str (params, "log_level"), "info"));
    assert (!strcmp (wrp_params_str (params, "main_segment_size"), "1G"));
    assert (!strcmp (wrp_params_str (params, "lane_map_policy"), "round_robin"));
    assert (wrp_params_str (params, "hostfile") == NULL);
    assert (wrp_params_source (params, "port") == WRP_SOURCE_DEFAULT);

    //  Good values, with their source.
    char *err = NULL;
    assert (wrp_params_set (params, "main_segment_size", "2g", WRP_SOURCE_PIPELINE,
                            &err) == 0);
    assert (wrp_params_int (params, "main_segment_size") == 2147483648LL);
    assert (!strcmp (wrp_params_str (params, "main_segment_size"), "2G"));
    assert (wrp_params_source (params, "main_segment_size") == WRP_SOURCE_PIPELINE);
    assert (wrp_params_set (params, "log_level", "debug", WRP_SOURCE_CONF, &err) == 0);
    assert (wrp_params_source (params, "log_level") == WRP_SOURCE_CONF);
    assert (wrp_params_set (params, "hostfile", "/etc/hosts", WRP_SOURCE_CONF, &err) ==
            0);
    assert (!strcmp (wrp_params_str (params, "hostfile"), "/etc/hosts"));
    assert (wrp_params_set (params, "port", "65534", WRP_SOURCE_CONF, &err) == 0);
    assert (wrp_params_set (params, "high_latency_workers", "0", WRP_SOURCE_CONF, &err) ==
            0);
    //  Times take units: converted to the parameter's own.
    assert (wrp_params_set (params, "heartbeat_interval", "200ms", WRP_SOURCE_CONF,
                            &err) == 0);
    assert (wrp_params_int (params, "heartbeat_interval") == 200);
    assert (!strcmp (wrp_params_str (params, "heartbeat_interval"), "200"));
    assert (wrp_params_set (params, "timeout", "2m", WRP_SOURCE_CONF, &err) == 0);
    assert (wrp_params_int (params, "timeout") == 120);
    assert (wrp_params_set (params, "max_sleep", "1.5ms", WRP_SOURCE_CONF, &err) == 0);
    assert (wrp_params_int (params, "max_sleep") == 1500);
    assert (wrp_params_set (params, "timeout", "1500ms", WRP_SOURCE_CONF, &err) == -1);
    assert (strstr (err, "not a whole number of s"));
    free (err);
    assert (wrp_params_set (params, "timeout", "300", WRP_SOURCE_CONF, &err) == 0);

    //  Bad values: each an error naming parameter and value, nothing changed.
    struct {
        const char *name;      //  parameter
        const char *value;     //  bad value
        const char *needle;    //  expected in the message
    } bad[] = {
        {"low_latency_worker", "8", "did you mean 'low_latency_workers'?"},
        {"LOG_LEVEL", "info", "did you mean 'log_level'?"},
        {"zzzzzzzzzzzzzzzzzzzzzz", "1", "unknown parameter 'zzzzzzzzzzzzzzzzzzzzzz'"},
        {"low_latency_workers", "abc", "'abc' is not an integer"},
        {"low_latency_workers", "0", "out of range (1..1024)"},
        {"low_latency_workers", "1025", "1025 is out of range"},
        {"low_latency_workers", "8.5", "not an integer"},
        {"low_latency_workers", "", "not an integer"},
        {"port", "0", "port"},
        {"port", "65535", "out of range (1..65534)"},
        {"port", "99999999999999999999999", "out of range"},
        {"port", "-1", "out of range"},
        {"stack_size", "100", ">= 16384"},
        {"main_segment_size", "0", "greater than zero"},
        {"main_segment_size", "-1G", "negative"},
        {"main_segment_size", "12Q", "invalid size '12Q'"},
        {"main_segment_size", "99999999999P", "too large"},
        {"log_level", "loud", "'loud' is not one of debug, info, warning, error"},
        {"lane_map_policy", "fifo", "not one of map_by_pid_tid, round_robin, random"},
        {"hostfile", "", "empty path"},
        {"hostfile", "a\nb", "control characters"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wrp_params_t *before = wrp_params_dup (params);
        err = NULL;
        assert (wrp_params_set (params, bad[i].name, bad[i].value, WRP_SOURCE_CONF,
                                &err) == -1);
        if (verbose)
            printf ("   %s=%s: %s\n", bad[i].name, bad[i].value, err);
        assert (err && strstr (err, bad[i].needle));
        if (wrp_params_lookup (bad[i].name))
            assert (strstr (err, bad[i].name));
        free (err);
        assert (wrp_params_check (bad[i].name, bad[i].value, NULL, NULL) == -1);
        for (size_t t = 0; t < S_COUNT; t++) {
            const char *a = before->text[t], *b = params->text[t];
            assert ((!a && !b) || (a && b && !strcmp (a, b)));
            assert (before->source[t] == params->source[t]);
        }
        wrp_params_destroy (&before);
    }
    //  Check gives the canonical text.
    char *canon = NULL;
    assert (wrp_params_check ("client_data_segment_size", "1024m", &canon, NULL) == 0);
    assert (!strcmp (canon, "1G"));
    free (canon);

    //  Dup is deep.
    wrp_params_t *copy = wrp_params_dup (params);
    assert (copy);
    assert (wrp_params_set (copy, "port", "7000", WRP_SOURCE_CONF, NULL) == 0);
    assert (wrp_params_int (params, "port") == 65534);
    assert (wrp_params_int (copy, "port") == 7000);
    wrp_params_destroy (&copy);

    //  The table: every default passes its own check, names unique.
    for (size_t i = 0; i < wrp_params_count (); i++) {
        const wrp_param_def_t *def = wrp_params_def (i);
        assert (def && def->help && *def->help);
        assert (wrp_params_lookup (def->name) == def);
        if (def->default_value)
            assert (wrp_params_check (def->name, def->default_value, NULL, NULL) == 0);
        char *constraint = wrp_params_constraint (def);
        assert (constraint);
        free (constraint);
    }
    assert (wrp_params_def (wrp_params_count ()) == NULL);
    assert (!strcmp (wrp_params_source_name (WRP_SOURCE_PIPELINE), "pipeline"));

    wrp_params_destroy (&params);
    wrp_params_destroy (&params);
    assert (params == NULL);
}
