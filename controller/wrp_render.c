/*  wrp_render — table, JSON and Prometheus views of per-node results.
    See wrp_render.h.                                                         */

#include "wrp_render.h"
#include "wrp_buf.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  Length of the valid UTF-8 sequence at s (at most len bytes), 0 if invalid.
static size_t
s_utf8_len (const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    else if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (len < need)
        return 0;
    for (size_t k = 1; k < need; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return need;
}

//  A JSON string: quotes, escapes, control characters as \u00XX, invalid
//  UTF-8 replaced by U+FFFD.
static void
s_json_string (wrp_buf_t *b, const char *text)
{
    if (!text) {
        wrp_buf_str (b, "null");
        return;
    }
    const unsigned char *s = (const unsigned char *) text;
    size_t len = strlen (text);
    wrp_buf_add (b, "\"", 1);
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        if (c == '"')
            wrp_buf_str (b, "\\\"");
        else if (c == '\\')
            wrp_buf_str (b, "\\\\");
        else if (c == '\n')
            wrp_buf_str (b, "\\n");
        else if (c == '\t')
            wrp_buf_str (b, "\\t");
        else if (c == '\r')
            wrp_buf_str (b, "\\r");
        else if (c < 0x20 || c == 0x7F)
            wrp_buf_printf (b, "\\u%04x", c);
        else {
            size_t n = s_utf8_len (s + i, len - i);
            if (n == 0) {
                wrp_buf_str (b, "\\ufffd");
                i++;
                continue;
            }
            wrp_buf_add (b, (const char *) s + i, n);
            i += n;
            continue;
        }
        i++;
    }
    wrp_buf_add (b, "\"", 1);
}

//  A Prometheus label value: backslash, double quote and line feed escaped;
//  invalid UTF-8 replaced.
static void
s_prom_label (wrp_buf_t *b, const char *text)
{
    const unsigned char *s = (const unsigned char *) text;
    size_t len = strlen (text);
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        if (c == '\\')
            wrp_buf_str (b, "\\\\");
        else if (c == '"')
            wrp_buf_str (b, "\\\"");
        else if (c == '\n')
            wrp_buf_str (b, "\\n");
        else {
            size_t n = s_utf8_len (s + i, len - i);
            if (n == 0) {
                wrp_buf_str (b, "\xEF\xBF\xBD");
                i++;
                continue;
            }
            wrp_buf_add (b, (const char *) s + i, n);
            i += n;
            continue;
        }
        i++;
    }
}

//  --------------------------------------------------------------------------
//  Reading the status fields.

static const char *
s_state (const wrp_render_node_t *node)
{
    if (!node->status)
        return NULL;
    return wrp_msg_str (node->status, "state");
}

static bool
s_int (const wrp_msg_t *msg, const char *key, int64_t *ret_value)
{
    return msg && wrp_msg_int (msg, key, ret_value) == 0;
}

static const char *const s_signal_names[][2] = {
    {"HUP", "1"},   {"INT", "2"},   {"QUIT", "3"},  {"ILL", "4"},   {"TRAP", "5"},
    {"ABRT", "6"},  {"BUS", "7"},   {"FPE", "8"},   {"KILL", "9"},  {"USR1", "10"},
    {"SEGV", "11"}, {"USR2", "12"}, {"PIPE", "13"}, {"ALRM", "14"}, {"TERM", "15"},
    {"XCPU", "24"}, {"XFSZ", "25"}, {"SYS", "31"},
};

//  The signal as a number; the agent sends a number, a name is accepted.
static bool
s_signal (const wrp_msg_t *msg, int64_t *ret_signo)
{
    if (!msg)
        return false;
    if (wrp_msg_int (msg, "signal", ret_signo) == 0)
        return true;
    const char *name = wrp_msg_str (msg, "signal");
    if (!name)
        return false;
    if (!strncmp (name, "SIG", 3))
        name += 3;
    for (size_t i = 0; i < sizeof s_signal_names / sizeof s_signal_names[0]; i++)
        if (!strcmp (name, s_signal_names[i][0])) {
            *ret_signo = atoi (s_signal_names[i][1]);
            return true;
        }
    return false;
}

void
wrp_render_bytes (uint64_t bytes, char *buf, size_t size)
{
    static const char units[] = "KMGTPE";
    if (bytes < 1024) {
        snprintf (buf, size, "%" PRIu64, bytes);
        return;
    }
    double value = (double) bytes;
    int unit = -1;
    while (value >= 1024 && unit < 5) {
        value /= 1024;
        unit++;
    }
    if (value < 10 && fabs (value - round (value)) > 0.05)
        snprintf (buf, size, "%.1f%c", value, units[unit]);
    else
        snprintf (buf, size, "%.0f%c", value, units[unit]);
}

void
wrp_render_duration (double seconds, char *buf, size_t size)
{
    if (seconds < 0)
        seconds = 0;
    uint64_t s = (uint64_t) seconds;
    if (s < 60)
        snprintf (buf, size, "%" PRIu64 "s", s);
    else if (s < 3600)
        snprintf (buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
    else if (s < 86400)
        snprintf (buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
    else
        snprintf (buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
}

void
wrp_render_signal (int64_t signo, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof s_signal_names / sizeof s_signal_names[0]; i++)
        if (atoi (s_signal_names[i][1]) == signo) {
            snprintf (buf, size, "SIG%s", s_signal_names[i][0]);
            return;
        }
    snprintf (buf, size, "signal %" PRId64, signo);
}

//  The most telling line of the runtime's output: the last one that looks
//  like an error (FATAL, error, abort, assert, panic). Into buf; false if
//  none.
static bool
s_telling_line (const char *output, char *buf, size_t size)
{
    if (!output)
        return false;
    const char *best = NULL;
    size_t best_len = 0;
    const char *line = output;
    while (*line) {
        const char *end = strchr (line, '\n');
        size_t len = end ? (size_t) (end - line) : strlen (line);
        bool blank = true;
        for (size_t k = 0; k < len; k++)
            if (line[k] != ' ' && line[k] != '\t' && line[k] != '\r')
                blank = false;
        if (!blank) {
            static const char *const words[] = {"FATAL", "Fatal", "fatal", "ERROR",
                                                "Error", "error", "abort", "Abort",
                                                "ssert", "panic"};
            bool telling = false;
            for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
                if (memmem (line, len, words[w], strlen (words[w])))
                    telling = true;
            if (telling) {
                best = line;
                best_len = len;
            }
        }
        if (!end)
            break;
        line = end + 1;
    }
    if (!best)
        return false;
    while (best_len > 0 && (best[best_len - 1] == '\r' || best[best_len - 1] == ' '))
        best_len--;
    snprintf (buf, size, "%.*s", (int) (best_len < size - 1 ? best_len : size - 1), best);
    return true;
}

char *
wrp_render_failure (const wrp_msg_t *status)
{
    if (!status)
        return NULL;
    //  How it ended, in our words (unless the agent's text already says it
    //  in the same words), then the agent's text, then the runtime's most
    //  telling output line when one looks like an error.
    char how[96] = "";
    int64_t code, signo;
    if (s_signal (status, &signo)) {
        char name[32];
        wrp_render_signal (signo, name, sizeof name);
        snprintf (how, sizeof how, "killed by %s", name);
    } else if (s_int (status, "exit_code", &code))
        snprintf (how, sizeof how, "exited with code %" PRId64, code);
    wrp_buf_t b = {0};
    const char *error = wrp_msg_str (status, "error");
    if (*how && !(error && strstr (error, how)))
        wrp_buf_str (&b, how);
    if (error && *error)
        wrp_buf_printf (&b, "%s%s", b.size ? ": " : "", error);
    char line[512];
    if (s_telling_line (wrp_msg_str (status, "output"), line, sizeof line) &&
        !(error && strstr (error, line)))
        wrp_buf_printf (&b, "%s%s", b.size ? " | " : "", line);
    if (b.size == 0) {
        free (b.data);
        return NULL;
    }
    return wrp_buf_finish (&b, NULL);
}

bool
wrp_render_node_failing (const wrp_render_node_t *node)
{
    if (!node->reachable || node->error)
        return true;
    if (node->result && strcmp (node->result, "ok"))
        return true;
    const char *state = s_state (node);
    return state && !strcmp (state, "failed");
}

void
wrp_render_summarize (const wrp_render_view_t *view, wrp_render_summary_t *ret_summary)
{
    wrp_render_summary_t sum = {.total = view->count};
    for (size_t i = 0; i < view->count; i++) {
        const wrp_render_node_t *node = &view->nodes[i];
        const char *state = node->reachable ? s_state (node) : NULL;
        if (node->reachable)
            sum.reachable++;
        if (state && !strcmp (state, "running"))
            sum.running++;
        if (state && !strcmp (state, "failed"))
            sum.failed++;
        if (!node->reachable || (node->result && strcmp (node->result, "ok")) ||
            (!node->result && node->error))
            sum.errors++;
    }
    *ret_summary = sum;
}

static uint64_t
s_shm_total (const wrp_msg_t *status, size_t *ret_count)
{
    uint64_t total = 0;
    size_t count = 0;
    const char *shm = status ? wrp_msg_str (status, "shm") : NULL;
    for (const char *line = shm; line && *line;) {
        const char *end = strchr (line, '\n');
        const char *tab = strchr (line, '\t');
        if (tab && (!end || tab < end)) {
            total += strtoull (tab + 1, NULL, 10);
            count++;
        }
        line = end ? end + 1 : NULL;
    }
    *ret_count = count;
    return total;
}

//  --------------------------------------------------------------------------
//  Table

#define S_COLS 9

static const char *s_headers[S_COLS] = {
    "HOST", "AGENT", "STATE", "PID", "UPTIME", "GEN", "SHM", "RTT", "DETAIL",
};

//  Colour of a cell (ANSI SGR code) or NULL.
static const char *
s_cell_color (int col, const char *text)
{
    if (col == 1)
        return !strcmp (text, "up") ? "32" : "31;1";
    if (col == 2) {
        if (!strcmp (text, "running"))
            return "32";
        if (!strcmp (text, "failed"))
            return "31;1";
        if (!strcmp (text, "starting") || !strcmp (text, "stopping"))
            return "33";
    }
    return NULL;
}

char *
wrp_render_table (const wrp_render_view_t *view)
{
    assert (view);
    size_t rows = view->count;
    char *(*cells)[S_COLS] = calloc (rows ? rows : 1, sizeof *cells);
    size_t *order = calloc (rows ? rows : 1, sizeof *order);
    if (!cells || !order) {
        free (cells);
        free (order);
        return NULL;
    }
    size_t width[S_COLS];
    for (int c = 0; c < S_COLS; c++)
        width[c] = strlen (s_headers[c]);

    //  Failing nodes first, each group in hostfile order.
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < rows; i++)
            if (wrp_render_node_failing (&view->nodes[i]) == (pass == 0))
                order[n++] = i;

    for (size_t r = 0; r < rows; r++) {
        const wrp_render_node_t *node = &view->nodes[order[r]];
        const wrp_msg_t *st = node->reachable ? node->status : NULL;
        const char *state = st ? wrp_msg_str (st, "state") : NULL;
        char buf[S_COLS][160];
        for (int c = 0; c < S_COLS; c++)
            strcpy (buf[c], "-");
        snprintf (buf[0], sizeof buf[0], "%s", node->host);
        snprintf (buf[1], sizeof buf[1], "%s",
                  node->unauthorized ? "denied"
                  : node->reachable  ? "up"
                                     : "down");
        if (state)
            snprintf (buf[2], sizeof buf[2], "%s", state);
        else if (!node->reachable)
            strcpy (buf[2], "?");
        int64_t v;
        if (s_int (st, "pid", &v))
            snprintf (buf[3], sizeof buf[3], "%" PRId64, v);
        if (s_int (st, "uptime_ms", &v) && state &&
            (!strcmp (state, "running") || !strcmp (state, "starting") ||
             !strcmp (state, "stopping")))
            wrp_render_duration ((double) v / 1000.0, buf[4], sizeof buf[4]);
        if (s_int (st, "generation", &v))
            snprintf (buf[5], sizeof buf[5], "%" PRId64, v);
        size_t segs;
        uint64_t bytes = s_shm_total (st, &segs);
        if (segs > 0) {
            char human[32];
            wrp_render_bytes (bytes, human, sizeof human);
            snprintf (buf[6], sizeof buf[6], "%s (%zu)", human, segs);
        }
        if (node->reachable && node->rtt_ms >= 0)
            snprintf (buf[7], sizeof buf[7], "%.1fms", node->rtt_ms);

        //  DETAIL: what went wrong, else how the runtime failed, else the note.
        char *detail = NULL;
        char *failure =
            (state && !strcmp (state, "failed")) ? wrp_render_failure (st) : NULL;
        if (node->error && failure && !strstr (node->error, failure)) {
            size_t len = strlen (node->error) + strlen (failure) + 4;
            detail = malloc (len);
            if (detail)
                snprintf (detail, len, "%s; %s", node->error, failure);
        } else if (node->error)
            detail = strdup (node->error);
        else if (failure)
            detail = strdup (failure);
        else if (node->note)
            detail = strdup (node->note);
        else
            detail = strdup ("");
        free (failure);
        //  One line per row, whatever the agent sent.
        for (char *p = detail; p && *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';

        for (int c = 0; c < S_COLS - 1; c++)
            cells[r][c] = strdup (buf[c]);
        cells[r][S_COLS - 1] = detail;
        for (int c = 0; c < S_COLS; c++) {
            if (!cells[r][c])
                cells[r][c] = strdup ("");
            size_t len = cells[r][c] ? strlen (cells[r][c]) : 0;
            if (c < S_COLS - 1 && len > width[c])
                width[c] = len;
        }
    }

    wrp_buf_t b = {0};
    for (int c = 0; c < S_COLS; c++) {
        if (c < S_COLS - 1)
            wrp_buf_printf (&b, "%-*s  ", (int) width[c], s_headers[c]);
        else
            wrp_buf_printf (&b, "%s\n", s_headers[c]);
    }
    for (size_t r = 0; r < rows; r++) {
        for (int c = 0; c < S_COLS; c++) {
            const char *text = cells[r][c] ? cells[r][c] : "";
            const char *color = view->color ? s_cell_color (c, text) : NULL;
            if (view->color && c == S_COLS - 1 && *text &&
                wrp_render_node_failing (&view->nodes[order[r]]))
                color = "31";
            if (color)
                wrp_buf_printf (&b, "\033[%sm", color);
            if (c < S_COLS - 1) {
                wrp_buf_str (&b, text);
                if (color)
                    wrp_buf_str (&b, "\033[0m");
                wrp_buf_printf (&b, "%*s", (int) (width[c] - strlen (text) + 2), "");
            } else {
                wrp_buf_str (&b, text);
                if (color)
                    wrp_buf_str (&b, "\033[0m");
                //  No trailing blanks on a row without detail.
                while (b.size > 0 && b.data[b.size - 1] == ' ')
                    b.data[--b.size] = '\0';
                wrp_buf_str (&b, "\n");
            }
        }
    }

    //  The last output of failed runtimes, a few nodes at most.
    size_t shown = 0, more = 0;
    for (size_t r = 0; r < rows; r++) {
        const wrp_render_node_t *node = &view->nodes[order[r]];
        const char *state = node->reachable ? s_state (node) : NULL;
        const char *output = node->status ? wrp_msg_str (node->status, "output") : NULL;
        if (!state || strcmp (state, "failed") || !output || !*output)
            continue;
        if (shown == 8) {
            more++;
            continue;
        }
        wrp_buf_printf (&b, "\n%s: last output of the runtime:\n", node->host);
        //  At most the last 5 lines.
        const char *start = output + strlen (output);
        int lines = 0;
        while (start > output && lines < 6) {
            start--;
            if (*start == '\n' && start[1] != '\0')
                lines++;
        }
        if (lines == 6)
            start++;
        else
            start = output;
        for (const char *line = start; *line;) {
            const char *end = strchr (line, '\n');
            size_t len = end ? (size_t) (end - line) : strlen (line);
            if (len > 0)
                wrp_buf_printf (&b, "    %.*s\n", (int) len, line);
            line = end ? end + 1 : line + len;
        }
        shown++;
    }
    if (more)
        wrp_buf_printf (&b, "\n(%zu more failed nodes: see --json)\n", more);

    wrp_render_summary_t sum;
    wrp_render_summarize (view, &sum);
    wrp_buf_printf (&b, "%s%zu node%s: %zu reachable, %zu running", shown ? "\n" : "",
                    sum.total, sum.total == 1 ? "" : "s", sum.reachable, sum.running);
    if (sum.failed)
        wrp_buf_printf (&b, ", %zu failed", sum.failed);
    if (view->command && strcmp (view->command, "status")) {
        if (sum.errors)
            wrp_buf_printf (&b, "; %s did not succeed on %zu of %zu", view->command,
                            sum.errors, sum.total);
        else
            wrp_buf_printf (&b, "; %s done on all", view->command);
    } else if (sum.total > sum.reachable)
        wrp_buf_printf (&b, "; %zu not answering", sum.total - sum.reachable);
    wrp_buf_str (&b, "\n");

    for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < S_COLS; c++)
            free (cells[r][c]);
    free (cells);
    free (order);
    return wrp_buf_finish (&b, NULL);
}

//  --------------------------------------------------------------------------
//  JSON

static void
s_json_number_or_null (wrp_buf_t *b, const wrp_msg_t *msg, const char *key)
{
    int64_t v;
    if (s_int (msg, key, &v))
        wrp_buf_printf (b, "%" PRId64, v);
    else
        wrp_buf_str (b, "null");
}

static void
s_iso_time (double t, char *buf, size_t size)
{
    time_t secs = (time_t) t;
    struct tm tm;
    gmtime_r (&secs, &tm);
    int ms = (int) ((t - (double) secs) * 1000);
    snprintf (buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
              ms < 0     ? 0
              : ms > 999 ? 999
                         : ms);
}

//  A "name\tbytes" list as [{"K1": name, "K2": bytes}, ...].
static void
s_json_pairs (wrp_buf_t *b, const char *list, const char *k1, const char *k2)
{
    wrp_buf_str (b, "[");
    bool first = true;
    for (const char *line = list; line && *line;) {
        const char *end = strchr (line, '\n');
        size_t len = end ? (size_t) (end - line) : strlen (line);
        const char *tab = memchr (line, '\t', len);
        if (tab) {
            char *name = strndup (line, (size_t) (tab - line));
            uint64_t bytes = strtoull (tab + 1, NULL, 10);
            wrp_buf_printf (b, "%s{\"%s\":", first ? "" : ",", k1);
            s_json_string (b, name ? name : "");
            wrp_buf_printf (b, ",\"%s\":%" PRIu64 "}", k2, bytes);
            free (name);
            first = false;
        }
        line = end ? end + 1 : NULL;
    }
    wrp_buf_str (b, "]");
}

char *
wrp_render_json (const wrp_render_view_t *view)
{
    assert (view);
    wrp_buf_t b = {0};
    wrp_render_summary_t sum;
    wrp_render_summarize (view, &sum);
    wrp_buf_str (&b, "{\"pipeline\":");
    s_json_string (&b, view->pipeline);
    wrp_buf_printf (&b, ",\"generation\":%" PRIu64 ",\"command\":", view->generation);
    s_json_string (&b, view->command ? view->command : "status");
    if (view->updated_at > 0) {
        char iso[80];
        s_iso_time (view->updated_at, iso, sizeof iso);
        wrp_buf_str (&b, ",\"updated_at\":");
        s_json_string (&b, iso);
    }
    wrp_buf_printf (&b,
                    ",\"summary\":{\"total\":%zu,\"reachable\":%zu,\"running\":%zu,"
                    "\"failed\":%zu},\"nodes\":[",
                    sum.total, sum.reachable, sum.running, sum.failed);
    for (size_t i = 0; i < view->count; i++) {
        const wrp_render_node_t *node = &view->nodes[i];
        const wrp_msg_t *st = node->reachable ? node->status : NULL;
        wrp_buf_str (&b, i ? ",{\"host\":" : "{\"host\":");
        s_json_string (&b, node->host);
        wrp_buf_printf (
            &b, ",\"reachable\":%s,\"rtt_ms\":", node->reachable ? "true" : "false");
        if (node->reachable && node->rtt_ms >= 0)
            wrp_buf_printf (&b, "%.3f", node->rtt_ms);
        else
            wrp_buf_str (&b, "null");
        const char *state = st ? wrp_msg_str (st, "state") : NULL;
        if (state) {
            wrp_buf_str (&b, ",\"runtime\":{\"state\":");
            s_json_string (&b, state);
            wrp_buf_str (&b, ",\"pid\":");
            s_json_number_or_null (&b, st, "pid");
            int64_t v;
            wrp_buf_str (&b, ",\"uptime_s\":");
            if (s_int (st, "uptime_ms", &v))
                wrp_buf_printf (&b, "%.3f", (double) v / 1000.0);
            else
                wrp_buf_str (&b, "null");
            wrp_buf_str (&b, ",\"exit_code\":");
            s_json_number_or_null (&b, st, "exit_code");
            wrp_buf_str (&b, ",\"signal\":");
            if (s_signal (st, &v))
                wrp_buf_printf (&b, "%" PRId64, v);
            else
                wrp_buf_str (&b, "null");
            wrp_buf_str (&b, ",\"starts\":");
            if (s_int (st, "starts", &v))
                wrp_buf_printf (&b, "%" PRId64, v);
            else
                wrp_buf_str (&b, "0");
            wrp_buf_str (&b, "}");
        } else
            wrp_buf_str (&b, ",\"runtime\":null");
        if (st && (wrp_msg_has (st, "generation") || wrp_msg_has (st, "sha256"))) {
            wrp_buf_str (&b, ",\"config\":{\"pipeline\":");
            s_json_string (&b, wrp_msg_str (st, "pipeline"));
            wrp_buf_str (&b, ",\"generation\":");
            s_json_number_or_null (&b, st, "generation");
            wrp_buf_str (&b, ",\"sha256\":");
            s_json_string (&b, wrp_msg_str (st, "sha256"));
            wrp_buf_str (&b, "}");
        } else
            wrp_buf_str (&b, ",\"config\":null");
        wrp_buf_str (&b, ",\"shm\":");
        s_json_pairs (&b, st ? wrp_msg_str (st, "shm") : NULL, "name", "bytes");
        //  error: what went wrong with the command or the node; for a failed
        //  runtime, how it ended.
        char *failure =
            (state && !strcmp (state, "failed")) ? wrp_render_failure (st) : NULL;
        wrp_buf_str (&b, ",\"error\":");
        if (node->error)
            s_json_string (&b, node->error);
        else
            s_json_string (&b, failure);
        free (failure);
        wrp_buf_str (&b, ",\"output\":");
        const char *output = st ? wrp_msg_str (st, "output") : NULL;
        wrp_buf_str (&b, "[");
        bool first = true;
        for (const char *line = output; line && *line;) {
            const char *end = strchr (line, '\n');
            char *one = end ? strndup (line, (size_t) (end - line)) : strdup (line);
            wrp_buf_str (&b, first ? "" : ",");
            s_json_string (&b, one ? one : "");
            free (one);
            first = false;
            line = end ? end + 1 : NULL;
        }
        wrp_buf_str (&b, "]");
        if (node->result) {
            wrp_buf_str (&b, ",\"result\":");
            s_json_string (&b, node->result);
        }
        if (node->removed) {
            wrp_buf_str (&b, ",\"removed\":");
            s_json_pairs (&b, node->removed, "path", "bytes");
        }
        if (view->updated_at > 0) {
            wrp_buf_str (&b, ",\"last_seen\":");
            if (node->last_seen > 0) {
                char iso[80];
                s_iso_time (node->last_seen, iso, sizeof iso);
                s_json_string (&b, iso);
            } else
                wrp_buf_str (&b, "null");
        }
        wrp_buf_str (&b, "}");
    }
    wrp_buf_str (&b, "]}\n");
    return wrp_buf_finish (&b, NULL);
}

//  --------------------------------------------------------------------------
//  Prometheus

static const char *s_states[] = {"stopped", "starting", "running", "stopping", "failed"};

static void
s_prom_head (wrp_buf_t *b, const char *name, const char *type, const char *help)
{
    wrp_buf_printf (b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
s_prom_host (wrp_buf_t *b, const char *name, const char *host)
{
    wrp_buf_printf (b, "%s{host=\"", name);
    s_prom_label (b, host);
    wrp_buf_str (b, "\"");
}

//  Per node: pid, how the last failure ended, when the state last changed;
//  the generation the controller wants.
static void
s_prom_more (wrp_buf_t *b, const wrp_render_view_t *view)
{
    static const char *const fields[][3] = {
        {"wrp_runtime_pid", "pid", "Process id of the runtime."},
        {"wrp_runtime_exit_code", "exit_code", "Exit status of the failed runtime."},
        {"wrp_runtime_signal", "signal", "Signal number that killed the failed runtime."},
    };
    int64_t v;
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
        s_prom_head (b, fields[f][0], "gauge", fields[f][2]);
        for (size_t i = 0; i < view->count; i++) {
            const wrp_msg_t *st = view->nodes[i].reachable ? view->nodes[i].status : NULL;
            if (f == 2 ? s_signal (st, &v) : s_int (st, fields[f][1], &v)) {
                s_prom_host (b, fields[f][0], view->nodes[i].host);
                wrp_buf_printf (b, "} %" PRId64 "\n", v);
            }
        }
    }
    s_prom_head (b, "wrp_config_generation_wanted", "gauge",
                 "Generation of the config the controller would push now.");
    wrp_buf_printf (b, "wrp_config_generation_wanted %" PRIu64 "\n", view->generation);
    if (view->updated_at <= 0)
        return;
    s_prom_head (
        b, "wrp_runtime_state_change_timestamp_seconds", "gauge",
        "When monitor saw the node's agent or runtime state change (Unix time).");
    for (size_t i = 0; i < view->count; i++)
        if (view->nodes[i].changed_at > 0) {
            s_prom_host (b, "wrp_runtime_state_change_timestamp_seconds",
                         view->nodes[i].host);
            wrp_buf_printf (b, "} %.3f\n", view->nodes[i].changed_at);
        }
}

//  monitor's own series.
static void
s_prom_monitor (wrp_buf_t *b, const wrp_render_view_t *view)
{
    const wrp_render_monitor_t *m = view->monitor;
    static const char *const states[] = {"down",    "unknown",  "stopped", "starting",
                                         "running", "stopping", "failed"};
    size_t counts[sizeof states / sizeof states[0]] = {0};
    for (size_t i = 0; i < view->count; i++) {
        const char *state = view->nodes[i].reachable ? s_state (&view->nodes[i]) : "down";
        size_t s = 1;
        for (size_t k = 0; state && k < sizeof states / sizeof states[0]; k++)
            if (!strcmp (state, states[k]))
                s = k;
        counts[s]++;
    }
    s_prom_head (b, "wrp_monitor_nodes", "gauge",
                 "Nodes by state (down: the agent does not answer).");
    for (size_t k = 0; k < sizeof states / sizeof states[0]; k++)
        wrp_buf_printf (b, "wrp_monitor_nodes{state=\"%s\"} %zu\n", states[k], counts[k]);
    s_prom_head (b, "wrp_monitor_interval_seconds", "gauge", "The poll period.");
    wrp_buf_printf (b, "wrp_monitor_interval_seconds %.3f\n", m->interval_s);
    s_prom_head (b, "wrp_monitor_poll_duration_seconds", "gauge",
                 "The last poll, from sending to the last reply.");
    wrp_buf_printf (b, "wrp_monitor_poll_duration_seconds %.6f\n", m->poll_duration_s);
    s_prom_head (b, "wrp_monitor_polls_total", "counter", "Polls sent.");
    wrp_buf_printf (b, "wrp_monitor_polls_total %" PRIu64 "\n", m->polls);
    s_prom_head (b, "wrp_monitor_errors_total", "counter",
                 "Agents found down, ERROR replies and refused keys.");
    wrp_buf_printf (b, "wrp_monitor_errors_total %" PRIu64 "\n", m->errors);
}

char *
wrp_render_prometheus (const wrp_render_view_t *view)
{
    assert (view);
    wrp_buf_t b = {0};
    const wrp_render_node_t *nodes = view->nodes;
    size_t n = view->count;
    int64_t v;

    s_prom_head (&b, "wrp_agent_up", "gauge",
                 "1 when the node's wrp-agentd answered, else 0.");
    for (size_t i = 0; i < n; i++) {
        s_prom_host (&b, "wrp_agent_up", nodes[i].host);
        wrp_buf_printf (&b, "} %d\n", nodes[i].reachable ? 1 : 0);
    }
    s_prom_head (&b, "wrp_agent_rtt_seconds", "gauge",
                 "Round trip of the agent's reply, seconds.");
    for (size_t i = 0; i < n; i++)
        if (nodes[i].reachable && nodes[i].rtt_ms >= 0) {
            s_prom_host (&b, "wrp_agent_rtt_seconds", nodes[i].host);
            wrp_buf_printf (&b, "} %.6f\n", nodes[i].rtt_ms / 1000.0);
        }
    s_prom_head (&b, "wrp_runtime_up", "gauge",
                 "1 when the runtime is running (serving), else 0; absent when the agent "
                 "did not answer.");
    for (size_t i = 0; i < n; i++) {
        const char *state = nodes[i].reachable ? s_state (&nodes[i]) : NULL;
        if (!state)
            continue;
        s_prom_host (&b, "wrp_runtime_up", nodes[i].host);
        wrp_buf_printf (&b, "} %d\n", !strcmp (state, "running"));
    }
    s_prom_head (&b, "wrp_runtime_state", "gauge",
                 "The runtime's state: 1 for the current one, 0 for the others.");
    for (size_t i = 0; i < n; i++) {
        const char *state = nodes[i].reachable ? s_state (&nodes[i]) : NULL;
        if (!state)
            continue;
        for (size_t s = 0; s < sizeof s_states / sizeof s_states[0]; s++) {
            s_prom_host (&b, "wrp_runtime_state", nodes[i].host);
            wrp_buf_printf (&b, ",state=\"%s\"} %d\n", s_states[s],
                            !strcmp (state, s_states[s]));
        }
    }
    s_prom_head (&b, "wrp_runtime_uptime_seconds", "gauge",
                 "Seconds since the runtime was started.");
    for (size_t i = 0; i < n; i++) {
        const wrp_msg_t *st = nodes[i].reachable ? nodes[i].status : NULL;
        if (s_int (st, "uptime_ms", &v)) {
            s_prom_host (&b, "wrp_runtime_uptime_seconds", nodes[i].host);
            wrp_buf_printf (&b, "} %.3f\n", (double) v / 1000.0);
        }
    }
    s_prom_head (&b, "wrp_runtime_starts_total", "counter",
                 "Runtimes this node's agent has started.");
    for (size_t i = 0; i < n; i++) {
        const wrp_msg_t *st = nodes[i].reachable ? nodes[i].status : NULL;
        if (s_int (st, "starts", &v)) {
            s_prom_host (&b, "wrp_runtime_starts_total", nodes[i].host);
            wrp_buf_printf (&b, "} %" PRId64 "\n", v);
        }
    }
    s_prom_head (&b, "wrp_config_generation", "gauge",
                 "Generation of the config the node's runtime was started with.");
    for (size_t i = 0; i < n; i++) {
        const wrp_msg_t *st = nodes[i].reachable ? nodes[i].status : NULL;
        if (s_int (st, "generation", &v)) {
            s_prom_host (&b, "wrp_config_generation", nodes[i].host);
            wrp_buf_printf (&b, "} %" PRId64 "\n", v);
        }
    }
    s_prom_head (&b, "wrp_shm_bytes", "gauge",
                 "Size of each chi_* shared memory segment on the node, bytes.");
    for (size_t i = 0; i < n; i++) {
        const char *shm = nodes[i].reachable && nodes[i].status
                              ? wrp_msg_str (nodes[i].status, "shm")
                              : NULL;
        for (const char *line = shm; line && *line;) {
            const char *end = strchr (line, '\n');
            size_t len = end ? (size_t) (end - line) : strlen (line);
            const char *tab = memchr (line, '\t', len);
            if (tab) {
                char *name = strndup (line, (size_t) (tab - line));
                s_prom_host (&b, "wrp_shm_bytes", nodes[i].host);
                wrp_buf_str (&b, ",name=\"");
                s_prom_label (&b, name ? name : "");
                wrp_buf_printf (&b, "\"} %" PRIu64 "\n",
                                (uint64_t) strtoull (tab + 1, NULL, 10));
                free (name);
            }
            line = end ? end + 1 : NULL;
        }
    }
    s_prom_more (&b, view);
    if (view->updated_at > 0) {
        s_prom_head (&b, "wrp_last_poll_timestamp_seconds", "gauge",
                     "When wrp-controller monitor last polled the agents (Unix time).");
        wrp_buf_printf (&b, "wrp_last_poll_timestamp_seconds %.3f\n", view->updated_at);
    }
    if (view->monitor)
        s_prom_monitor (&b, view);
    return wrp_buf_finish (&b, NULL);
}

//  --------------------------------------------------------------------------
//  Self test

void
wrp_render_test (bool verbose)
{
    char buf[64];
    wrp_render_bytes (1073741824, buf, sizeof buf);
    assert (!strcmp (buf, "1G"));
    wrp_render_bytes (1073741824 + 536870912, buf, sizeof buf);
    assert (!strcmp (buf, "1.5G"));
    wrp_render_bytes (1000, buf, sizeof buf);
    assert (!strcmp (buf, "1000"));
    wrp_render_duration (184, buf, sizeof buf);
    assert (!strcmp (buf, "3m04s"));
    wrp_render_duration (7500, buf, sizeof buf);
    assert (!strcmp (buf, "2h05m"));
    wrp_render_signal (11, buf, sizeof buf);
    assert (!strcmp (buf, "SIGSEGV"));

    wrp_msg_t *running = wrp_msg_new (WRP_CMD_OK, "a1");
    wrp_msg_set_str (running, "state", "running");
    wrp_msg_set_int (running, "pid", 4242);
    wrp_msg_set_int (running, "uptime_ms", 12500);
    wrp_msg_set_int (running, "starts", 1);
    wrp_msg_set_int (running, "generation", 3);
    wrp_msg_set_str (running, "sha256", "ab12");
    wrp_msg_set_str (running, "shm", "chi_main_segment_root\t1073758208\nchi_x\t16\n");
    wrp_msg_t *failed = wrp_msg_new (WRP_CMD_OK, "a1");
    wrp_msg_set_str (failed, "state", "failed");
    wrp_msg_set_int (failed, "exit_code", 1);
    wrp_msg_set_str (failed, "error", "the runtime exited with code 1");
    wrp_msg_set_str (failed, "output", "starting\nFATAL: cannot parse \"port\"\nbye\n");

    wrp_render_node_t nodes[3] = {
        {.host = "node01", .reachable = true, .rtt_ms = 0.42, .status = running},
        {.host = "node\"02\\", .reachable = true, .rtt_ms = 0.5, .status = failed},
        {.host = "node03",
         .reachable = false,
         .rtt_ms = -1,
         .error = "unreachable: no reply within 5.0 s"},
    };
    wrp_render_view_t view = {
        .pipeline = "basic",
        .generation = 3,
        .command = "status",
        .nodes = nodes,
        .count = 3,
    };
    wrp_render_summary_t sum;
    wrp_render_summarize (&view, &sum);
    assert (sum.total == 3 && sum.reachable == 2 && sum.running == 1 && sum.failed == 1);

    char *failure = wrp_render_failure (failed);
    assert (failure);
    assert (strstr (failure, "code 1"));
    assert (strstr (failure, "FATAL: cannot parse"));
    free (failure);

    char *table = wrp_render_table (&view);
    assert (table);
    if (verbose)
        printf ("\n%s", table);
    //  Failing nodes first, the healthy one last; a summary at the end.
    char *first_failing = strstr (table, "node\"02");
    char *healthy = strstr (table, "node01");
    assert (first_failing && healthy && first_failing < healthy);
    assert (strstr (table, "3 nodes: 2 reachable, 1 running, 1 failed"));
    assert (strstr (table, "FATAL: cannot parse"));
    assert (!strstr (table, "\033["));
    free (table);
    view.color = true;
    table = wrp_render_table (&view);
    assert (strstr (table, "\033[32mrunning\033[0m"));
    free (table);
    view.color = false;

    char *json = wrp_render_json (&view);
    assert (json);
    if (verbose)
        printf ("%s", json);
    assert (strstr (json, "\"summary\":{\"total\":3,\"reachable\":2,\"running\":1"));
    assert (strstr (json, "\"host\":\"node\\\"02\\\\\""));
    assert (strstr (
        json, "\"shm\":[{\"name\":\"chi_main_segment_root\",\"bytes\":1073758208}"));
    assert (strstr (json, "\"runtime\":null"));
    assert (strstr (json, "\"exit_code\":1"));
    free (json);

    //  Control characters and broken UTF-8 still give valid JSON.
    wrp_buf_t b = {0};
    s_json_string (&b, "a\x01\xff\xc3\xa9\n");
    assert (!strcmp (b.data, "\"a\\u0001\\ufffd\xc3\xa9\\n\""));
    free (b.data);

    char *prom = wrp_render_prometheus (&view);
    assert (prom);
    if (verbose)
        printf ("%s", prom);
    assert (strstr (prom, "wrp_agent_up{host=\"node01\"} 1\n"));
    assert (strstr (prom, "wrp_agent_up{host=\"node03\"} 0\n"));
    assert (strstr (prom, "wrp_agent_up{host=\"node\\\"02\\\\\"} 1\n"));
    assert (strstr (prom, "wrp_runtime_state{host=\"node01\",state=\"running\"} 1\n"));
    assert (strstr (prom, "wrp_runtime_state{host=\"node01\",state=\"failed\"} 0\n"));
    assert (strstr (prom, "wrp_shm_bytes{host=\"node01\",name=\"chi_x\"} 16\n"));
    assert (strstr (prom, "# TYPE wrp_runtime_starts_total counter\n"));
    assert (!strstr (prom, "wrp_last_poll_timestamp_seconds"));
    free (prom);
    view.updated_at = 1700000000.5;
    prom = wrp_render_prometheus (&view);
    assert (strstr (prom, "wrp_last_poll_timestamp_seconds 1700000000.500\n"));
    assert (strstr (prom, "wrp_runtime_pid{host=\"node01\"} 4242\n"));
    assert (strstr (prom, "wrp_runtime_exit_code{host=\"node\\\"02\\\\\"} 1\n"));
    assert (strstr (prom, "wrp_config_generation_wanted 3\n"));
    assert (!strstr (prom, "wrp_monitor_nodes"));
    free (prom);
    wrp_render_monitor_t counters = {.interval_s = 1, .polls = 7, .errors = 2};
    view.monitor = &counters;
    prom = wrp_render_prometheus (&view);
    assert (strstr (prom, "wrp_monitor_nodes{state=\"down\"} 1\n"));
    assert (strstr (prom, "wrp_monitor_nodes{state=\"failed\"} 1\n"));
    assert (strstr (prom, "wrp_monitor_polls_total 7\n"));
    free (prom);

    wrp_msg_destroy (&running);
    wrp_msg_destroy (&failed);
}
