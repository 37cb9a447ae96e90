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
    char *shown;       //  the name as listed (escaped)
    struct stat st;    //  lstat-like information
} s_entry_t;

//  /dev/shm is world-writable: a name may hold any byte but '/' and NUL.
//  Listed, every byte outside printable ASCII (and '\\') is "\\xNN", so a
//  name can never add a line or a column to the list, nor reach a terminal.
static char *
s_escape_name (const char *name)
{
    wrp_buf_t b = {0};
    for (const unsigned char *c = (const unsigned char *) name; *c; c++)
        if (*c <= 0x20 || *c >= 0x7f || *c == '\\')
            wrp_buf_printf (&b, "\\x%02x", *c);
        else
            wrp_buf_add (&b, c, 1);
    return wrp_buf_finish (&b, NULL);
}

static int
s_compare (const void *a, const void *b)
{
    return strcmp (((const s_entry_t *) a)->name, ((const s_entry_t *) b)->name);
}

static void
s_entries_free (s_entry_t *entries, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free (entries[i].name);
        free (entries[i].shown);
    }
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
        char *shown = s_escape_name (entry->d_name);
        if (!grown || !name || !shown) {
            free (name);
            free (shown);
            s_entries_free (grown ? grown : entries, count);
            closedir (handle);
            close (dfd);
            *ret_err = wrp_strf ("%s: out of memory", dir);
            return -1;
        }
        entries = grown;
        entries[count].name = name;
        entries[count].shown = shown;
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
                            entries[i].shown);
        else if (S_ISDIR (entries[i].st.st_mode))
            wrp_buf_printf (&text, "%s%s\t0\t" WRP_SHM_KIND_DIRECTORY, sep,
                            entries[i].shown);
        else
            wrp_buf_printf (&text, "%s%s\t%lld", sep, entries[i].shown,
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
wrp_shm_clean (const char *dir, char **ret_removed, char **ret_kept, char **ret_err)
{
    s_entry_t *entries = NULL;
    size_t count = 0;
    int dfd = s_scan (dir, &entries, &count, ret_err);
    if (dfd < 0)
        return -1;
    wrp_buf_t removed = {0}, kept = {0};
    uid_t self = geteuid ();
    for (size_t i = 0; i < count; i++) {
        const s_entry_t *entry = &entries[i];
        //  Whatever happens to one entry, the others are still tried.
        char reason[160] = "";
        if (S_ISDIR (entry->st.st_mode))
            snprintf (reason, sizeof reason, "a directory (a segment is a file)");
        else if (entry->st.st_uid != self)
            snprintf (reason, sizeof reason,
                      "owned by uid %u, not the runtime's user (uid %u)",
                      (unsigned) entry->st.st_uid, (unsigned) self);
        //  unlinkat removes the name itself: a symlink goes, its target stays.
        else if (unlinkat (dfd, entry->name, 0) && errno != ENOENT)
            snprintf (reason, sizeof reason, "%s", strerror (errno));
        if (*reason)
            wrp_buf_printf (&kept, "%s%s/%s\t%s", kept.size ? "\n" : "", dir,
                            entry->shown, reason);
        else
            wrp_buf_printf (
                &removed, "%s%s/%s\t%lld", removed.size ? "\n" : "", dir, entry->shown,
                S_ISLNK (entry->st.st_mode) ? 0LL : (long long) entry->st.st_size);
    }
    close (dfd);
    s_entries_free (entries, count);
    char *removed_text = wrp_buf_finish (&removed, NULL);
    char *kept_text = wrp_buf_finish (&kept, NULL);
    if (!removed_text || !kept_text) {
        free (removed_text);
        free (kept_text);
        *ret_err = wrp_strf ("%s: out of memory", dir);
        return -1;
    }
    *ret_removed = removed_text;
    *ret_kept = kept_text;
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
    char *kept = NULL;
    assert (wrp_shm_clean (dir, &text, &kept, &err) == 0);
    char expect[1024];
    snprintf (expect, sizeof expect, "%s/chi_evil\t0\n%s/chi_main_segment_x\t5", dir,
              dir);
    assert (!strcmp (text, expect));
    free (text);
    snprintf (expect, sizeof expect, "%s/chi_dir\ta directory (a segment is a file)",
              dir);
    assert (!strcmp (kept, expect));
    free (kept);
    struct stat st;
    assert (stat (target, &st) == 0 && st.st_size == 7);
    assert (wrp_shm_list (dir, &text, &err) == 0);
    assert (!strcmp (text, "chi_dir\t0\tdirectory"));
    free (text);
    //  A name holding a newline and a tab is listed escaped: no forged line.
    snprintf (path, sizeof path, "%s/chi_a\nchi_fake\t999", dir);
    file = fopen (path, "w");
    assert (file);
    fclose (file);
    assert (wrp_shm_list (dir, &text, &err) == 0);
    assert (!strcmp (text, "chi_a\\x0achi_fake\\x09999\t0\nchi_dir\t0\tdirectory"));
    free (text);
    assert (wrp_shm_clean (dir, &text, &kept, &err) == 0);
    snprintf (expect, sizeof expect, "%s/chi_a\\x0achi_fake\\x09999\t0", dir);
    assert (!strcmp (text, expect));
    free (text);
    free (kept);
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
