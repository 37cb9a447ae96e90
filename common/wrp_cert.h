/*  wrp_cert — CURVE key files.

    A key pair lives in two files in czmq's certificate format (zcert): FILE
    holds the public key, FILE_secret (mode 0600 or stricter, as ssh wants
    of a private key) both keys. This class reads a public key from either,
    loads a process's own pair with every check a mistake deserves, and
    writes new pairs (`wrp-controller keygen`).                              */

#ifndef WRP_CERT_H_INCLUDED
#define WRP_CERT_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

#define WRP_CERT_KEY_TEXT 40             //  Z85 text of a 32-byte key
#define WRP_CERT_MAX      (64 * 1024)    //  a certificate file is small
#define WRP_CERT_PATH_MAX 240            //  zcert_load copes with 255

//  The public key in the text of a certificate (public or secret): the
//  first line `public-key = "<40 chars of Z85>"` (leading blanks allowed)
//  whose key decodes. Returns 0 and the key (40 chars + NUL into ret_key),
//  or -1.
int wrp_cert_parse_public_key (const char *text, char *ret_key);

//  The same from a file (at most WRP_CERT_MAX bytes). Returns 0, or -1 and
//  a message naming the file (caller frees).
int wrp_cert_read_public_key (const char *file, char *ret_key, char **ret_err);

//  Load a process's own pair: FILE and FILE_secret must exist, the secret
//  must be a regular file no one else can read, both must hold the same
//  public key and the secret a real secret key. Returns the certificate
//  (caller destroys), or NULL and a message that says how to make a pair.
zcert_t *wrp_cert_load (const char *file, char **ret_err);

//  Write a new key pair: FILE (public, 0644) and FILE_secret (0600).
//  A leading "~/" is $HOME. Creates missing parent directories (0700).
//  Refuses to overwrite: fails if FILE or FILE_secret exists. Returns 0, or
//  -1 and a message (caller frees).
int wrp_cert_keygen (const char *file, char **ret_err);

void wrp_cert_test (bool verbose);

#endif
