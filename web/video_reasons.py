"""The reasons the media worker stores for an unusable upload, in the page's language.

The worker keeps its German text on the video record (mails and the API read it); a page
in another language shows the catalogue text for the same reason instead. A host's own
reason is shown as written."""

from __future__ import annotations

import re

from web.i18n import Translator
from workers import media, transcode

_FIXED = {
    media.REASON_UNREADABLE: "i18n.reason.unreadable",
    media.REASON_NO_POSTER: "i18n.reason.no_poster",
    media.REASON_TIMEOUT: "i18n.reason.timeout",
    media.REASON_DISGUISED: "i18n.reason.disguised",
    transcode.REASON_FAILED: "i18n.reason.failed",
    transcode.REASON_TIMEOUT: "i18n.reason.timeout",
}
_TOO_LONG = re.compile(
    re.escape(media.REASON_TOO_LONG)
    .replace(re.escape("{seconds:.0f}"), r"(?P<seconds>\d+)")
    .replace(re.escape("{limit:.0f}"), r"(?P<limit>\d+)")
    + "$"
)


def video_reason(t: Translator, reason: str) -> str:
    key = _FIXED.get(reason)
    if key:
        return t(key)
    too_long = _TOO_LONG.match(reason or "")
    if too_long:
        return t("i18n.reason.too_long", seconds=too_long["seconds"], limit=too_long["limit"])
    return reason
