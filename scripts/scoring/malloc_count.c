/* Counts heap allocations of a process, for checking that scoring allocates nothing per record.
 *
 *   gcc -O2 -shared -fPIC -o /tmp/malloc_count.so scripts/scoring/malloc_count.c -ldl
 *   LD_PRELOAD=/tmp/malloc_count.so .build/release/steward bench score --text-records 100000 ...
 *
 * Prints "malloc_count: N" (malloc + calloc + realloc + posix_memalign + aligned_alloc calls) at exit.
 * Run twice with different record counts: equal counts mean no per-record allocation.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static atomic_long calls;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);

/* dlsym itself may call calloc before real_calloc is known: serve it from a static buffer. */
static char bootstrap[4096];
static size_t bootstrap_used;

static void init(void) {
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
}

void *malloc(size_t n) {
    if (!real_malloc) init();
    atomic_fetch_add(&calls, 1);
    return real_malloc(n);
}

void *calloc(size_t a, size_t b) {
    if (!real_calloc) {
        size_t n = (a * b + 15) & ~(size_t)15;
        if (bootstrap_used + n <= sizeof bootstrap) {
            void *p = bootstrap + bootstrap_used;
            bootstrap_used += n;
            return p;
        }
        return NULL;
    }
    atomic_fetch_add(&calls, 1);
    return real_calloc(a, b);
}

void *realloc(void *p, size_t n) {
    if (!real_realloc) init();
    atomic_fetch_add(&calls, 1);
    return real_realloc(p, n);
}

int posix_memalign(void **p, size_t a, size_t n) {
    if (!real_posix_memalign) init();
    atomic_fetch_add(&calls, 1);
    return real_posix_memalign(p, a, n);
}

void *aligned_alloc(size_t a, size_t n) {
    if (!real_aligned_alloc) init();
    atomic_fetch_add(&calls, 1);
    return real_aligned_alloc(a, n);
}

void free(void *p) {
    static void (*real_free)(void *);
    if ((char *)p >= bootstrap && (char *)p < bootstrap + sizeof bootstrap) return;
    if (!real_free) real_free = dlsym(RTLD_NEXT, "free");
    real_free(p);
}

__attribute__((destructor)) static void report(void) {
    char line[64];
    int n = snprintf(line, sizeof line, "malloc_count: %ld\n", atomic_load(&calls));
    if (write(2, line, n) < 0) {}
}
