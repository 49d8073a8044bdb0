#ifndef VIDPIPE_CFFMPEG_SHIM_H
#define VIDPIPE_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavformat/version.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersrc.h>
#include <libavfilter/buffersink.h>
#include <libavutil/opt.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/imgutils.h>
#include <libavutil/mathematics.h>

/* Macros the Swift importer cannot see, as prefixed functions. */
static inline int vp_AVERROR(int e) { return AVERROR(e); }
static inline int vp_AVERROR_EOF(void) { return AVERROR_EOF; }
static inline int vp_AVERROR_INVALIDDATA(void) { return AVERROR_INVALIDDATA; }
static inline int64_t vp_AV_NOPTS_VALUE(void) { return AV_NOPTS_VALUE; }
static inline AVRational vp_AV_TIME_BASE_Q(void) { return AV_TIME_BASE_Q; }

#endif
