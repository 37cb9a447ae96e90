/*  wrp_render_table — the per-node results as an aligned table, for people.
    See wrp_render_table.h.

    One call is a s_table_t that goes through small steps: order the rows
    (failing nodes first), fill each row's cells, print the header and the
    rows (widths from the cells, colours when asked), the failed runtimes'
    last output, and the summary line.                                        */

#include "wrp_render_table.h"
#include "wrp_str.h"
#include "wrp_buf.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COLS         9
#define S_CELL_MAX     160    //  a cell other than DETAIL, bytes
#define S_OUTPUTS_MAX  8      //  failed nodes whose output is shown
#define S_OUTPUT_LINES 5      //  of their last output lines

static const char *s_headers[S_COLS] = {
    "HOST", "AGENT", "STATE", "PID", "UPTIME", "GEN", "SHM", "RTT", "DETAIL",
};

typedef struct {
    const wrp_render_view_t *view;
    size_t rows;
    size_t *order;             //  row -> node index, failing nodes first
    char *(*cells)[S_COLS];    //  row -> its cells (owned)
    size_t width[S_COLS];      //  column widths
    wrp_buf_t out;             //  the text
} s_table_t;

static const wrp_render_node_t *
s_node (const s_table_t *self, size_t row)
{
    return &self->view->nodes[self->order[row]];
}

//  Failing nodes first, each group in hostfile order.
static void
s_order (s_table_t *self)
{
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < self->rows; i++)
            if (wrp_render_node_failing (&self->view->nodes[i]) == (pass == 0))
                self->order[n++] = i;
    if (self->view->quiet) {    //  -q: only the nodes that need the eye
        size_t kept = 0;
        for (size_t r = 0; r < n; r++) {
            const wrp_render_node_t *node = &self->view->nodes[self->order[r]];
            if (wrp_render_node_failing (node) || node->stale > 0)
                self->order[kept++] = self->order[r];
        }
        self->rows = kept;
    }
}

//  Total bytes and count of the shm list of a status.
static uint64_t
s_shm_total (const wrp_msg_t *status, size_t *ret_count)
{
    uint64_t total = 0;
    size_t count = 0;
    const char *shm = status ? wrp_msg_str (status, WRP_F_SHM) : NULL;
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

//  Is state one of the protocol's? Anything else is shown as "unknown".
static bool
s_state_known (const char *state)
{
    static const char *const known[] = {WRP_STATE_STOPPED, WRP_STATE_STARTING,
                                        WRP_STATE_RUNNING, WRP_STATE_STOPPING,
                                        WRP_STATE_FAILED};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp (state, known[i]))
            return true;
    return false;
}

//  The cells of a row but DETAIL, "-" where there is nothing.
static void
s_row_cells (const wrp_render_node_t *node, char cell[S_COLS][S_CELL_MAX])
{
    const wrp_msg_t *st = node->reachable ? node->status : NULL;
    const char *state = st ? wrp_msg_str (st, WRP_F_STATE) : NULL;
    for (int c = 0; c < S_COLS; c++)
        strcpy (cell[c], "-");
    snprintf (cell[0], S_CELL_MAX, "%s", node->host);
    snprintf (cell[1], S_CELL_MAX, "%s",
              node->unauthorized ? "denied"
              : node->reachable  ? "up"
                                 : "down");
    if (state)
        snprintf (cell[2], S_CELL_MAX, "%s", s_state_known (state) ? state : "unknown");
    else if (!node->reachable)
        strcpy (cell[2], "?");
    int64_t v;
    if (wrp_render_int (st, WRP_F_PID, &v))
        snprintf (cell[3], S_CELL_MAX, "%" PRId64, v);
    if (wrp_render_int (st, WRP_F_UPTIME_MS, &v) && state &&
        (!strcmp (state, WRP_STATE_RUNNING) || !strcmp (state, WRP_STATE_STARTING) ||
         !strcmp (state, WRP_STATE_STOPPING)))
        wrp_render_duration ((double) v / 1000.0, cell[4], S_CELL_MAX);
    if (wrp_render_int (st, WRP_F_GENERATION, &v))
        snprintf (cell[5], S_CELL_MAX, "%" PRId64 "%s", v,
                  node->stale > 0 ? " stale" : "");
    size_t segs;
    uint64_t bytes = s_shm_total (st, &segs);
    if (segs > 0) {
        char human[32];
        wrp_render_bytes (bytes, human, sizeof human);
        snprintf (cell[6], S_CELL_MAX, "%s (%zu)", human, segs);
    }
    if (node->reachable && node->rtt_ms >= 0)
        snprintf (cell[7], S_CELL_MAX, "%.1fms", node->rtt_ms);
}

//  DETAIL: what went wrong, else how the runtime failed, else the note; one
//  line whatever the agent sent. Caller frees.
static char *
s_row_detail (const wrp_render_node_t *node)
{
    const wrp_msg_t *st = node->reachable ? node->status : NULL;
    const char *state = st ? wrp_msg_str (st, WRP_F_STATE) : NULL;
    char *failure =
        (state && !strcmp (state, WRP_STATE_FAILED)) ? wrp_render_failure (st) : NULL;
    wrp_buf_t detail = {0};
    if (state && !s_state_known (state))
        wrp_buf_printf (&detail, "unknown state '%s'%s", state,
                        node->error || node->note ? "; " : "");
    if (node->error)
        wrp_buf_str (&detail, node->error);
    if (failure && !(node->error && strstr (node->error, failure)))
        wrp_buf_printf (&detail, "%s%s", node->error ? "; " : "", failure);
    if (!node->error && !failure && node->note)
        wrp_buf_str (&detail, node->note);
    free (failure);
    char *text = wrp_buf_finish (&detail, NULL);
    //  What an agent or a runtime sent never reaches the terminal raw.
    char *shown = text ? wrp_str_escape (text, false) : NULL;
    free (text);
    return shown;
}

//  Fill every row's cells and the column widths. Returns 0, -1 on OOM.
static int
s_fill (s_table_t *self)
{
    for (int c = 0; c < S_COLS; c++)
        self->width[c] = strlen (s_headers[c]);
    for (size_t r = 0; r < self->rows; r++) {
        char cell[S_COLS][S_CELL_MAX];
        s_row_cells (s_node (self, r), cell);
        for (int c = 0; c < S_COLS - 1; c++)
            self->cells[r][c] = strdup (cell[c]);
        self->cells[r][S_COLS - 1] = s_row_detail (s_node (self, r));
        for (int c = 0; c < S_COLS; c++) {
            if (!self->cells[r][c])
                return -1;
            size_t len = strlen (self->cells[r][c]);
            if (c < S_COLS - 1 && len > self->width[c])
                self->width[c] = len;
        }
    }
    return 0;
}

//  Colour of a cell (ANSI SGR code) or NULL.
static const char *
s_cell_color (const s_table_t *self, size_t row, int col, const char *text)
{
    if (!self->view->color)
        return NULL;
    if (col == 1)
        return !strcmp (text, "up") ? "32" : "31;1";
    if (col == 2) {
        if (!strcmp (text, WRP_STATE_RUNNING))
            return "32";
        if (!strcmp (text, WRP_STATE_FAILED))
            return "31;1";
        if (!strcmp (text, WRP_STATE_STARTING) || !strcmp (text, WRP_STATE_STOPPING))
            return "33";
    }
    if (col == S_COLS - 1 && *text && wrp_render_node_failing (s_node (self, row)))
        return "31";
    return NULL;
}

static void
s_print_header (s_table_t *self)
{
    for (int c = 0; c < S_COLS - 1; c++)
        wrp_buf_printf (&self->out, "%-*s  ", (int) self->width[c], s_headers[c]);
    wrp_buf_printf (&self->out, "%s\n", s_headers[S_COLS - 1]);
}

static void
s_print_row (s_table_t *self, size_t row)
{
    for (int c = 0; c < S_COLS; c++) {
        const char *text = self->cells[row][c];
        const char *color = s_cell_color (self, row, c, text);
        if (color)
            wrp_buf_printf (&self->out, "\033[%sm", color);
        wrp_buf_str (&self->out, text);
        if (color)
            wrp_buf_str (&self->out, "\033[0m");
        if (c < S_COLS - 1)
            wrp_buf_printf (&self->out, "%*s", (int) (self->width[c] - strlen (text) + 2),
                            "");
    }
    //  No trailing blanks on a row without detail.
    while (self->out.size > 0 && self->out.data[self->out.size - 1] == ' ')
        self->out.data[--self->out.size] = '\0';
    wrp_buf_str (&self->out, "\n");
}

//  The last S_OUTPUT_LINES lines of output, indented.
static void
s_print_output (s_table_t *self, const char *output)
{
    const char *start = output + strlen (output);
    int lines = 0;
    while (start > output && lines < S_OUTPUT_LINES + 1) {
        start--;
        if (*start == '\n' && start[1] != '\0')
            lines++;
    }
    if (lines == S_OUTPUT_LINES + 1)
        start++;
    else
        start = output;
    for (const char *line = start; *line;) {
        const char *end = strchr (line, '\n');
        size_t len = end ? (size_t) (end - line) : strlen (line);
        char *raw = len > 0 ? strndup (line, len) : NULL;
        char *shown = raw ? wrp_str_escape (raw, false) : NULL;
        if (shown)
            wrp_buf_printf (&self->out, "    %s\n", shown);
        free (raw);
        free (shown);
        line = end ? end + 1 : line + len;
    }
}

//  The last output of failed runtimes, a few nodes at most. Returns how
//  many were shown.
static size_t
s_print_outputs (s_table_t *self)
{
    size_t shown = 0, more = 0;
    for (size_t r = 0; r < self->rows; r++) {
        const wrp_render_node_t *node = s_node (self, r);
        const char *state = node->reachable ? wrp_render_state (node) : NULL;
        const char *output =
            node->status ? wrp_msg_str (node->status, WRP_F_OUTPUT) : NULL;
        if (!state || strcmp (state, WRP_STATE_FAILED) || !output || !*output)
            continue;
        if (shown == S_OUTPUTS_MAX) {
            more++;
            continue;
        }
        wrp_buf_printf (&self->out, "\n%s: last output of the runtime:\n", node->host);
        s_print_output (self, output);
        shown++;
    }
    if (more)
        wrp_buf_printf (&self->out, "\n(%zu more failed nodes: see --json)\n", more);
    return shown;
}

static void
s_print_summary (s_table_t *self, bool after_outputs)
{
    if (self->view->quiet)
        return;
    if (after_outputs)
        wrp_buf_str (&self->out, "\n");
    wrp_render_summary_line (self->view, &self->out);
}

static void
s_table_free (s_table_t *self)
{
    for (size_t r = 0; self->cells && r < self->rows; r++)
        for (int c = 0; c < S_COLS; c++)
            free (self->cells[r][c]);
    free (self->cells);
    free (self->order);
    wrp_buf_reset (&self->out);
}

char *
wrp_render_table (const wrp_render_view_t *view)
{
    assert (view);
    s_table_t self = {.view = view, .rows = view->count};
    self.cells = calloc (self.rows ? self.rows : 1, sizeof *self.cells);
    self.order = calloc (self.rows ? self.rows : 1, sizeof *self.order);
    char *text = NULL;
    if (self.cells && self.order) {
        s_order (&self);
        if (s_fill (&self) == 0) {
            if (!view->no_header && (self.rows || !view->quiet))
                s_print_header (&self);
            for (size_t r = 0; r < self.rows; r++)
                s_print_row (&self, r);
            s_print_summary (&self, s_print_outputs (&self) > 0);
            text = wrp_buf_finish (&self.out, NULL);
        }
    }
    s_table_free (&self);
    return text;
}
