/*  Replays a libFuzzer corpus through a harness without libFuzzer, so that
    make check runs every corpus file under the normal (or sanitizer) build.

    replay DIR|FILE...                                                        */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
s_run_file (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        perror (path);
        return -1;
    }
    uint8_t *data = malloc (1 << 22);
    size_t size = data ? fread (data, 1, 1 << 22, file) : 0;
    fclose (file);
    if (!data)
        return -1;
    LLVMFuzzerTestOneInput (data, size);
    free (data);
    return 0;
}

int
main (int argc, char **argv)
{
    size_t files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat (argv[i], &st)) {
            perror (argv[i]);
            return 1;
        }
        if (!S_ISDIR (st.st_mode)) {
            if (s_run_file (argv[i]))
                return 1;
            files++;
            continue;
        }
        DIR *dir = opendir (argv[i]);
        if (!dir) {
            perror (argv[i]);
            return 1;
        }
        struct dirent *entry;
        while ((entry = readdir (dir))) {
            if (entry->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf (path, sizeof path, "%s/%s", argv[i], entry->d_name);
            if (s_run_file (path)) {
                closedir (dir);
                return 1;
            }
            files++;
        }
        closedir (dir);
    }
    if (files == 0) {
        fprintf (stderr, "%s: empty corpus\n", argv[0]);
        return 1;
    }
    printf ("%s: replayed %zu inputs\n",
            strrchr (argv[0], '/') ? strrchr (argv[0], '/') + 1 : argv[0], files);
    return 0;
}
