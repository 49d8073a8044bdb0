#ifndef VIDPIPE_CCURL_SHIM_H
#define VIDPIPE_CCURL_SHIM_H
#include <curl/curl.h>
#endif
