#ifndef HARVEST_CCURL_H
#define HARVEST_CCURL_H

#include <curl/curl.h>

/* Fixed-signature wrappers for libcurl's variadic functions, which Swift cannot call. */
CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_easy_setopt_ptr(CURL *handle, CURLoption option, const void *value);
CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode ccurl_easy_setopt_write_cb(CURL *handle, CURLoption option,
                                    size_t (*cb)(char *, size_t, size_t, void *));
CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode ccurl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode ccurl_easy_getinfo_ptr(CURL *handle, CURLINFO info, void **value);
CURLcode ccurl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value);
CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

#endif
