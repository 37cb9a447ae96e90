/*  wrp_index — where pipelines are found by name. See wrp_index.h.          */

#include "wrp_index.h"
#include "wrp_str.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool
s_is_file (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 && S_ISREG (st.st_mode);
}

char **
wrp_index_dirs (void)
{
    const char *env = getenv ("WRP_PIPELINE_PATH");
    size_t count = 2;
    for (const char *p = env; p && *p; p++)
        if (*p == ':')
            count++;
    char **dirs = calloc (count + 1, sizeof *dirs);
    if (!dirs)
        return NULL;
    size_t used = 0;
    if (env) {
        const char *start = env;
        for (;;) {
            const char *colon = strchr (start, ':');
            size_t len = colon ? (size_t) (colon - start) : strlen (start);
            if (len > 0 && !(dirs[used++] = strndup (start, len))) {
                wrp_index_free_dirs (&dirs);
                return NULL;
            }
            if (!colon)
                break;
            start = colon + 1;
        }
    }
    if (!(dirs[used++] = strdup (WRP_DATADIR "/pipelines"))) {
        wrp_index_free_dirs (&dirs);
        return NULL;
    }
    //  The shipped pipelines beside the binary: a relocated install
    //  (BIN/../share/wrp/pipelines) or, run from a build tree
    //  (build/bin, build/sanitize/bin), the checkout's pipelines/.
    char exe[4096];
    ssize_t len = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = len > 0 ? (exe[len] = 0, strrchr (exe, '/')) : NULL;
    if (slash) {
        *slash = 0;
        const char *beside[] = {"../share/wrp/pipelines", "../../pipelines",
                                "../../../pipelines"};
        for (int b = 0; b < 3; b++) {
            char *dir = wrp_strf ("%s/%s", exe, beside[b]);
            char *real = dir ? realpath (dir, NULL) : NULL;
            if (real && b > 0) {    //  a checkout: its Makefile beside pipelines/
                char *makefile = wrp_strf ("%s/../Makefile", real);
                if (!makefile || !s_is_file (makefile)) {
                    free (real);
                    real = NULL;
                }
                free (makefile);
            }
            bool known = !real;
            for (size_t d = 0; real && d < used && !known; d++) {
                char *other = realpath (dirs[d], NULL);
                known = other && !strcmp (other, real);
                free (other);
            }
            free (dir);
            char **grown = known ? NULL : realloc (dirs, (used + 2) * sizeof *dirs);
            if (grown) {
                dirs = grown;
                dirs[used++] = real;
                dirs[used] = NULL;
                real = NULL;
            }
            free (real);
        }
    }
    return dirs;
}

//  Is dir the repository REPO? Its own name or its parent's (REPO/pipelines);
//  jarvis_wrp_runtime (the seed's name) and wrp name every directory.
static bool
s_repo_is (const char *dir, const char *repo)
{
    if (!strcmp (repo, "jarvis_wrp_runtime") || !strcmp (repo, "wrp"))
        return true;
    char *copy = strdup (dir);
    bool match = false;
    for (int up = 0; copy && up < 2 && !match; up++) {
        char *end = copy + strlen (copy);
        while (end > copy && end[-1] == '/')
            *--end = 0;
        char *slash = strrchr (copy, '/');
        match = !strcmp (slash ? slash + 1 : copy, repo);
        if (slash)
            *slash = 0;
    }
    free (copy);
    return match;
}

char **
wrp_index_repo_dirs (const char *repo, char **ret_err)
{
    char **dirs = wrp_index_dirs ();
    if (!dirs || !repo) {
        if (!dirs)
            wrp_str_set (ret_err, "out of memory");
        return dirs;
    }
    size_t kept = 0;
    for (char **d = dirs; *d; d++)
        if (s_repo_is (*d, repo))
            dirs[kept++] = *d;
        else
            free (*d);
    dirs[kept] = NULL;
    if (kept == 0) {
        wrp_str_set (ret_err,
                     "no pipeline repository '%s' on the index path (a directory of "
                     "$WRP_PIPELINE_PATH or its parent, or jarvis_wrp_runtime for "
                     "all)",
                     repo);
        wrp_index_free_dirs (&dirs);
    }
    return dirs;
}

void
wrp_index_free_dirs (char ***dirs_p)
{
    if (!dirs_p || !*dirs_p)
        return;
    for (char **d = *dirs_p; *d; d++)
        free (*d);
    free (*dirs_p);
    *dirs_p = NULL;
}

static bool
s_yaml_name (const char *name)
{
    size_t len = strlen (name);
    return (len > 5 && !strcmp (name + len - 5, ".yaml")) ||
           (len > 4 && !strcmp (name + len - 4, ".yml"));
}

//  NAME.yaml or NAME.yml in one of dirs; NULL when absent.
static char *
s_search (char **dirs, const char *name)
{
    for (char **d = dirs; *d; d++) {
        const char *ext[] = {".yaml", ".yml"};
        for (int e = 0; e < 2; e++) {
            char *path = wrp_strf ("%s/%s%s", *d, name, ext[e]);
            if (path && s_is_file (path))
                return path;
            free (path);
        }
    }
    return NULL;
}

char *
wrp_index_find (const char *arg, char **ret_err)
{
    assert (arg);
    char *err = NULL;
    if (!*arg)
        err = strdup ("empty pipeline name");
    else if (strchr (arg, '/') || s_yaml_name (arg)) {
        struct stat st;
        if (stat (arg, &st))
            err = wrp_strf ("%s: cannot open: %s", arg, strerror (errno));
        else if (!S_ISREG (st.st_mode))
            err = wrp_strf ("%s: not a regular file", arg);
        else {
            char *path = strdup (arg);
            if (path)
                return path;
        }
    } else {
        char **dirs = wrp_index_dirs ();
        char *path = dirs ? s_search (dirs, arg) : NULL;
        //  Jarvis names pipelines REPO.NAME: NAME in that repository.
        const char *dot = strrchr (arg, '.');
        if (dirs && !path && dot && dot[1] && dot > arg) {
            char *repo = strndup (arg, (size_t) (dot - arg));
            char **repo_dirs = repo ? wrp_index_repo_dirs (repo, NULL) : NULL;
            path = s_search (repo_dirs ? repo_dirs : dirs, dot + 1);
            wrp_index_free_dirs (&repo_dirs);
            free (repo);
        }
        if (path) {
            wrp_index_free_dirs (&dirs);
            return path;
        }
        size_t len = 1;
        for (char **d = dirs; d && *d; d++)
            len += strlen (*d) + 1;
        char *joined = calloc (1, len);
        for (char **d = dirs; joined && d && *d; d++) {
            if (d != dirs)
                strcat (joined, ":");
            strcat (joined, *d);
        }
        err = wrp_strf (
            "pipeline '%s' not found on the index path (%s); `wrp-controller ppl "
            "index list` shows what is there, or give a file path",
            arg, joined ? joined : "?");
        free (joined);
        wrp_index_free_dirs (&dirs);
    }
    if (ret_err)
        *ret_err = err ? err : strdup ("out of memory");
    else
        free (err);
    return NULL;
}

static int
s_compare (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

wrp_index_entry_t *
wrp_index_list (const char *repo, size_t *ret_count, char **ret_err)
{
    assert (ret_count);
    *ret_count = 0;
    char **dirs = wrp_index_repo_dirs (repo, ret_err);
    if (!dirs)
        return NULL;
    wrp_index_entry_t *list = NULL;
    size_t count = 0, alloc = 0;
    for (char **d = dirs; *d; d++) {
        DIR *dir = opendir (*d);
        if (!dir)
            continue;
        char **names = NULL;
        size_t name_count = 0, name_alloc = 0;
        struct dirent *entry;
        while ((entry = readdir (dir))) {
            if (entry->d_name[0] == '.' || !s_yaml_name (entry->d_name))
                continue;
            if (name_count == name_alloc) {
                name_alloc = name_alloc ? name_alloc * 2 : 16;
                char **grown = realloc (names, name_alloc * sizeof *names);
                if (!grown)
                    break;
                names = grown;
            }
            if (!(names[name_count] = strdup (entry->d_name)))
                break;
            name_count++;
        }
        closedir (dir);
        if (name_count)
            qsort (names, name_count, sizeof *names, s_compare);
        for (size_t i = 0; i < name_count; i++) {
            char *file = wrp_strf ("%s/%s", *d, names[i]);
            size_t len = strlen (names[i]);
            char *stem =
                strndup (names[i], len - (strcmp (names[i] + len - 4, ".yml") ? 5 : 4));
            if (!file || !s_is_file (file) || !stem) {
                free (file);
                free (stem);
                continue;
            }
            if (count == alloc) {
                alloc = alloc ? alloc * 2 : 16;
                wrp_index_entry_t *grown = realloc (list, alloc * sizeof *list);
                if (!grown) {
                    free (file);
                    free (stem);
                    continue;
                }
                list = grown;
            }
            bool shadowed = false;
            for (size_t j = 0; j < count; j++)
                if (!strcmp (list[j].name, stem))
                    shadowed = true;
            list[count++] = (wrp_index_entry_t){stem, file, shadowed};
        }
        for (size_t i = 0; i < name_count; i++)
            free (names[i]);
        free (names);
    }
    wrp_index_free_dirs (&dirs);
    *ret_count = count;
    return list;
}

void
wrp_index_free_list (wrp_index_entry_t **list_p, size_t count)
{
    if (!list_p || !*list_p)
        return;
    for (size_t i = 0; i < count; i++) {
        free ((*list_p)[i].name);
        free ((*list_p)[i].file);
    }
    free (*list_p);
    *list_p = NULL;
}

void
wrp_index_test (bool verbose)
{
    char dir[] = "/tmp/wrp-index-test.XXXXXX";
    assert (mkdtemp (dir));
    char a[100], b[100], path[400];
    snprintf (a, sizeof a, "%s/a", dir);
    snprintf (b, sizeof b, "%s/b", dir);
    assert (mkdir (a, 0700) == 0 && mkdir (b, 0700) == 0);
    const char *files[] = {"a/one.yaml", "a/two.yml", "b/one.yaml", "b/three.yaml",
                           "b/notes.txt"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf (path, sizeof path, "%s/%s", dir, files[i]);
        FILE *f = fopen (path, "w");
        assert (f && fclose (f) == 0);
    }
    char *saved =
        getenv ("WRP_PIPELINE_PATH") ? strdup (getenv ("WRP_PIPELINE_PATH")) : NULL;
    snprintf (path, sizeof path, "%s::%s", a, b);
    setenv ("WRP_PIPELINE_PATH", path, 1);

    char *err = NULL;
    char *found = wrp_index_find ("one", &err);
    snprintf (path, sizeof path, "%s/one.yaml", a);
    assert (found && !strcmp (found, path));
    free (found);
    found = wrp_index_find ("jarvis_wrp_runtime.three", &err);
    snprintf (path, sizeof path, "%s/three.yaml", b);
    assert (found && !strcmp (found, path));
    free (found);
    found = wrp_index_find ("two", &err);
    assert (found && strstr (found, "two.yml"));
    free (found);
    found = wrp_index_find ("four", &err);
    assert (!found && strstr (err, "pipeline 'four' not found") && strstr (err, b));
    free (err);
    found = wrp_index_find (path, &err);
    assert (found && !strcmp (found, path));
    free (found);
    found = wrp_index_find ("/nonexistent/x.yaml", &err);
    assert (!found && strstr (err, "No such file"));
    free (err);
    found = wrp_index_find (dir, &err);
    assert (!found && strstr (err, "not a regular file"));
    free (err);

    size_t count = 0;
    wrp_index_entry_t *list = wrp_index_list (NULL, &count, NULL);
    if (verbose)
        for (size_t i = 0; i < count; i++)
            printf ("   %s %s%s\n", list[i].name, list[i].file,
                    list[i].shadowed ? " (shadowed)" : "");
    assert (count >= 4);
    assert (!strcmp (list[0].name, "one") && !list[0].shadowed);
    assert (!strcmp (list[1].name, "two"));
    assert (!strcmp (list[2].name, "one") && list[2].shadowed);
    assert (!strcmp (list[3].name, "three"));
    wrp_index_free_list (&list, count);
    list = wrp_index_list ("b", &count, &err);
    assert (list && count == 2 && !strcmp (list[1].name, "three"));
    wrp_index_free_list (&list, count);
    err = NULL;
    assert (!wrp_index_list ("nosuchrepo", &count, &err) && count == 0);
    assert (err && strstr (err, "no pipeline repository 'nosuchrepo'"));
    free (err);
    found = wrp_index_find ("b.one", &err);
    snprintf (path, sizeof path, "%s/one.yaml", b);
    assert (found && !strcmp (found, path));
    free (found);

    if (saved) {
        setenv ("WRP_PIPELINE_PATH", saved, 1);
        free (saved);
    } else
        unsetenv ("WRP_PIPELINE_PATH");
    snprintf (path, sizeof path, "rm -rf '%s'", dir);
    assert (system (path) == 0);
}
