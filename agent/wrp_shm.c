/*  wrp_shm — list and remove chi_* segments. See wrp_shm.h.                 */

#include "wrp_shm.h"
#include "wrp_proto.h"
#include "wrp_buf.h"
#include "wrp_str.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *name;        //  entry name
    struct stat st;    //  lstat-like information
} s_entry_t;

static int
s_compare (const void *a, const void *b)
{
    return strcmp (((const s_entry_t *) a)->name, ((const s_entry_t *) b)->name);
}

static void
s_entries_free (s_entry_t *entries, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free (entries[i].name);
    free (entries);
}

//  Opens dir safely and collects its chi_* entries. Returns the dir fd.
static int
s_scan (const char *dir, s_entry_t **ret_entries, size_t *ret_count, char **ret_err)
{
    int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        *ret_err = wrp_strf ("%s: %s", dir, strerror (errno));
        return -1;
    }
    int lfd = dup (dfd);
    DIR *handle = lfd >= 0 ? fdopendir (lfd) : NULL;
    if (!handle) {
        *ret_err = wrp_strf ("%s: %s", dir, strerror (errno));
        if (lfd >= 0)
            close (lfd);
        close (dfd);
        return -1;
    }
    s_entry_t *entries = NULL;
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir (handle)) && count < WRP_SHM_MAX_ENTRIES) {
        if (strncmp (entry->d_name, "chi_", 4))
            continue;
        struct stat st;
        if (fstatat (dfd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW))
            continue;    //  gone meanwhile
        if (geteuid () != 0 && st.st_uid != geteuid ())
            continue;    //  another user's runtime: not ours to show or remove
        s_entry_t *grown = realloc (entries, (count + 1) * sizeof *entries);
        char *name = strdup (entry->d_name);
        if (!grown || !name) {
            free (name);
            s_entries_free (grown ? grown : entries, count);
            closedir (handle);
            close (dfd);
            *ret_err = wrp_strf ("%s: out of memory", dir);
            return -1;
        }
        entries = grown;
        entries[count].name = name;
        entries[count].st = st;
        count++;
    }
    closedir (handle);
    if (count > 1)
        qsort (entries, count, sizeof *entries, s_compare);
    *ret_entries = entries;
    *ret_count = count;
    return dfd;
}

int
wrp_shm_list (const char *dir, char **ret_text, char **ret_err)
{
    s_entry_t *entries = NULL;
    size_t count = 0;
    int dfd = s_scan (dir, &entries, &count, ret_err);
    if (dfd < 0)
        return -1;
    close (dfd);
    //  One line per entry, without a newline after the last.
    wrp_buf_t text = {0};
    for (size_t i = 0; i < count; i++) {
        const char *sep = i ? "\n" : "";
        if (S_ISLNK (entries[i].st.st_mode))
            wrp_buf_printf (&text, "%s%s\t0\t" WRP_SHM_KIND_SYMLINK, sep,
                            entries[i].name);
        else if (S_ISDIR (entries[i].st.st_mode))
            wrp_buf_printf (&text, "%s%s\t0\t" WRP_SHM_KIND_DIRECTORY, sep,
                            entries[i].name);
        else
            wrp_buf_printf (&text, "%s%s\t%lld", sep, entries[i].name,
                            (long long) entries[i].st.st_size);
    }
    s_entries_free (entries, count);
    char *result = wrp_buf_finish (&text, NULL);
    if (!result) {
        *ret_err = wrp_strf ("%s: out of memory", dir);
        return -1;
    }
    *ret_text = result;
    return 0;
}

int
wrp_shm_clean (const char *dir, char **ret_removed, char **ret_err)
{
    s_entry_t *entries = NULL;
    size_t count = 0;
    int dfd = s_scan (dir, &entries, &count, ret_err);
    if (dfd < 0)
        return -1;
    wrp_buf_t text = {0};
    char *err = NULL;
    for (size_t i = 0; i < count && !err; i++) {
        if (S_ISDIR (entries[i].st.st_mode))
            continue;    //  never ours: a segment is a file
        //  unlinkat removes the name itself: a symlink goes, its target stays.
        if (unlinkat (dfd, entries[i].name, 0)) {
            if (errno == ENOENT)
                continue;
            err = wrp_strf ("%s/%s: %s", dir, entries[i].name, strerror (errno));
            break;
        }
        if (wrp_buf_printf (
                &text, "%s%s/%s\t%lld", text.size ? "\n" : "", dir, entries[i].name,
                S_ISLNK (entries[i].st.st_mode) ? 0LL
                                                : (long long) entries[i].st.st_size))
            err = wrp_strf ("%s: out of memory", dir);
    }
    close (dfd);
    s_entries_free (entries, count);
    char *removed = wrp_buf_finish (&text, NULL);
    if (err) {
        char *full =
            wrp_strf ("%s%s%s", err, removed && *removed ? "; removed before: " : "",
                      removed ? removed : "");
        free (err);
        free (removed);
        *ret_err = full;
        return -1;
    }
    if (!removed) {
        *ret_err = wrp_strf ("%s: out of memory", dir);
        return -1;
    }
    *ret_removed = removed;
    return 0;
}

void
wrp_shm_test (bool verbose)
{
    (void) verbose;
    char dir[] = "/tmp/wrp-shm-test.XXXXXX";
    assert (mkdtemp (dir));
    char path[256], target[256];
    snprintf (target, sizeof target, "%s/precious", dir);
    FILE *file = fopen (target, "w");
    assert (file);
    fputs ("keep me", file);
    fclose (file);
    snprintf (path, sizeof path, "%s/chi_main_segment_x", dir);
    file = fopen (path, "w");
    assert (file);
    fputs ("12345", file);
    fclose (file);
    snprintf (path, sizeof path, "%s/chi_evil", dir);
    assert (symlink (target, path) == 0);
    snprintf (path, sizeof path, "%s/chi_dir", dir);
    assert (mkdir (path, 0700) == 0);
    snprintf (path, sizeof path, "%s/other", dir);
    file = fopen (path, "w");
    assert (file);
    fclose (file);

    char *text = NULL, *err = NULL;
    assert (wrp_shm_list (dir, &text, &err) == 0);
    assert (!strcmp (
        text, "chi_dir\t0\tdirectory\nchi_evil\t0\tsymlink\nchi_main_segment_x\t5"));
    free (text);
    assert (wrp_shm_clean (dir, &text, &err) == 0);
    char expect[1024];
    snprintf (expect, sizeof expect, "%s/chi_evil\t0\n%s/chi_main_segment_x\t5", dir,
              dir);
    assert (!strcmp (text, expect));
    free (text);
    struct stat st;
    assert (stat (target, &st) == 0 && st.st_size == 7);
    assert (wrp_shm_list (dir, &text, &err) == 0);
    assert (!strcmp (text, "chi_dir\t0\tdirectory"));
    free (text);
    assert (wrp_shm_clean (dir, &text, &err) == 0 && !strcmp (text, ""));
    free (text);
    //  A symlinked shm dir is refused.
    snprintf (path, sizeof path, "%s/link", dir);
    assert (symlink (dir, path) == 0);
    assert (wrp_shm_list (path, &text, &err) == -1);
    free (err);
    unlink (path);
    snprintf (path, sizeof path, "%s/chi_dir", dir);
    rmdir (path);
    snprintf (path, sizeof path, "%s/other", dir);
    unlink (path);
    unlink (target);
    assert (rmdir (dir) == 0);
}
