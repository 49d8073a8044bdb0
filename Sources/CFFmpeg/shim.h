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
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
/* glibc's malloc_trim: a finished media pass hands its freed frame pages back to the system. */
#include <malloc.h>

/* Macros the Swift importer cannot see, as prefixed functions. */
static inline int vp_AVERROR(int e) { return AVERROR(e); }
static inline int vp_AVERROR_EOF(void) { return AVERROR_EOF; }
static inline int vp_AVERROR_INVALIDDATA(void) { return AVERROR_INVALIDDATA; }
static inline int64_t vp_AV_NOPTS_VALUE(void) { return AV_NOPTS_VALUE; }
static inline AVRational vp_AV_TIME_BASE_Q(void) { return AV_TIME_BASE_Q; }

/* libx264 reports PSNR and SSIM only in the log lines it writes when it closes (FFmpeg
   5.1's wrapper exports no per-frame error). An encoder context whose `opaque` points at
   a vp_encoder_summary gets those lines appended to it; every message still reaches
   FFmpeg's default logger, which applies av_log_set_level as before. */
#define VP_ENCODER_SUMMARY_MAGIC 0x76707371u

typedef struct vp_encoder_summary {
    unsigned magic;
    size_t length;
    char text[1024];
} vp_encoder_summary;

static inline void vp_summary_log_callback(void *context, int level, const char *format, va_list arguments) {
    if (context && level == AV_LOG_INFO && format
        && (strncmp(format, "PSNR Mean", 9) == 0 || strncmp(format, "SSIM Mean", 9) == 0)) {
        const AVClass *class = *(const AVClass **)context;
        if (class && class->class_name && strcmp(class->class_name, "AVCodecContext") == 0) {
            vp_encoder_summary *summary = ((AVCodecContext *)context)->opaque;
            if (summary && summary->magic == VP_ENCODER_SUMMARY_MAGIC && summary->length + 1 < sizeof summary->text) {
                va_list copy;
                va_copy(copy, arguments);
                size_t room = sizeof summary->text - summary->length;
                int written = vsnprintf(summary->text + summary->length, room, format, copy);
                va_end(copy);
                if (written > 0) summary->length += (size_t)written < room ? (size_t)written : room - 1;
            }
        }
    }
    av_log_default_callback(context, level, format, arguments);
}

/* Process-wide, like av_log_set_level; idempotent. */
static inline void vp_capture_encoder_summaries(void) { av_log_set_callback(vp_summary_log_callback); }

static inline void vp_encoder_summary_init(vp_encoder_summary *summary) {
    memset(summary, 0, sizeof *summary);
    summary->magic = VP_ENCODER_SUMMARY_MAGIC;
}

#endif
