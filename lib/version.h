#ifndef FP_VERSION_H
#define FP_VERSION_H

/*
 * The versions of the libraries feedpipe runs with, for --version and bug
 * reports: "jansson 2.14, libyaml 0.2.5, libxml2 2.9.14, ...". Each wrapper
 * module reports its own library's runtime version; this module joins them.
 * Returns a borrowed, static string.
 */
const char *fp_version_libraries(void);

/* Runtime versions, one per wrapped library (borrowed, static strings). */
const char *fp_yaml_version(void);

#endif
