/*  wrp_file — whole-file reads and atomic writes. See wrp_file.h.           */

#include "wrp_file.h"
#include "wrp_str.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
wrp_file_check_trusted (const struct stat *st, const char *path, char **ret_err)
{
    assert (st && path);
    uid_t self = geteuid ();
    if (st->st_uid != 0 && st->st_uid != self) {
        errno = EPERM;
        wrp_str_set (ret_err,
                     "%s: owned by uid %u, not by root or this process's user (uid %u): "
                     "refused",
                     path, (unsigned) st->st_uid, (unsigned) self);
        return -1;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        errno = EPERM;
        wrp_str_set (ret_err,
                     "%s: writable by group or others (mode %04o): refused; run "
                     "'chmod go-w %s'",
                     path, (unsigned) (st->st_mode & 07777), path);
        return -1;
    }
    return 0;
}

int
wrp_file_read_at (int dirfd, const char *path, size_t max, int flags, char **ret_data,
                  size_t *ret_size, char **ret_err)
{
    assert (path && ret_data && ret_size);
    char *data = NULL;
    //  O_NONBLOCK: opening a FIFO never waits for a writer; fstat then
    //  refuses everything but a regular file, which reads as it always does.
    int fd = openat (dirfd, path,
                     O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                         (flags & WRP_FILE_NOFOLLOW ? O_NOFOLLOW : 0));
    if (fd < 0) {
        int saved = errno;
        if (saved == ELOOP && (flags & WRP_FILE_NOFOLLOW))
            wrp_str_set (ret_err, "%s: is a symbolic link (not followed)", path);
        else
            wrp_str_set (ret_err, "%s: cannot open: %s", path, strerror (saved));
        errno = saved;
        return -1;
    }
    struct stat st;
    if (fstat (fd, &st)) {
        wrp_str_set (ret_err, "%s: cannot stat: %s", path, strerror (errno));
        goto failed;
    }
    if (S_ISDIR (st.st_mode)) {
        errno = EISDIR;
        wrp_str_set (ret_err, "%s: is a directory", path);
        goto failed;
    }
    if (!S_ISREG (st.st_mode)) {
        errno = EINVAL;
        wrp_str_set (ret_err, "%s: not a regular file", path);
        goto failed;
    }
    if ((flags & WRP_FILE_TRUSTED) && wrp_file_check_trusted (&st, path, ret_err))
        goto failed;
    if ((uint64_t) st.st_size > max) {
        errno = EFBIG;
        wrp_str_set (ret_err, "%s: larger than %zu bytes", path, max);
        goto failed;
    }
    //  Read one byte more than the limit to notice a file that grew.
    size_t alloc = (size_t) st.st_size + 2;
    data = malloc (alloc);
    if (!data) {
        errno = ENOMEM;
        wrp_str_set (ret_err, "%s: out of memory", path);
        goto failed;
    }
    size_t size = 0;
    while (size < alloc - 1) {
        ssize_t n = read (fd, data + size, alloc - 1 - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            wrp_str_set (ret_err, "%s: cannot read: %s", path, strerror (errno));
            goto failed;
        }
        if (n == 0)
            break;
        size += (size_t) n;
    }
    if (size > (size_t) st.st_size || size > max) {
        errno = EAGAIN;
        wrp_str_set (ret_err, "%s: changed while being read", path);
        goto failed;
    }
    close (fd);
    data[size] = 0;
    *ret_data = data;
    *ret_size = size;
    return 0;

failed : {
    int saved = errno;
    free (data);
    close (fd);
    errno = saved;
}
    return -1;
}

int
wrp_file_read (const char *path, size_t max, char **ret_data, size_t *ret_size,
               char **ret_err)
{
    return wrp_file_read_at (AT_FDCWD, path, max, 0, ret_data, ret_size, ret_err);
}

char *
wrp_file_expand_home (const char *path)
{
    const char *home = getenv ("HOME");
    if (path[0] == '~' && path[1] == '/' && home && *home)
        return wrp_strf ("%s%s", home, path + 1);
    return strdup (path);
}

int
wrp_file_mkdirs (const char *dir, mode_t mode, char **ret_err)
{
    assert (dir);
    char *copy = strdup (dir);
    if (!copy) {
        wrp_str_set (ret_err, "out of memory");
        return -1;
    }
    for (char *p = copy + 1;; p++) {
        if (*p != '/' && *p != 0)
            continue;
        char saved = *p;
        *p = 0;
        if (mkdir (copy, mode) && errno != EEXIST) {
            wrp_str_set (ret_err, "%s: cannot create directory: %s", copy,
                         strerror (errno));
            free (copy);
            return -1;
        }
        *p = saved;
        if (!saved)
            break;
    }
    struct stat st;
    if (stat (dir, &st) || !S_ISDIR (st.st_mode)) {
        wrp_str_set (ret_err, "%s: not a directory", dir);
        free (copy);
        return -1;
    }
    free (copy);
    return 0;
}

//  Writes name in dirfd atomically; messages name the file as label.
static int
s_write_atomic (int dirfd, const char *name, const char *label, const void *data,
                size_t size, mode_t mode, char **ret_err)
{
    assert (name && (data || size == 0));
    //  A fresh name beside the target, created O_EXCL|O_NOFOLLOW: never an
    //  existing file or a link someone left there.
    char temp[64];
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        snprintf (temp, sizeof temp, ".tmp.%d.%08lx", (int) getpid (), random ());
        fd = openat (dirfd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        wrp_str_set (ret_err, "%s: cannot create: %s", label, strerror (errno));
        return -1;
    }
    const char *p = data;
    size_t left = size;
    int err = 0;
    while (left > 0 && !err) {
        ssize_t n = write (fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            err = errno;
        else {
            p += n;
            left -= (size_t) n;
        }
    }
    if (!err && fchmod (fd, mode))
        err = errno;
    if (!err && fsync (fd))
        err = errno;
    if (close (fd) && !err)
        err = errno;
    //  renameat replaces the name itself: a link there goes, its target stays.
    if (!err && renameat (dirfd, temp, dirfd, name))
        err = errno;
    if (err) {
        wrp_str_set (ret_err, "%s: cannot write: %s", label, strerror (err));
        unlinkat (dirfd, temp, 0);
        return -1;
    }
    //  Make the rename itself durable.
    fsync (dirfd);
    return 0;
}

int
wrp_file_write_atomic_at (int dirfd, const char *name, const void *data, size_t size,
                          mode_t mode, char **ret_err)
{
    return s_write_atomic (dirfd, name, name, data, size, mode, ret_err);
}

int
wrp_file_write_atomic (const char *path, const void *data, size_t size, mode_t mode,
                       char **ret_err)
{
    assert (path && (data || size == 0));
    char *dir_copy = strdup (path), *base_copy = strdup (path);
    int dir_fd =
        dir_copy ? open (dirname (dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    int rc = -1;
    if (!dir_copy || !base_copy)
        wrp_str_set (ret_err, "out of memory");
    else if (dir_fd < 0)
        wrp_str_set (ret_err, "%s: cannot write: %s", path, strerror (errno));
    else
        rc = s_write_atomic (dir_fd, basename (base_copy), path, data, size, mode,
                             ret_err);
    if (dir_fd >= 0)
        close (dir_fd);
    free (dir_copy);
    free (base_copy);
    return rc;
}

void
wrp_file_test (bool verbose)
{
    (void) verbose;
    char dir[] = "/tmp/wrp-file-test.XXXXXX";
    assert (mkdtemp (dir));
    char path[256];
    snprintf (path, sizeof path, "%s/a/b/c", dir);
    char *err = NULL;
    assert (wrp_file_mkdirs (path, 0700, &err) == 0);
    assert (wrp_file_mkdirs (path, 0700, &err) == 0);
    char *saved_home = getenv ("HOME") ? strdup (getenv ("HOME")) : NULL;
    setenv ("HOME", "/home/u", 1);
    char *expanded = wrp_file_expand_home ("~/.wrp/key");
    assert (expanded && !strcmp (expanded, "/home/u/.wrp/key"));
    free (expanded);
    expanded = wrp_file_expand_home ("~user/x");
    assert (expanded && !strcmp (expanded, "~user/x"));
    free (expanded);
    setenv ("HOME", "", 1);
    expanded = wrp_file_expand_home ("~/x");
    assert (expanded && !strcmp (expanded, "~/x"));
    free (expanded);
    if (saved_home)
        setenv ("HOME", saved_home, 1);
    else
        unsetenv ("HOME");
    free (saved_home);
    snprintf (path, sizeof path, "%s/a/b/c/file", dir);
    assert (wrp_file_write_atomic (path, "hello", 5, 0600, &err) == 0);
    char *data = NULL;
    size_t size = 0;
    assert (wrp_file_read (path, 100, &data, &size, &err) == 0);
    assert (size == 5 && !strcmp (data, "hello"));
    free (data);
    struct stat st;
    assert (stat (path, &st) == 0 && (st.st_mode & 0777) == 0600);
    //  Too large, missing, a directory.
    assert (wrp_file_read (path, 4, &data, &size, &err) == -1);
    assert (strstr (err, "larger than 4 bytes"));
    free (err);
    assert (wrp_file_write_atomic (path, "", 0, 0644, &err) == 0);
    assert (wrp_file_read (path, 4, &data, &size, &err) == 0 && size == 0 && *data == 0);
    free (data);
    unlink (path);
    assert (wrp_file_read (path, 100, &data, &size, &err) == -1);
    assert (errno == ENOENT && strstr (err, "No such file"));
    free (err);
    snprintf (path, sizeof path, "%s/a", dir);
    assert (wrp_file_read (path, 100, &data, &size, &err) == -1);
    assert (strstr (err, "is a directory"));
    free (err);
    //  Writing into a missing directory fails and leaves nothing.
    snprintf (path, sizeof path, "%s/missing/file", dir);
    assert (wrp_file_write_atomic (path, "x", 1, 0600, &err) == -1);
    free (err);

    //  Hostile files: a FIFO never blocks, a link is not followed when it
    //  must not be, a file others can write is not trusted, and an atomic
    //  write replaces a link at the name, never writing its target.
    int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert (dfd >= 0 && mkfifoat (dfd, "fifo", 0600) == 0);
    assert (wrp_file_read_at (dfd, "fifo", 100, 0, &data, &size, &err) == -1);
    assert (strstr (err, "not a regular file"));
    free (err);
    assert (wrp_file_write_atomic_at (dfd, "target", "keep", 4, 0666, &err) == 0);
    assert (fchmodat (dfd, "target", 0666, 0) == 0);
    assert (wrp_file_read_at (dfd, "target", 100, WRP_FILE_TRUSTED, &data, &size, &err) ==
            -1);
    assert (strstr (err, "writable by group or others"));
    free (err);
    assert (symlinkat ("target", dfd, "link") == 0);
    assert (wrp_file_read_at (dfd, "link", 100, WRP_FILE_NOFOLLOW, &data, &size, &err) ==
            -1);
    assert (strstr (err, "symbolic link"));
    free (err);
    assert (wrp_file_write_atomic_at (dfd, "link", "new", 3, 0600, &err) == 0);
    assert (wrp_file_read_at (dfd, "target", 100, 0, &data, &size, &err) == 0 &&
            !strcmp (data, "keep"));
    free (data);
    assert (fstatat (dfd, "link", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG (st.st_mode));
    close (dfd);
    snprintf (path, sizeof path, "rm -rf '%s'", dir);
    assert (system (path) == 0);
}
