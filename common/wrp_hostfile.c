/*  wrp_hostfile — Jarvis-compatible hostfiles. See wrp_hostfile.h.          */

#include "wrp_hostfile.h"
#include "wrp_str.h"
#include "wrp_buf.h"
#include "wrp_file.h"

#include <arpa/inet.h>
#include <assert.h>
#include <czmq.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_LINE_MAX   4096    //  longest line accepted
#define S_HOST_MAX   253     //  longest host name (DNS)
#define S_DIGITS_MAX 9       //  longest numeric range bound

struct _wrp_hostfile_t {
    char **hosts;      //  host names / IPv4 addresses, in order
    int *ports;        //  agent port per host, 0 when not given
    size_t size;       //  entries in use
    size_t alloc;      //  entries allocated
    zhashx_t *seen;    //  "host:port" keys already added
};

//  One bracket of a pattern, expanded: its alternatives in order.
typedef struct {
    char **items;    //  the alternatives
    size_t count;    //  how many
} s_choice_t;

static wrp_hostfile_t *
s_new (void)
{
    wrp_hostfile_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->seen = zhashx_new ();
    if (!self->seen) {
        free (self);
        return NULL;
    }
    return self;
}

void
wrp_hostfile_destroy (wrp_hostfile_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_hostfile_t *self = *self_p;
    for (size_t i = 0; i < self->size; i++)
        free (self->hosts[i]);
    free (self->hosts);
    free (self->ports);
    zhashx_destroy (&self->seen);
    free (self);
    *self_p = NULL;
}

//  Add host:port unless already there. 0 ok, -1 OOM.
static int
s_add (wrp_hostfile_t *self, const char *host, int port)
{
    char key[S_HOST_MAX + 16];
    snprintf (key, sizeof key, "%s:%d", host, port);
    if (zhashx_lookup (self->seen, key))
        return 0;
    if (self->size == self->alloc) {
        size_t alloc = self->alloc ? self->alloc * 2 : 16;
        char **hosts = realloc (self->hosts, alloc * sizeof *hosts);
        if (!hosts)
            return -1;
        self->hosts = hosts;
        int *ports = realloc (self->ports, alloc * sizeof *ports);
        if (!ports)
            return -1;
        self->ports = ports;
        self->alloc = alloc;
    }
    char *copy = strdup (host);
    if (!copy)
        return -1;
    if (zhashx_insert (self->seen, key, (void *) 1)) {
        free (copy);
        return -1;
    }
    self->hosts[self->size] = copy;
    self->ports[self->size] = port;
    self->size++;
    return 0;
}

static bool
s_host_char (char c)
{
    return isalnum ((unsigned char) c) || c == '-' || c == '.' || c == '_';
}

//  Printable rendering of a character for messages.
static void
s_char_name (char c, char *buf, size_t size)
{
    if (isprint ((unsigned char) c))
        snprintf (buf, size, "'%c'", c);
    else
        snprintf (buf, size, "byte 0x%02x", (unsigned char) c);
}

//  A final host name: a DNS-like name or a dotted IPv4 address.
static char *
s_check_host (const char *host)
{
    size_t len = strlen (host);
    if (len == 0)
        return strdup ("empty host name");
    if (len > S_HOST_MAX)
        return wrp_strf ("host name longer than %d characters", S_HOST_MAX);
    bool numeric = true;
    for (const char *p = host; *p; p++)
        if (!isdigit ((unsigned char) *p) && *p != '.')
            numeric = false;
    if (numeric) {
        struct in_addr addr;
        if (inet_pton (AF_INET, host, &addr) != 1)
            return wrp_strf ("'%s' is not a valid IPv4 address", host);
        return NULL;
    }
    if (host[0] == '-' || host[0] == '.')
        return wrp_strf ("host '%s' starts with '%c'", host, host[0]);
    if (strstr (host, ".."))
        return wrp_strf ("host '%s' has an empty label", host);
    if (host[len - 1] == '.' || host[len - 1] == '-')
        return wrp_strf ("host '%s' ends with '%c'", host, host[len - 1]);
    return NULL;
}

static void
s_choices_free (s_choice_t *choices, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        for (size_t j = 0; j < choices[i].count; j++)
            free (choices[i].items[j]);
        free (choices[i].items);
    }
    free (choices);
}

static int
s_choice_push (s_choice_t *choice, char *item, size_t *alloc)
{
    if (!item)
        return -1;
    if (choice->count == *alloc) {
        size_t grow = *alloc ? *alloc * 2 : 8;
        char **items = realloc (choice->items, grow * sizeof *items);
        if (!items) {
            free (item);
            return -1;
        }
        choice->items = items;
        *alloc = grow;
    }
    choice->items[choice->count++] = item;
    return 0;
}

static bool
s_all_digits (const char *text, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isdigit ((unsigned char) text[i]))
            return false;
    return true;
}

//  Expand the inside of one bracket ("1,3,7-9", "a-c", "01-10") into
//  choice, or with choice NULL only check it and count its alternatives
//  into *count. Returns NULL or an error message (caller frees).
static char *
s_expand_bracket (const char *text, size_t len, s_choice_t *choice, size_t *count)
{
    size_t alloc = 0;
    if (len == 0)
        return strdup ("empty brackets '[]'");
    const char *item = text;
    const char *end = text + len;
    while (item <= end) {
        const char *comma = memchr (item, ',', (size_t) (end - item));
        const char *stop = comma ? comma : end;
        size_t item_len = (size_t) (stop - item);
        if (item_len == 0)
            return wrp_strf ("empty item in '[%.*s]'", (int) len, text);
        const char *dash = memchr (item, '-', item_len);
        if (!dash) {
            for (size_t i = 0; i < item_len; i++)
                if (!s_host_char (item[i])) {
                    char c[16];
                    s_char_name (item[i], c, sizeof c);
                    return wrp_strf ("invalid character %s in '[%.*s]'", c, (int) len,
                                     text);
                }
            if (count)
                (*count)++;
            if (choice && s_choice_push (choice, strndup (item, item_len), &alloc))
                return strdup ("out of memory");
        } else {
            const char *lo = item;
            size_t lo_len = (size_t) (dash - item);
            const char *hi = dash + 1;
            size_t hi_len = (size_t) (stop - hi);
            if (s_all_digits (lo, lo_len) && s_all_digits (hi, hi_len)) {
                if (lo_len > S_DIGITS_MAX || hi_len > S_DIGITS_MAX)
                    return wrp_strf ("range bound in '%.*s' has more than %d digits",
                                     (int) item_len, item, S_DIGITS_MAX);
                long from = strtol (lo, NULL, 10);
                long to = strtol (hi, NULL, 10);
                if (from > to)
                    return wrp_strf ("descending range '%.*s'", (int) item_len, item);
                if (to - from + 1 > WRP_HOSTFILE_MAX_HOSTS)
                    return wrp_strf ("range '%.*s' expands to more than %d hosts",
                                     (int) item_len, item, WRP_HOSTFILE_MAX_HOSTS);
                bool padded =
                    (lo_len > 1 && lo[0] == '0') || (hi_len > 1 && hi[0] == '0');
                int width = padded ? (int) (lo_len > hi_len ? lo_len : hi_len) : 0;
                if (count)
                    *count += (size_t) (to - from + 1);
                for (long n = from; choice && n <= to; n++)
                    if (s_choice_push (choice, wrp_strf ("%0*ld", width, n), &alloc))
                        return strdup ("out of memory");
            } else if (lo_len == 1 && hi_len == 1 && isalpha ((unsigned char) *lo) &&
                       isalpha ((unsigned char) *hi) &&
                       !!islower ((unsigned char) *lo) ==
                           !!islower ((unsigned char) *hi)) {
                if (*lo > *hi)
                    return wrp_strf ("descending range '%.*s'", (int) item_len, item);
                if (count)
                    *count += (size_t) (*hi - *lo + 1);
                for (char c = *lo; choice && c <= *hi; c++)
                    if (s_choice_push (choice, wrp_strf ("%c", c), &alloc))
                        return strdup ("out of memory");
            } else
                return wrp_strf ("bad range '%.*s' (use numbers like 01-10 or single "
                                 "letters like a-c)",
                                 (int) item_len, item);
        }
        if (!comma)
            break;
        item = comma + 1;
    }
    return NULL;
}

//  Expand one entry (no port, no spaces) and add every host. Returns NULL
//  or an error message; *total counts expanded hosts across the file.
static char *
s_expand_entry (wrp_hostfile_t *self, const char *entry, int port, size_t *total)
{
    //  Split into literal parts and brackets: parts[0] [0] parts[1] [1] ...
    size_t brackets = 0;
    for (const char *p = entry; *p; p++)
        if (*p == '[')
            brackets++;
    s_choice_t *choices = calloc (brackets + 1, sizeof *choices);
    char **parts = calloc (brackets + 1, sizeof *parts);
    const char **spans = calloc (brackets + 1, sizeof *spans);
    size_t *span_lens = calloc (brackets + 1, sizeof *span_lens);
    char *err = NULL;
    char *name = NULL;
    size_t *odometer = NULL;
    size_t product = 1;
    if (!choices || !parts || !spans || !span_lens) {
        err = strdup ("out of memory");
        goto out;
    }
    size_t used = 0;
    const char *p = entry;
    for (;;) {
        const char *literal = p;
        while (*p && *p != '[' && *p != ']') {
            if (!s_host_char (*p)) {
                char c[16];
                s_char_name (*p, c, sizeof c);
                err = wrp_strf ("invalid character %s in host '%s'", c, entry);
                goto out;
            }
            p++;
        }
        if (*p == ']') {
            err = wrp_strf ("unmatched ']' in '%s'", entry);
            goto out;
        }
        parts[used] = strndup (literal, (size_t) (p - literal));
        if (!parts[used]) {
            err = strdup ("out of memory");
            goto out;
        }
        if (!*p)
            break;
        const char *open = ++p;
        while (*p && *p != ']' && *p != '[')
            p++;
        if (*p != ']') {
            err = wrp_strf ("unmatched '[' in '%s'", entry);
            goto out;
        }
        //  Check and count only: the product is bounded before anything
        //  is built (a line may hold many large brackets).
        size_t count = 0;
        if ((err = s_expand_bracket (open, (size_t) (p - open), NULL, &count)))
            goto out;
        spans[used] = open;
        span_lens[used] = (size_t) (p - open);
        if (product <= WRP_HOSTFILE_MAX_HOSTS)
            product *= count;
        used++;
        p++;
    }
    if (product > WRP_HOSTFILE_MAX_HOSTS - *total) {
        err = wrp_strf ("hostfile expands to more than %d hosts", WRP_HOSTFILE_MAX_HOSTS);
        goto out;
    }
    *total += product;
    for (size_t i = 0; i < used; i++)
        if ((err = s_expand_bracket (spans[i], span_lens[i], &choices[i], NULL)))
            goto out;
    odometer = calloc (used + 1, sizeof *odometer);
    name = malloc (S_LINE_MAX * 2);
    if (!odometer || !name) {
        err = strdup ("out of memory");
        goto out;
    }
    for (;;) {
        size_t len = 0;
        bool too_long = false;
        for (size_t i = 0; i <= used; i++) {
            const char *piece[2] = {parts[i],
                                    i < used ? choices[i].items[odometer[i]] : ""};
            for (int k = 0; k < 2; k++) {
                size_t piece_len = strlen (piece[k]);
                if (len + piece_len > S_HOST_MAX)
                    too_long = true;
                else {
                    memcpy (name + len, piece[k], piece_len);
                    len += piece_len;
                }
            }
        }
        name[len] = 0;
        if (too_long) {
            err = wrp_strf ("host name from '%s' is longer than %d characters", entry,
                            S_HOST_MAX);
            goto out;
        }
        if ((err = s_check_host (name)))
            goto out;
        if (s_add (self, name, port)) {
            err = strdup ("out of memory");
            goto out;
        }
        //  Next combination; the last bracket turns fastest.
        size_t i = used;
        while (i > 0) {
            i--;
            if (++odometer[i] < choices[i].count)
                break;
            odometer[i] = 0;
            if (i == 0) {
                i = SIZE_MAX;
                break;
            }
        }
        if (used == 0 || i == SIZE_MAX)
            break;
    }
out:
    free (name);
    free (odometer);
    free (spans);
    free (span_lens);
    if (parts)
        for (size_t i = 0; i <= brackets; i++)
            free (parts[i]);
    free (parts);
    if (choices)
        s_choices_free (choices, brackets + 1);
    return err;
}

//  One line: strip comment and blanks, split the port, expand.
static char *
s_parse_line (wrp_hostfile_t *self, char *line, size_t *total)
{
    char *hash = strchr (line, '#');
    if (hash)
        *hash = 0;
    char *start = line;
    while (*start == ' ' || *start == '\t' || *start == '\r')
        start++;
    char *end = start + strlen (start);
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    *end = 0;
    if (!*start)
        return NULL;
    for (char *p = start; *p; p++)
        if (*p == ' ' || *p == '\t')
            return wrp_strf ("one host per line: unexpected space in '%s'", start);
    int port = 0;
    char *colon = strchr (start, ':');
    if (colon) {
        *colon = 0;
        const char *digits = colon + 1;
        size_t len = strlen (digits);
        long value =
            s_all_digits (digits, len) && len <= 5 ? strtol (digits, NULL, 10) : -1;
        if (value < 1 || value > 65535)
            return wrp_strf ("bad port '%s' in '%s:%s' (expected 1..65535)", digits,
                             start, digits);
        port = (int) value;
    }
    return s_expand_entry (self, start, port, total);
}

wrp_hostfile_t *
wrp_hostfile_parse (const char *data, size_t size, const char *name, char **ret_err)
{
    assert (data || size == 0);
    if (!name)
        name = "hostfile";
    char *err = NULL;
    size_t lineno = 0;
    wrp_hostfile_t *self = s_new ();
    char *line = malloc (S_LINE_MAX + 1);
    if (!self || !line) {
        err = strdup ("out of memory");
        goto fail;
    }
    if (size > WRP_HOSTFILE_MAX_BYTES) {
        err = wrp_strf ("larger than %d bytes", WRP_HOSTFILE_MAX_BYTES);
        goto fail;
    }
    size_t total = 0;
    size_t offset = 0;
    while (offset < size) {
        lineno++;
        const char *nl = memchr (data + offset, '\n', size - offset);
        size_t len = nl ? (size_t) (nl - (data + offset)) : size - offset;
        if (len > S_LINE_MAX) {
            err = wrp_strf ("line longer than %d characters", S_LINE_MAX);
            goto fail;
        }
        if (memchr (data + offset, 0, len)) {
            err = strdup ("NUL byte in line");
            goto fail;
        }
        memcpy (line, data + offset, len);
        line[len] = 0;
        offset += len + 1;
        if ((err = s_parse_line (self, line, &total)))
            goto fail;
    }
    if (self->size == 0) {
        lineno = 0;
        err = strdup ("no hosts (every line is blank or a comment)");
        goto fail;
    }
    free (line);
    return self;
fail:
    free (line);
    wrp_hostfile_destroy (&self);
    if (ret_err) {
        char *full =
            lineno ? wrp_strf ("%s:%zu: %s", name, lineno, err ? err : "out of memory")
                   : wrp_strf ("%s: %s", name, err ? err : "out of memory");
        *ret_err = full ? full : strdup ("out of memory");
    }
    free (err);
    return NULL;
}

wrp_hostfile_t *
wrp_hostfile_load (const char *path, char **ret_err)
{
    assert (path);
    char *data = NULL;
    size_t size = 0;
    if (wrp_file_read (path, WRP_HOSTFILE_MAX_BYTES, &data, &size, ret_err))
        return NULL;
    wrp_hostfile_t *self = wrp_hostfile_parse (data, size, path, ret_err);
    free (data);
    return self;
}

wrp_hostfile_t *
wrp_hostfile_localhost (void)
{
    wrp_hostfile_t *self = s_new ();
    if (self && s_add (self, "localhost", 0))
        wrp_hostfile_destroy (&self);
    return self;
}

size_t
wrp_hostfile_size (const wrp_hostfile_t *self)
{
    assert (self);
    return self->size;
}

const char *
wrp_hostfile_host (const wrp_hostfile_t *self, size_t index)
{
    assert (self && index < self->size);
    return self->hosts[index];
}

int
wrp_hostfile_port (const wrp_hostfile_t *self, size_t index)
{
    assert (self && index < self->size);
    return self->ports[index];
}

char *
wrp_hostfile_runtime_text (const wrp_hostfile_t *self)
{
    assert (self);
    size_t len = 1;
    for (size_t i = 0; i < self->size; i++)
        len += strlen (self->hosts[i]) + 1;
    char *text = malloc (len);
    zhashx_t *seen = zhashx_new ();
    if (!text || !seen) {
        free (text);
        zhashx_destroy (&seen);
        return NULL;
    }
    char *p = text;
    for (size_t i = 0; i < self->size; i++) {
        if (zhashx_insert (seen, self->hosts[i], (void *) 1))
            continue;    //  same host, other agent port: once
        size_t n = strlen (self->hosts[i]);
        memcpy (p, self->hosts[i], n);
        p += n;
        *p++ = '\n';
    }
    *p = 0;
    zhashx_destroy (&seen);
    return text;
}

wrp_hostfile_t *
wrp_hostfile_from_list (const char *list, const char *name, char **ret_err)
{
    assert (list && name);
    char *err = NULL;
    char *item = NULL;
    wrp_hostfile_t *self = s_new ();
    size_t total = 0;
    if (!self) {
        wrp_str_set (ret_err, "out of memory");
        return NULL;
    }
    const char *p = list;
    while (*p) {
        //  An item ends at a comma outside brackets.
        const char *start = p;
        int depth = 0;
        for (; *p && (*p != ',' || depth > 0); p++)
            depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
        size_t len = (size_t) (p - start);
        if (*p == ',')
            p++;
        if (len == 0)
            continue;
        if (len > S_LINE_MAX) {
            err = wrp_strf ("an item longer than %d characters", S_LINE_MAX);
            break;
        }
        if (!(item = strndup (start, len))) {
            err = strdup ("out of memory");
            break;
        }
        for (char *c = item; *c && !err; c++)
            if (*c == '#' || *c == '\n' || *c == ' ' || *c == '\t')
                err = wrp_strf ("'%s': a host list holds no spaces or '#'", item);
        char *shown = err ? NULL : strdup (item);
        if (!err && (err = s_parse_line (self, item, &total))) {
            char *full = wrp_strf ("'%s': %s", shown ? shown : "?", err);
            free (err);
            err = full;
        }
        free (shown);
        free (item);
        item = NULL;
        if (err)
            break;
    }
    if (!err && self->size == 0)
        err = strdup ("no hosts");
    if (err) {
        wrp_str_set (ret_err, "%s: %s", name, err);
        free (err);
        wrp_hostfile_destroy (&self);
    }
    return self;
}

wrp_hostfile_t *
wrp_hostfile_from_arg (const char *arg, const char *option, char **ret_err)
{
    assert (arg && option);
    if (!strcmp (arg, "-")) {
        //  The hostfile on standard input.
        wrp_buf_t in = {0};
        char chunk[4096];
        size_t got;
        while (!in.failed && in.size <= WRP_HOSTFILE_MAX_BYTES &&
               (got = fread (chunk, 1, sizeof chunk, stdin)) > 0)
            wrp_buf_add (&in, chunk, got);
        if (in.failed || ferror (stdin)) {
            free (in.data);
            wrp_str_set (ret_err, "<stdin>: cannot read the hostfile");
            return NULL;
        }
        char *data = in.data;
        wrp_hostfile_t *self =
            wrp_hostfile_parse (data ? data : "", in.size, "<stdin>", ret_err);
        free (data);
        return self;
    }
    if (arg[0] == '^')    //  pdsh: ^FILE
        return wrp_hostfile_load (arg + 1, ret_err);
    if (strchr (arg, '/') || access (arg, F_OK) == 0)
        return wrp_hostfile_load (arg, ret_err);
    if (strpbrk (arg, ",[") || strchr (option, 'w') || strchr (option, 'x'))
        return wrp_hostfile_from_list (arg, option, ret_err);
    wrp_str_set (ret_err,
                 "%s '%s': no such file (a host list needs a ',' or brackets: "
                 "'%s,' or 'node[1-4]'; or use -w to pick hosts)",
                 option, arg, arg);
    return NULL;
}

bool
wrp_hostfile_has (const wrp_hostfile_t *self, const char *host, int port)
{
    assert (self && host);
    for (size_t i = 0; i < self->size; i++)
        if (!strcmp (self->hosts[i], host) &&
            (!self->ports[i] || !port || self->ports[i] == port))
            return true;
    return false;
}

//  One group of the fold: hosts PREFIX + number (+ zero padding to width).
typedef struct {
    char *prefix;     //  the text before the number
    int width;        //  zero-padded width, 0 for plain numbers
    long *numbers;    //  the numbers seen
    size_t count;     //  how many
    size_t alloc;     //  allocated
    char *plain;      //  a name without a trailing number (numbers unused)
} s_group_t;

//  The position where name's trailing digits start (strlen when none, or
//  when there are too many to be a range bound).
static size_t
s_number_start (const char *name)
{
    size_t len = strlen (name), i = len;
    while (i > 0 && isdigit ((unsigned char) name[i - 1]))
        i--;
    return len - i > 0 && len - i <= S_DIGITS_MAX ? i : len;
}

static int
s_long_cmp (const void *a, const void *b)
{
    long x = *(const long *) a, y = *(const long *) b;
    return (x > y) - (x < y);
}

//  Append group g to text as "prefix[1-3,7]" (or the plain name).
static void
s_fold_group (wrp_buf_t *text, s_group_t *g)
{
    if (g->plain) {
        wrp_buf_str (text, g->plain);
        return;
    }
    qsort (g->numbers, g->count, sizeof *g->numbers, s_long_cmp);
    if (g->count == 1) {
        wrp_buf_printf (text, "%s%0*ld", g->prefix, g->width, g->numbers[0]);
        return;
    }
    wrp_buf_printf (text, "%s[", g->prefix);
    size_t item_start = text->size;
    bool first = true;
    for (size_t i = 0; i < g->count;) {
        size_t j = i;
        while (j + 1 < g->count && g->numbers[j + 1] <= g->numbers[j] + 1)
            j++;
        //  Keep every item of the list within a hostfile line.
        if (!first && text->size - item_start > S_LINE_MAX / 2) {
            wrp_buf_printf (text, "],%s[", g->prefix);
            item_start = text->size;
            first = true;
        }
        wrp_buf_printf (text, "%s%0*ld", first ? "" : ",", g->width, g->numbers[i]);
        if (g->numbers[j] != g->numbers[i])
            wrp_buf_printf (text, "-%0*ld", g->width, g->numbers[j]);
        first = false;
        i = j + 1;
    }
    wrp_buf_str (text, "]");
}

char *
wrp_hostfile_fold (const char *const *names, size_t count)
{
    s_group_t *groups = calloc (count ? count : 1, sizeof *groups);
    zhashx_t *index = zhashx_new ();
    wrp_buf_t text = {0};
    size_t used = 0;
    zhashx_t *padded = zhashx_new ();    //  "prefix\x01width" of zero-padded numbers
    if (!groups || !index || !padded)
        text.failed = true;
    for (size_t i = 0; i < count && !text.failed; i++) {
        size_t at = s_number_start (names[i]);
        size_t len = strlen (names[i] + at);
        if (len > 1 && names[i][at] == '0') {
            char *key = wrp_strf ("%.*s\x01%zu", (int) at, names[i], len);
            if (!key)
                text.failed = true;
            else if (!zhashx_lookup (padded, key) && zhashx_insert (padded, key, padded))
                text.failed = true;
            free (key);
        }
    }
    for (size_t i = 0; i < count && !text.failed; i++) {
        const char *name = names[i];
        size_t at = s_number_start (name);
        const char *digits = name + at;
        //  A number joins the padded group of its width when there is one
        //  (node100 with node099), else the plain numbers (n10 with n9).
        int width = (int) strlen (digits);
        char probe[S_HOST_MAX + 16];
        snprintf (probe, sizeof probe, "%.*s\x01%d", (int) at, name, width);
        if (!(width > 1 && digits[0] == '0') && !zhashx_lookup (padded, probe))
            width = 0;
        char *key = at < strlen (name) ? wrp_strf ("%.*s\x01%d", (int) at, name, width)
                                       : wrp_strf ("%s\x02", name);
        if (!key) {
            text.failed = true;
            break;
        }
        s_group_t *g = zhashx_lookup (index, key);
        if (!g) {
            g = &groups[used++];
            if (at < strlen (name))
                g->prefix = strndup (name, at), g->width = width;
            else
                g->plain = strdup (name);
            if ((!g->prefix && !g->plain) || zhashx_insert (index, key, g))
                text.failed = true;
        }
        free (key);
        if (text.failed || g->plain)
            continue;
        if (g->count == g->alloc) {
            size_t alloc = g->alloc ? g->alloc * 2 : 4;
            long *numbers = realloc (g->numbers, alloc * sizeof *numbers);
            if (!numbers) {
                text.failed = true;
                break;
            }
            g->numbers = numbers;
            g->alloc = alloc;
        }
        g->numbers[g->count++] = strtol (digits, NULL, 10);
    }
    for (size_t i = 0; i < used && !text.failed; i++) {
        if (i)
            wrp_buf_str (&text, ",");
        s_fold_group (&text, &groups[i]);
    }
    for (size_t i = 0; i < used; i++) {
        free (groups[i].prefix);
        free (groups[i].plain);
        free (groups[i].numbers);
    }
    free (groups);
    zhashx_destroy (&index);
    zhashx_destroy (&padded);
    if (text.failed) {
        free (text.data);
        return NULL;
    }
    return text.data ? text.data : strdup ("");
}

//  Parse text, compare the hosts to expect (space-separated "host" or
//  "host:port"), or expect an error containing needle.
static void
s_expect (const char *text, const char *expect, const char *needle, bool verbose)
{
    char *err = NULL;
    wrp_hostfile_t *self = wrp_hostfile_parse (text, strlen (text), "hf", &err);
    if (verbose)
        printf ("   %-30.30s -> %s\n", text, self ? "ok" : err);
    if (needle) {
        assert (!self && err && strstr (err, needle));
        free (err);
        return;
    }
    assert (self && !err);
    char got[4096] = "";
    for (size_t i = 0; i < wrp_hostfile_size (self); i++) {
        char one[300];
        if (wrp_hostfile_port (self, i))
            snprintf (one, sizeof one, "%s%s:%d", i ? " " : "",
                      wrp_hostfile_host (self, i), wrp_hostfile_port (self, i));
        else
            snprintf (one, sizeof one, "%s%s", i ? " " : "", wrp_hostfile_host (self, i));
        strncat (got, one, sizeof got - strlen (got) - 1);
    }
    if (strcmp (got, expect))
        printf ("   expected '%s', got '%s'\n", expect, got);
    assert (!strcmp (got, expect));
    wrp_hostfile_destroy (&self);
}

void
wrp_hostfile_test (bool verbose)
{
    s_expect ("node1\nnode2\n", "node1 node2", NULL, verbose);
    s_expect ("node[01-03]", "node01 node02 node03", NULL, verbose);
    s_expect ("node[1-3]", "node1 node2 node3", NULL, verbose);
    s_expect ("n[8-10]", "n8 n9 n10", NULL, verbose);
    s_expect ("n[08-10]", "n08 n09 n10", NULL, verbose);
    s_expect ("n[1-010]", "n001 n002 n003 n004 n005 n006 n007 n008 n009 n010", NULL,
              verbose);
    s_expect ("n[1,3,7-9]", "n1 n3 n7 n8 n9", NULL, verbose);
    s_expect ("rack[a-c]-n[1-2]", "racka-n1 racka-n2 rackb-n1 rackb-n2 rackc-n1 rackc-n2",
              NULL, verbose);
    s_expect ("[A-B]x", "Ax Bx", NULL, verbose);
    s_expect ("n[5]", "n5", NULL, verbose);
    s_expect ("# comment\n\n  node1  # trailing\n\t\nnode1\nnode2\r\n", "node1 node2",
              NULL, verbose);
    s_expect ("n[1-2]\nn[2-3]", "n1 n2 n3", NULL, verbose);
    s_expect ("10.0.0.1\n10.0.0.2:6000\n10.0.0.1", "10.0.0.1 10.0.0.2:6000", NULL,
              verbose);
    s_expect ("node[1-2]:5561", "node1:5561 node2:5561", NULL, verbose);
    s_expect ("h:1\nh:2", "h:1 h:2", NULL, verbose);
    s_expect ("a.example.org", "a.example.org", NULL, verbose);

    s_expect ("node1\nno de\n", NULL, "hf:2: one host per line", verbose);
    s_expect ("node[1-", NULL, "hf:1: unmatched '['", verbose);
    s_expect ("node]1", NULL, "unmatched ']'", verbose);
    s_expect ("n[[1]]", NULL, "unmatched '['", verbose);
    s_expect ("n[]", NULL, "empty brackets", verbose);
    s_expect ("n[1,,2]", NULL, "empty item", verbose);
    s_expect ("n[3-1]", NULL, "descending range '3-1'", verbose);
    s_expect ("n[c-a]", NULL, "descending range", verbose);
    s_expect ("n[a-Z]", NULL, "bad range", verbose);
    s_expect ("n[1-b]", NULL, "bad range", verbose);
    s_expect ("n[1-2-3]", NULL, "bad range", verbose);
    s_expect ("n[1-1234567890]", NULL, "more than 9 digits", verbose);
    s_expect ("n[1-100001]", NULL, "more than 100000", verbose);
    s_expect ("n[1-1000]x[1-101]", NULL, "hf:1: hostfile expands to more than 100000",
              verbose);
    s_expect ("a[1-60000]\nb[1-50000]", NULL,
              "hf:2: hostfile expands to more than 100000", verbose);
    //  Many large brackets on one line: refused before anything is built.
    char many[1200] = "";
    for (int i = 0; i < 100; i++)
        strcat (many, "a[1-99999]");
    s_expect (many, NULL, "hf:1: hostfile expands to more than 100000", false);
    s_expect ("no!de", NULL, "invalid character '!'", verbose);
    s_expect ("node:0", NULL, "bad port '0'", verbose);
    s_expect ("node:70000", NULL, "bad port", verbose);
    s_expect ("node:", NULL, "bad port", verbose);
    s_expect ("node:1:2", NULL, "bad port", verbose);
    s_expect ("300.1.1.1", NULL, "not a valid IPv4", verbose);
    s_expect ("-node", NULL, "starts with '-'", verbose);
    s_expect ("a..b", NULL, "empty label", verbose);
    s_expect ("# only a comment\n", NULL, "hf: no hosts", verbose);
    s_expect ("", NULL, "no hosts", verbose);

    //  Exactly the limit is fine.
    s_expect ("n[1-1]", "n1", NULL, verbose);
    char *err = NULL;
    const char *big = "n[000001-100000]\n";
    wrp_hostfile_t *self = wrp_hostfile_parse (big, strlen (big), "big", &err);
    assert (self && wrp_hostfile_size (self) == WRP_HOSTFILE_MAX_HOSTS);
    assert (!strcmp (wrp_hostfile_host (self, 99999), "n100000"));
    wrp_hostfile_destroy (&self);

    //  A NUL byte is an error, not a truncation.
    self = wrp_hostfile_parse ("a\0b\n", 4, "nul", &err);
    assert (!self && strstr (err, "nul:1: NUL byte"));
    free (err);

    //  Runtime text: each host once, no ports.
    const char *text = "h1:1\nh1:2\nh2\n";
    self = wrp_hostfile_parse (text, strlen (text), "rt", NULL);
    assert (self && wrp_hostfile_size (self) == 3);
    char *runtime = wrp_hostfile_runtime_text (self);
    assert (runtime && !strcmp (runtime, "h1\nh2\n"));
    free (runtime);
    wrp_hostfile_destroy (&self);

    self = wrp_hostfile_localhost ();
    assert (self && wrp_hostfile_size (self) == 1);
    assert (!strcmp (wrp_hostfile_host (self, 0), "localhost"));
    wrp_hostfile_destroy (&self);
    wrp_hostfile_destroy (&self);

    //  From a file, and a missing file.
    char path[] = "/tmp/wrp-hostfile-test.XXXXXX";
    int fd = mkstemp (path);
    assert (fd >= 0);
    const char *content = "node[1-2]\nbad line\n";
    assert (write (fd, content, strlen (content)) == (ssize_t) strlen (content));
    close (fd);
    self = wrp_hostfile_load (path, &err);
    assert (!self && err && strstr (err, path) && strstr (err, ":2:"));
    free (err);
    unlink (path);
    self = wrp_hostfile_load (path, &err);
    assert (!self && err && strstr (err, "No such file"));
    free (err);
    //  Host lists (pdsh/clush), -H/-w arguments, membership and folding.
    err = NULL;
    wrp_hostfile_t *list =
        wrp_hostfile_from_list ("node[01-03],gpu[1-2],x:6000,,node01", "-w", &err);
    assert (list && wrp_hostfile_size (list) == 6);
    assert (!strcmp (wrp_hostfile_host (list, 3), "gpu1"));
    assert (wrp_hostfile_port (list, 5) == 6000);
    assert (wrp_hostfile_has (list, "node02", 0) && wrp_hostfile_has (list, "x", 6000));
    assert (!wrp_hostfile_has (list, "x", 7000) && !wrp_hostfile_has (list, "node04", 0));
    wrp_hostfile_destroy (&list);
    const char *bad_lists[][2] = {{"a,b[1-", "-w: 'b[1-': unmatched '['"},
                                  {",", "-w: no hosts"},
                                  {"a b", "no spaces"},
                                  {"n[3-1]", "descending range"}};
    for (size_t i = 0; i < sizeof bad_lists / sizeof bad_lists[0]; i++) {
        err = NULL;
        assert (!wrp_hostfile_from_list (bad_lists[i][0], "-w", &err));
        if (verbose)
            printf ("   %s -> %s\n", bad_lists[i][0], err);
        assert (err && strstr (err, bad_lists[i][1]));
        free (err);
    }
    err = NULL;
    assert (!wrp_hostfile_from_arg ("no-such-hostfile-here", "-H", &err));
    assert (strstr (err, "no such file") && strstr (err, "-w"));
    free (err);
    list = wrp_hostfile_from_arg ("single", "-w", &err);
    assert (list && wrp_hostfile_size (list) == 1);
    wrp_hostfile_destroy (&list);
    list = wrp_hostfile_from_arg ("n[1-2]", "-H", &err);
    assert (list && wrp_hostfile_size (list) == 2);
    wrp_hostfile_destroy (&list);
    assert (!wrp_hostfile_from_arg ("^/nonexistent/hosts", "-w", &err));
    assert (strstr (err, "/nonexistent/hosts"));
    free (err);

    const struct {
        const char *list;
        const char *folded;
    } folds[] = {
        {"node[001-998]", "node[001-998]"},
        {"n3,n1,n2,gpu1,n7,login", "n[1-3,7],gpu1,login"},
        {"n8,n9,n10,n098,n099", "n[8-10],n[098-099]"},
        {"10.0.0.1,10.0.0.2,10.0.0.4", "10.0.0.[1-2,4]"},
        {"a,b,a1x", "a,b,a1x"},
        {"rack[a-b]-n[1-2]", "racka-n[1-2],rackb-n[1-2]"},
    };
    for (size_t i = 0; i < sizeof folds / sizeof folds[0]; i++) {
        list = wrp_hostfile_from_list (folds[i].list, "-w", &err);
        assert (list);
        const char **names = calloc (wrp_hostfile_size (list), sizeof *names);
        assert (names);
        for (size_t j = 0; j < wrp_hostfile_size (list); j++)
            names[j] = wrp_hostfile_host (list, j);
        char *folded = wrp_hostfile_fold (names, wrp_hostfile_size (list));
        if (verbose)
            printf ("   fold %s -> %s\n", folds[i].list, folded);
        assert (folded && !strcmp (folded, folds[i].folded));
        //  Expanding the fold gives the same hosts back.
        wrp_hostfile_t *back = wrp_hostfile_from_list (folded, "fold", &err);
        assert (back && wrp_hostfile_size (back) == wrp_hostfile_size (list));
        for (size_t j = 0; j < wrp_hostfile_size (list); j++)
            assert (wrp_hostfile_has (back, names[j], 0));
        wrp_hostfile_destroy (&back);
        free (folded);
        free (names);
        wrp_hostfile_destroy (&list);
    }
    char *empty = wrp_hostfile_fold (NULL, 0);
    assert (empty && !*empty);
    free (empty);
}
