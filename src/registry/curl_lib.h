/* libcurl, opened only when a command talks to a registry.
 *
 * capsule is not linked with libcurl: loading it (and the ~30 libraries it
 * pulls in: TLS, Kerberos, LDAP...) at every start would cost each
 * `capsule run` milliseconds for nothing (docs/PERFORMANCE.md, "capsule
 * start-up"). Types and constants come from <curl/curl.h> as usual; the
 * functions below are looked up in "libcurl.so.4" by curl_lib_load() and
 * called through the table `curl_lib`. Including this header makes every
 * call to them in the file go through that table, so call sites read as
 * plain libcurl.
 *
 * curl_lib_load() must succeed before the first call (http_share_new() does
 * it: every transfer needs a share handle). A function missing from the list
 * shows up as an undefined reference at link time: add it to both lists. */
#ifndef CAPSULE_REGISTRY_CURL_LIB_H
#define CAPSULE_REGISTRY_CURL_LIB_H

#include <curl/curl.h>

#include "util/dynlib.h"
#include "util/error.h"

#define CURL_LIB_FUNCTIONS(X, t)                                                                 \
  X(t, curl_easy_cleanup) X(t, curl_easy_escape) X(t, curl_easy_getinfo) X(t, curl_easy_header)  \
  X(t, curl_easy_init) X(t, curl_easy_perform) X(t, curl_easy_setopt) X(t, curl_easy_strerror)   \
  X(t, curl_free) X(t, curl_global_init) X(t, curl_multi_add_handle) X(t, curl_multi_cleanup)    \
  X(t, curl_multi_info_read) X(t, curl_multi_init) X(t, curl_multi_perform)                      \
  X(t, curl_multi_poll) X(t, curl_multi_remove_handle) X(t, curl_share_cleanup)                  \
  X(t, curl_share_init) X(t, curl_share_setopt) X(t, curl_slist_append)                          \
  X(t, curl_slist_free_all) X(t, curl_url) X(t, curl_url_cleanup) X(t, curl_url_get)             \
  X(t, curl_url_set)

/* One pointer per function, typed by its prototype in <curl/curl.h>. */
struct curl_lib {
  CURL_LIB_FUNCTIONS(DYNLIB_POINTER, curl_lib)
};
extern struct curl_lib curl_lib;

/* Open libcurl (once); ELIBACC naming it when it cannot be loaded. */
int curl_lib_load(err_t *e);

/* From here on, calls go through the table. curl's own macros for these
 * (compile-time checks of setopt/getinfo argument types) give way. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_share_setopt
#define curl_easy_cleanup (curl_lib.curl_easy_cleanup_fn)
#define curl_easy_escape (curl_lib.curl_easy_escape_fn)
#define curl_easy_getinfo (curl_lib.curl_easy_getinfo_fn)
#define curl_easy_header (curl_lib.curl_easy_header_fn)
#define curl_easy_init (curl_lib.curl_easy_init_fn)
#define curl_easy_perform (curl_lib.curl_easy_perform_fn)
#define curl_easy_setopt (curl_lib.curl_easy_setopt_fn)
#define curl_easy_strerror (curl_lib.curl_easy_strerror_fn)
#define curl_free (curl_lib.curl_free_fn)
#define curl_global_init (curl_lib.curl_global_init_fn)
#define curl_multi_add_handle (curl_lib.curl_multi_add_handle_fn)
#define curl_multi_cleanup (curl_lib.curl_multi_cleanup_fn)
#define curl_multi_info_read (curl_lib.curl_multi_info_read_fn)
#define curl_multi_init (curl_lib.curl_multi_init_fn)
#define curl_multi_perform (curl_lib.curl_multi_perform_fn)
#define curl_multi_poll (curl_lib.curl_multi_poll_fn)
#define curl_multi_remove_handle (curl_lib.curl_multi_remove_handle_fn)
#define curl_share_cleanup (curl_lib.curl_share_cleanup_fn)
#define curl_share_init (curl_lib.curl_share_init_fn)
#define curl_share_setopt (curl_lib.curl_share_setopt_fn)
#define curl_slist_append (curl_lib.curl_slist_append_fn)
#define curl_slist_free_all (curl_lib.curl_slist_free_all_fn)
#define curl_url (curl_lib.curl_url_fn)
#define curl_url_cleanup (curl_lib.curl_url_cleanup_fn)
#define curl_url_get (curl_lib.curl_url_get_fn)
#define curl_url_set (curl_lib.curl_url_set_fn)

#endif
