/*  wrp_index — where pipelines are found by name.

    The index path is $WRP_PIPELINE_PATH (colon-separated directories), then
    the installed pipelines directory (WRP_DATADIR "/pipelines"), then the
    shipped pipelines beside the binary (BIN/../share/wrp/pipelines, or the
    build tree's pipelines/ when run from build/bin). A pipeline
    NAME is the file NAME.yaml (or NAME.yml) in the first directory that has
    one. Jarvis-style "REPO.NAME" (jarvis_wrp_runtime.basic_runtime) finds
    NAME in repository REPO when no file is called REPO.NAME. */

#ifndef WRP_INDEX_H_INCLUDED
#define WRP_INDEX_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#ifndef WRP_DATADIR
#define WRP_DATADIR "/usr/local/share/wrp"
#endif

//  One pipeline file found on the index path.
typedef struct {
    char *name;       //  the file's stem
    char *file;       //  its path
    bool shadowed;    //  an earlier directory has the same name
} wrp_index_entry_t;

//  The index path as a NULL-terminated array of directories (caller frees
//  with wrp_index_free_dirs). NULL on OOM.
char **wrp_index_dirs (void);
void wrp_index_free_dirs (char ***dirs_p);

//  Resolve NAME|FILE to a pipeline file path: an existing file when arg
//  holds a '/' or ends in .yaml/.yml, else NAME on the index path. Returns
//  the path (caller frees) or NULL and *ret_err naming what was searched.
char *wrp_index_find (const char *arg, char **ret_err);

//  The directories of repository repo on the index path (NULL repo: all),
//  as wrp_index_dirs. A directory is repository REPO when it or its parent
//  is named REPO; jarvis_wrp_runtime (the seed's name) is the shipped
//  pipelines. NULL and *ret_err when no directory is that repository.
char **wrp_index_repo_dirs (const char *repo, char **ret_err);

//  Every *.yaml / *.yml of repo (NULL: the whole index path), in path
//  order then by name. Sets *ret_count; NULL with count 0 when none (or
//  OOM, or *ret_err set when repo is unknown). Free with
//  wrp_index_free_list.
wrp_index_entry_t *wrp_index_list (const char *repo, size_t *ret_count, char **ret_err);
void wrp_index_free_list (wrp_index_entry_t **list_p, size_t count);

void wrp_index_test (bool verbose);

#endif
