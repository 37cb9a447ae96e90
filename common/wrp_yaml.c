/*  wrp_yaml — a YAML document written into memory. See wrp_yaml.h.         */

#include "wrp_yaml.h"
#include "wrp_buf.h"
#include "wrp_str.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct _wrp_yaml_t {
    yaml_emitter_t emitter;    //  libyaml's emitter, writing into out
    wrp_buf_t out;             //  the text so far
    bool failed;               //  an event failed: the rest is skipped
};

//  libyaml's write handler: 1 on success, 0 on error.
static int
s_write (void *data, unsigned char *bytes, size_t size)
{
    return wrp_buf_add (data, bytes, size) == 0;
}

//  Emits an event if its initialization worked and nothing failed before;
//  -1 once anything failed.
static int
s_emit (wrp_yaml_t *self, int initialized, yaml_event_t *event)
{
    if (!initialized)
        self->failed = true;
    else if (self->failed)
        yaml_event_delete (event);
    else if (!yaml_emitter_emit (&self->emitter, event))
        self->failed = true;    //  the emitter keeps and frees the event
    return self->failed ? -1 : 0;
}

wrp_yaml_t *
wrp_yaml_new (const char *header)
{
    wrp_yaml_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    if (wrp_buf_str (&self->out, header ? header : "") ||
        !yaml_emitter_initialize (&self->emitter)) {
        wrp_buf_reset (&self->out);
        free (self);
        return NULL;
    }
    yaml_emitter_set_output (&self->emitter, s_write, &self->out);
    yaml_emitter_set_unicode (&self->emitter, 1);
    yaml_emitter_set_width (&self->emitter, -1);    //  never fold long paths
    yaml_emitter_set_indent (&self->emitter, 2);
    yaml_event_t event;
    s_emit (self, yaml_stream_start_event_initialize (&event, YAML_UTF8_ENCODING),
            &event);
    s_emit (self, yaml_document_start_event_initialize (&event, NULL, NULL, NULL, 1),
            &event);
    return self;
}

void
wrp_yaml_destroy (wrp_yaml_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wrp_yaml_t *self = *self_p;
    yaml_emitter_delete (&self->emitter);
    wrp_buf_reset (&self->out);
    free (self);
    *self_p = NULL;
}

int
wrp_yaml_scalar (wrp_yaml_t *self, const char *value, bool quoted)
{
    assert (self && value);
    yaml_event_t event;
    return s_emit (
        self,
        yaml_scalar_event_initialize (
            &event, NULL, NULL, (yaml_char_t *) value, (int) strlen (value), 1, 1,
            quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE),
        &event);
}

int
wrp_yaml_mapping_start (wrp_yaml_t *self)
{
    assert (self);
    yaml_event_t event;
    return s_emit (self,
                   yaml_mapping_start_event_initialize (&event, NULL, NULL, 1,
                                                        YAML_BLOCK_MAPPING_STYLE),
                   &event);
}

int
wrp_yaml_mapping_end (wrp_yaml_t *self)
{
    assert (self);
    yaml_event_t event;
    return s_emit (self, yaml_mapping_end_event_initialize (&event), &event);
}

char *
wrp_yaml_finish (wrp_yaml_t *self, size_t *ret_size, char **ret_err)
{
    assert (self);
    yaml_event_t event;
    s_emit (self, yaml_document_end_event_initialize (&event, 1), &event);
    s_emit (self, yaml_stream_end_event_initialize (&event), &event);
    if (!self->failed && !yaml_emitter_flush (&self->emitter))
        self->failed = true;
    if (self->failed || self->out.failed) {
        wrp_str_set (ret_err, "%s",
                     self->out.failed        ? "out of memory"
                     : self->emitter.problem ? self->emitter.problem
                                             : "YAML emitter failed");
        return NULL;
    }
    return wrp_buf_finish (&self->out, ret_size);
}

void
wrp_yaml_test (bool verbose)
{
    (void) verbose;
    wrp_yaml_t *yaml = wrp_yaml_new ("# head\n");
    assert (yaml);
    assert (wrp_yaml_mapping_start (yaml) == 0);
    assert (wrp_yaml_scalar (yaml, "name", false) == 0);
    assert (wrp_yaml_scalar (yaml, "yes", true) == 0);
    assert (wrp_yaml_scalar (yaml, "conf", false) == 0);
    assert (wrp_yaml_mapping_start (yaml) == 0);
    assert (wrp_yaml_scalar (yaml, "path", false) == 0);
    assert (wrp_yaml_scalar (yaml,
                             "/a/very/long/path/that/is/never/folded/even/past/the/"
                             "default/line/width/of/eighty/characters/x",
                             false) == 0);
    assert (wrp_yaml_mapping_end (yaml) == 0);
    assert (wrp_yaml_mapping_end (yaml) == 0);
    size_t size = 0;
    char *text = wrp_yaml_finish (yaml, &size, NULL);
    assert (text && size == strlen (text));
    assert (!strcmp (text,
                     "# head\nname: \"yes\"\nconf:\n  path: /a/very/long/path/that/is/"
                     "never/folded/even/past/the/default/line/width/of/eighty/"
                     "characters/x\n"));
    free (text);
    wrp_yaml_destroy (&yaml);
    wrp_yaml_destroy (&yaml);

    //  An event out of place: the emitter's complaint comes back.
    yaml = wrp_yaml_new (NULL);
    assert (yaml);
    assert (wrp_yaml_mapping_start (yaml) == 0);
    assert (wrp_yaml_mapping_end (yaml) == 0);
    assert (wrp_yaml_mapping_end (yaml) == -1);
    assert (wrp_yaml_scalar (yaml, "after", false) == -1);
    char *err = NULL;
    assert (!wrp_yaml_finish (yaml, &size, &err));
    assert (err && *err);
    free (err);
    wrp_yaml_destroy (&yaml);
}
