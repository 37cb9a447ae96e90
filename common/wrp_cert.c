/*  wrp_cert — CURVE key files. See wrp_cert.h.                              */

#include "wrp_cert.h"
#include "wrp_file.h"
#include "wrp_proto.h"
#include "wrp_str.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool
s_valid_key (const char *text)
{
    uint8_t key[32];
    return strlen (text) == WRP_CERT_KEY_TEXT && zmq_z85_decode (key, text) != NULL;
}

int
wrp_cert_parse_public_key (const char *text, char *ret_key)
{
    for (const char *line = text; line && *line;
         line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL) {
        const char *cursor = line + strspn (line, " \t");
        if (strncmp (cursor, "public-key", 10))
            continue;
        cursor += 10;
        cursor += strspn (cursor, " \t");
        if (*cursor++ != '=')
            continue;
        cursor += strspn (cursor, " \t");
        if (*cursor++ != '"')
            continue;
        const char *end = strchr (cursor, '"');
        if (!end || end - cursor != WRP_CERT_KEY_TEXT)
            continue;
        char key[WRP_CERT_KEY_TEXT + 1];
        memcpy (key, cursor, WRP_CERT_KEY_TEXT);
        key[WRP_CERT_KEY_TEXT] = 0;
        if (!s_valid_key (key))
            continue;
        strcpy (ret_key, key);
        return 0;
    }
    return -1;
}

int
wrp_cert_read_public_key (const char *file, char *ret_key, char **ret_err)
{
    char *text = NULL, *why = NULL;
    size_t size = 0;
    if (wrp_file_read (file, WRP_CERT_MAX, &text, &size, ret_err ? &why : NULL)) {
        wrp_str_set (ret_err, "key %s", why);
        free (why);
        return -1;
    }
    //  A NUL byte ends the text: what follows it is not read.
    int rc = wrp_cert_parse_public_key (text, ret_key);
    free (text);
    if (rc)
        wrp_str_set (
            ret_err,
            "key %s: no 'public-key = \"...\"' line with a 40-character Z85 key "
            "(not a czmq certificate; make one with 'wrp-controller keygen FILE')",
            file);
    return rc;
}

//  Loads the own certificate: FILE (public) and FILE_secret (mode 0600 or
//  stricter, like ssh), which must hold the same public key.
zcert_t *
wrp_cert_load (const char *file, char **ret_err)
{
    char hint[WRP_CERT_PATH_MAX + 100];
    snprintf (hint, sizeof hint,
              "make a key pair with 'wrp-controller keygen %.*s', or run "
              "with --insecure",
              WRP_CERT_PATH_MAX, file);
    if (strlen (file) > WRP_CERT_PATH_MAX)
        return wrp_str_null (ret_err, "key %s: path longer than %d characters", file,
                             WRP_CERT_PATH_MAX);
    struct stat public_st, st;
    if (stat (file, &public_st))
        return wrp_str_null (ret_err, "key %s: %s (%s)", file, strerror (errno), hint);
    char secret[WRP_CERT_PATH_MAX + 16];
    snprintf (secret, sizeof secret, "%s" WRP_KEY_SECRET_SUFFIX, file);
    if (stat (secret, &st))
        return wrp_str_null (ret_err, "key %s: secret part %s: %s (%s)", file, secret,
                             strerror (errno), hint);
    if (!S_ISREG (st.st_mode))
        return wrp_str_null (ret_err, "key %s: %s is not a regular file", file, secret);
    //  Both files decide who this process is: as ssh, trust only files
    //  that nobody else could have written.
    char *why = NULL;
    if (wrp_file_check_trusted (&st, secret, &why) ||
        wrp_file_check_trusted (&public_st, file, &why)) {
        wrp_str_null (ret_err, "key %s", why);
        free (why);
        return NULL;
    }
    if (st.st_mode & 077)
        return wrp_str_null (ret_err,
                             "key %s: %s is accessible by group or others (mode %04o); "
                             "run 'chmod 600 %s'",
                             file, secret, (unsigned) (st.st_mode & 07777), secret);
    char public_key[WRP_CERT_KEY_TEXT + 1], secret_public[WRP_CERT_KEY_TEXT + 1];
    if (wrp_cert_read_public_key (file, public_key, ret_err) ||
        wrp_cert_read_public_key (secret, secret_public, ret_err))
        return NULL;
    if (strcmp (public_key, secret_public))
        return wrp_str_null (ret_err,
                             "key %s: %s holds another key pair (public keys differ)",
                             file, secret);
    zcert_t *cert = zcert_load (file);    //  reads FILE_secret first
    if (!cert || strcmp (zcert_public_txt (cert), public_key) ||
        !s_valid_key (zcert_secret_txt (cert)) ||
        !strcmp (zcert_secret_txt (cert), "0000000000000000000000000000000000000000")) {
        zcert_destroy (&cert);
        return wrp_str_null (ret_err,
                             "key %s: %s has no valid 'secret-key' (not a czmq secret "
                             "certificate)",
                             file, secret);
    }
    return cert;
}

int
wrp_cert_keygen (const char *file, char **ret_err)
{
    if (!file || !*file || file[strlen (file) - 1] == '/') {
        wrp_str_set (ret_err, "keygen: give a file name, e.g. 'wrp-controller keygen %s'",
                     WRP_CONTROLLER_KEY_DEFAULT);
        return -1;
    }
    char *path = wrp_file_expand_home (file);
    if (!path || strlen (path) > WRP_CERT_PATH_MAX) {
        wrp_str_set (ret_err, "keygen %s: path longer than %d characters", file,
                     WRP_CERT_PATH_MAX);
        free (path);
        return -1;
    }
    char secret[WRP_CERT_PATH_MAX + 16];
    snprintf (secret, sizeof secret, "%s" WRP_KEY_SECRET_SUFFIX, path);
    struct stat st;
    const char *exists = lstat (path, &st) == 0     ? path
                         : lstat (secret, &st) == 0 ? secret
                                                    : NULL;
    if (exists) {
        wrp_str_set (ret_err,
                     "keygen: %s already exists; refusing to overwrite a key (remove %s "
                     "and %s first to make a new pair)",
                     exists, path, secret);
        free (path);
        return -1;
    }
    char *parent = strdup (path);
    char *slash = parent ? strrchr (parent, '/') : NULL;
    if (slash && slash > parent)
        *slash = 0;
    int made = !parent                   ? (wrp_str_set (ret_err, "out of memory"), -1)
               : slash && slash > parent ? wrp_file_mkdirs (parent, 0700, ret_err)
                                         : 0;
    free (parent);
    if (made) {
        free (path);
        return -1;
    }
    //  Claim both names first (O_EXCL: nobody else's file, no symlink
    //  followed); zcert_save then fills them in place, keeping the modes.
    int public_fd =
        open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (public_fd < 0) {
        wrp_str_set (ret_err, "keygen: cannot create %s: %s", path, strerror (errno));
        free (path);
        return -1;
    }
    close (public_fd);
    int secret_fd =
        open (secret, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (secret_fd < 0) {
        wrp_str_set (ret_err, "keygen: cannot create %s: %s", secret, strerror (errno));
        unlink (path);
        free (path);
        return -1;
    }
    fchmod (secret_fd, 0600);
    close (secret_fd);
    zcert_t *cert = zcert_new ();
    char host[256] = "";
    gethostname (host, sizeof host - 1);
    if (cert) {
        zcert_set_meta (cert, "created-by", "wrp-controller keygen");
        if (*host)
            zcert_set_meta (cert, "hostname", "%s", host);
    }
    if (!cert || zcert_save_public (cert, path) || zcert_save_secret (cert, secret) ||
        chmod (secret, 0600)) {
        int error = errno;
        unlink (path);
        unlink (secret);
        zcert_destroy (&cert);
        wrp_str_set (ret_err, "keygen: cannot write %s: %s", path, strerror (error));
        free (path);
        return -1;
    }
    zcert_destroy (&cert);
    free (path);
    return 0;
}

//  ---------------------------------------------------------------------------
//  Self-test

void
wrp_cert_test (bool verbose)
{
    if (verbose)
        printf (" * wrp_cert: ");
    char dir[] = "/tmp/wrp_cert_test.XXXXXX";
    assert (mkdtemp (dir));
    char key[200], other[200], path[512];
    snprintf (key, sizeof key, "%s/keys/agent.key", dir);
    snprintf (other, sizeof other, "%s/other.key", dir);
    char *err = NULL;

    //  keygen: makes FILE and FILE_secret (0600), parents 0700, no overwrite
    assert (wrp_cert_keygen (key, &err) == 0);
    assert (wrp_cert_keygen (other, &err) == 0);
    struct stat st;
    snprintf (path, sizeof path, "%s_secret", key);
    assert (stat (path, &st) == 0 && (st.st_mode & 0777) == 0600);
    snprintf (path, sizeof path, "%s/keys", dir);
    assert (stat (path, &st) == 0 && (st.st_mode & 0777) == 0700);
    assert (wrp_cert_keygen (key, &err) == -1);
    assert (strstr (err, "refusing to overwrite"));
    zstr_free (&err);
    assert (wrp_cert_keygen ("", &err) == -1);
    zstr_free (&err);
    assert (wrp_cert_keygen ("dir/", &err) == -1);
    zstr_free (&err);

    //  czmq reads it back; both files give the same public key
    zcert_t *loaded = zcert_load (key);
    char public_key[WRP_CERT_KEY_TEXT + 1], secret_public[WRP_CERT_KEY_TEXT + 1];
    assert (loaded && wrp_cert_read_public_key (key, public_key, &err) == 0);
    assert (streq (public_key, zcert_public_txt (loaded)));
    zcert_destroy (&loaded);
    snprintf (path, sizeof path, "%s_secret", key);
    assert (wrp_cert_read_public_key (path, secret_public, NULL) == 0);
    assert (streq (public_key, secret_public));
    loaded = wrp_cert_load (key, &err);
    assert (loaded && streq (zcert_public_txt (loaded), public_key));
    zcert_destroy (&loaded);

    //  Parsing: blanks allowed, a bad key or a short one is skipped
    char text[200];
    snprintf (text, sizeof text, "curve\n    public-key = \"%s\"\n", public_key);
    assert (wrp_cert_parse_public_key (text, path) == 0 && streq (path, public_key));
    assert (wrp_cert_parse_public_key ("public-key = \"abc\"\n", path) == -1);
    assert (wrp_cert_parse_public_key ("public-key = \""
                                       "0123456789012345678901234567890123456789"
                                       "\"",
                                       path) == 0);
    assert (wrp_cert_parse_public_key ("public-key = \""
                                       "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~"
                                       "\"",
                                       path) == -1);
    assert (wrp_cert_parse_public_key ("", path) == -1);
    assert (wrp_cert_read_public_key ("/nonexistent/key", path, &err) == -1);
    assert (strstr (err, "/nonexistent/key"));
    zstr_free (&err);

    //  Loading checks: missing, readable secret, mismatched pair
    assert (wrp_cert_load ("/nonexistent/agent.key", &err) == NULL);
    assert (strstr (err, "/nonexistent/agent.key") && strstr (err, "keygen"));
    zstr_free (&err);
    snprintf (path, sizeof path, "%s_secret", other);
    chmod (path, 0644);
    assert (wrp_cert_load (other, &err) == NULL && strstr (err, "chmod 600"));
    zstr_free (&err);
    chmod (path, 0600);
    snprintf (path, sizeof path, "cp %s %s", key, other);
    assert (system (path) == 0);
    assert (wrp_cert_load (other, &err) == NULL && strstr (err, "another key pair"));
    zstr_free (&err);

    snprintf (path, sizeof path, "rm -rf %s", dir);
    assert (system (path) == 0);
    if (verbose)
        printf ("OK\n");
}
