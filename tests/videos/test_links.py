"""Link-outs: allow-listed hosts, https only, canonical form without tracking."""

from __future__ import annotations

import pytest

from duels.errors import Invalid
from duels.videos import detect_container, normalise_link, parse_media_name

YT = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
REEL = "https://www.instagram.com/reel/C3abcDEF12/"
TIKTOK = "https://www.tiktok.com/@azubi.team/video/7301234567890123456"


@pytest.mark.parametrize(
    ("given", "canonical", "provider"),
    [
        ("https://youtu.be/dQw4w9WgXcQ?si=abc123", YT, "youtube"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share&utm_source=x", YT, "youtube"),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ#t=3", YT, "youtube"),
        ("https://youtube.com/shorts/dQw4w9WgXcQ?si=x", YT, "youtube"),
        ("  https://YOUTUBE.com/watch?v=dQw4w9WgXcQ  ", YT, "youtube"),
        ("https://www.instagram.com/reel/C3abcDEF12/?igsh=MWQ1ZGUxMzBkMA==", REEL, "instagram"),
        ("https://www.instagram.com/azubis/reels/C3abcDEF12/", REEL, "instagram"),
        (
            "https://instagram.com/p/C3abcDEF12",
            "https://www.instagram.com/p/C3abcDEF12/",
            "instagram",
        ),
        (TIKTOK + "?is_from_webapp=1&sender_device=pc", TIKTOK, "tiktok"),
        ("https://vm.tiktok.com/ZMabc123/", "https://vm.tiktok.com/ZMabc123/", "tiktok"),
    ],
)
def test_links_are_normalised(given: str, canonical: str, provider: str) -> None:
    assert normalise_link(given) == (canonical, provider)


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("http://youtu.be/dQw4w9WgXcQ", "https_required"),
        ("javascript:alert(1)", "https_required"),
        ("https://evil.example/watch?v=dQw4w9WgXcQ", "link_host_not_allowed"),
        ("https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ", "link_host_not_allowed"),
        ("https://youtube.com@evil.example/watch?v=dQw4w9WgXcQ", "invalid_url"),
        ("https://youtube.com:8443/watch?v=dQw4w9WgXcQ", "invalid_url"),
        ("https://www.youtube.com/watch?v=short", "unsupported_link"),
        ("https://www.youtube.com/@channel", "unsupported_link"),
        ("https://www.instagram.com/azubis/", "unsupported_link"),
        ("https://www.tiktok.com/@azubi", "unsupported_link"),
        ("", "invalid_url"),
        ("https://youtu.be/" + "a" * 600, "invalid_url"),
    ],
)
def test_bad_links_are_refused(given: str, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        normalise_link(given)
    assert refused.value.code == code


def test_magic_bytes_decide_the_container() -> None:
    assert detect_container(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00") == "mp4"
    assert detect_container(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00") == "mov"
    assert detect_container(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81") == "webm"
    assert detect_container(b"PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00") is None
    assert detect_container(b"<!doctype html><html>") is None
    assert detect_container(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00") is None  # a photo


def test_only_server_generated_names_parse() -> None:
    assert parse_media_name("dabc2345-tq7r8s9t2-0123456789ab.mp4") == (
        "dabc2345",
        "tq7r8s9t2",
        "mp4",
    )
    for name in ("../secrets.json", "d1-t1-0123456789ab.mp4/..", "d1-t1-0123456789ab.exe",
                 "..-t1-0123456789ab.mp4", "d1-t1-0123456789AB.mp4", ".upload-x.part"):  # fmt: skip
        assert parse_media_name(name) is None
