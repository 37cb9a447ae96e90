/*  wrp_wanted — the config the controller would push now. See
    wrp_wanted.h.                                                            */

#include "wrp_wanted.h"
#include "wrp_proto.h"
#include "wrp_sha256.h"
#include "wrp_str.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DIRS_MAX 64    //  distinct agent state dirs whose hash is kept

struct _wrp_wanted_t {
    const wrp_plan_t *plan;                     //  what would be pushed
    char *dirs[S_DIRS_MAX];                     //  state dirs seen
    char sha256[S_DIRS_MAX][WRP_SHA256_HEX];    //  the config's hash for each
    size_t count;                               //  entries in use
};

wrp_wanted_t *
wrp_wanted_new (const wrp_plan_t *plan)
{
    assert (plan);
    wrp_wanted_t *self = calloc (1, sizeof *self);
    if (self)
        self->plan = plan;
    return self;
}

void
wrp_wanted_destroy (wrp_wanted_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (size_t i = 0; i < (*self_p)->count; i++)
        free ((*self_p)->dirs[i]);
    free (*self_p);
    *self_p = NULL;
}

//  The hash of the config for state_dir (borrowed), NULL when it cannot
//  be made.
static const char *
s_sha256 (wrp_wanted_t *self, const char *state_dir)
{
    for (size_t i = 0; i < self->count; i++)
        if (!strcmp (self->dirs[i], state_dir))
            return self->sha256[i];
    size_t size = 0;
    char *err = NULL;
    char *config = wrp_plan_config (self->plan, state_dir, &size, &err);
    free (err);
    if (!config)
        return NULL;
    char sha[WRP_SHA256_HEX];
    wrp_sha256_hex (config, size, sha);
    free (config);
    if (self->count == S_DIRS_MAX)
        return NULL;    //  so many layouts: not worth remembering more
    if (!(self->dirs[self->count] = strdup (state_dir)))
        return NULL;
    memcpy (self->sha256[self->count], sha, sizeof sha);
    return self->sha256[self->count++];
}

int
wrp_wanted_stale (wrp_wanted_t *self, const wrp_msg_t *status)
{
    assert (self);
    const wrp_plan_t *plan = self->plan;
    if (!status || !plan->pipeline || !plan->params)
        return -1;
    const char *state = wrp_msg_str (status, WRP_F_STATE);
    if (!state ||
        (strcmp (state, WRP_STATE_RUNNING) && strcmp (state, WRP_STATE_STARTING)))
        return -1;
    const char *pipeline = wrp_msg_str (status, WRP_F_PIPELINE);
    const char *sha = wrp_msg_str (status, WRP_F_SHA256);
    const char *state_dir = wrp_msg_str (status, WRP_F_STATE_DIR);
    int64_t generation = -1;
    if (!sha || !state_dir || wrp_msg_int (status, WRP_F_GENERATION, &generation))
        return -1;
    if ((pipeline && strcmp (pipeline, plan->pipeline)) ||
        (uint64_t) generation != plan->generation)
        return 1;
    const char *wanted = s_sha256 (self, state_dir);
    if (!wanted)
        return -1;
    return strcmp (wanted, sha) ? 1 : 0;
}

void
wrp_wanted_test (bool verbose)
{
    (void) verbose;
    wrp_plan_t plan = {.pipeline = "demo", .generation = 3};
    plan.params = wrp_params_new ();
    assert (plan.params);
    char *err = NULL;
    size_t size = 0;
    char *one = wrp_plan_config (&plan, "/var/lib/wrp", &size, &err);
    assert (one && size == strlen (one) && !strstr (one, "# cluster"));
    plan.runtime_hostfile = "a\nb\nc\n";
    char *three = wrp_plan_config (&plan, "/var/lib/wrp", &size, &err);
    assert (three && strstr (three, "# cluster: 3 hosts, hostfile sha256 "));
    assert (strstr (three, "/var/lib/wrp/pipelines/demo/hostfile"));
    plan.runtime_hostfile = "a\n";
    char *other = wrp_plan_config (&plan, "/var/lib/wrp", &size, &err);
    assert (other && strcmp (other, three) && strstr (other, "# cluster: 1 host,"));

    //  Stale: another membership (hash), generation or pipeline; running only.
    char sha[WRP_SHA256_HEX];
    wrp_sha256_hex (other, strlen (other), sha);
    wrp_msg_t *status = wrp_msg_new (WRP_CMD_OK, NULL);
    assert (status);
    wrp_msg_set_str (status, WRP_F_STATE, WRP_STATE_RUNNING);
    wrp_msg_set_str (status, "pipeline", "demo");
    wrp_msg_set_int (status, "generation", 3);
    wrp_msg_set_str (status, "sha256", sha);
    wrp_msg_set_str (status, "state_dir", "/var/lib/wrp");
    wrp_wanted_t *self = wrp_wanted_new (&plan);
    assert (self && wrp_wanted_stale (self, status) == 0);
    wrp_wanted_destroy (&self);
    plan.runtime_hostfile = "a\nb\nc\n";
    self = wrp_wanted_new (&plan);
    assert (wrp_wanted_stale (self, status) == 1);
    plan.runtime_hostfile = "a\n";
    wrp_wanted_destroy (&self);
    self = wrp_wanted_new (&plan);
    plan.generation = 4;
    assert (wrp_wanted_stale (self, status) == 1);
    plan.generation = 3;
    wrp_msg_set_str (status, "pipeline", "other");
    assert (wrp_wanted_stale (self, status) == 1);
    wrp_msg_set_str (status, "pipeline", "demo");
    wrp_msg_set_str (status, WRP_F_STATE, WRP_STATE_STOPPED);
    assert (wrp_wanted_stale (self, status) == -1);
    assert (wrp_wanted_stale (self, NULL) == -1);
    wrp_wanted_destroy (&self);
    wrp_wanted_destroy (&self);
    wrp_msg_destroy (&status);
    free (one);
    free (three);
    free (other);
    wrp_params_destroy (&plan.params);
}
