#ifndef VIDPIPE_CCURL_SHIM_H
#define VIDPIPE_CCURL_SHIM_H
#include <curl/curl.h>

/* CURLVERSION_NOW is a macro the Swift importer cannot see. */
static inline curl_version_info_data *vp_curl_version_info(void) { return curl_version_info(CURLVERSION_NOW); }

#endif
