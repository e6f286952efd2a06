"""Evidence through chat, as conversations: caption, reply, button, photo, refusals, /evidence."""

from __future__ import annotations

from pathlib import Path

from bot.features import evidence
from bot.store.evidence import EVIDENCE
from tests.harness import ChatEnv, Person, open_card

PDF = "%PDF-1.4 承诺制工作方案".encode()


def alice_of(env: ChatEnv) -> Person:
    alice = env.person(2001, "Alice")
    env.bind(alice, "区司法局")  # a lead of #18
    return alice


def files_on_disk(env: ChatEnv, task_id: int, unit: str) -> list[Path]:
    folder = evidence.evidence_root(env.data_dir) / str(task_id) / evidence.unit_slug(unit)
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file())


def card_for(cards: list[dict], task_id: int) -> dict:
    return next(m for m in cards if m["text"].startswith(f"#{task_id} "))


async def test_caption_names_the_task(env: ChatEnv) -> None:
    alice = alice_of(env)
    replies = await alice.send_document(PDF, "承诺制工作方案.pdf", caption="#18 承诺制工作方案")
    text = replies[-1]["text"]
    assert "#18" in text and "承诺制工作方案.pdf" in text and "共有 1 份" in text
    assert f"{len(PDF)} B" in text
    (stored,) = files_on_disk(env, 18, "区司法局")
    assert stored.read_bytes() == PDF and stored.suffix == ".pdf"
    (rec,) = evidence.list_evidence(env.store, 18, "区司法局")
    assert rec["uploader"] == alice.id and rec["name"] == "承诺制工作方案.pdf"
    assert rec["mime"] == "application/pdf" and rec["message"] is not None


async def test_reply_to_a_task_card(env: ChatEnv) -> None:
    alice = alice_of(env)
    card = await open_card(alice, 18)
    replies = await alice.send_document(b"table", "进度表.xlsx", reply_to=card)
    assert "#18" in replies[-1]["text"] and "进度表.xlsx" in replies[-1]["text"]
    assert len(evidence.list_evidence(env.store, 18, "区司法局")) == 1


async def test_upload_button_then_files_then_cancel(env: ChatEnv) -> None:
    alice = alice_of(env)
    card = await open_card(alice, 18)
    asked = await alice.press(card, "ev:18")
    assert "#18" in asked[-1]["text"] and "发送" in asked[-1]["text"]
    first = await alice.send_document(b"one", "一.docx")
    second = await alice.send_document(b"two", "二.pdf")
    assert "共有 1 份" in first[-1]["text"] and "共有 2 份" in second[-1]["text"]
    assert "已取消" in (await alice.say("/cancel"))[-1]["text"]
    lost = await alice.send_document(b"three", "三.pdf")
    assert "不知道它属于哪项任务" in lost[-1]["text"]
    assert len(evidence.list_evidence(env.store, 18)) == 2


async def test_photo(env: ChatEnv) -> None:
    alice = alice_of(env)
    replies = await alice.send_photo(b"\xff\xd8\xff\xe0 jpeg bytes", caption="#18 现场照片")
    assert "已收到 #18" in replies[-1]["text"]
    (stored,) = files_on_disk(env, 18, "区司法局")
    assert stored.suffix == ".jpg"
    assert evidence.list_evidence(env.store, 18)[0]["kind"] == "image"


async def test_the_same_file_twice(env: ChatEnv) -> None:
    alice = alice_of(env)
    await alice.send_document(PDF, "方案.pdf", caption="#18")
    again = await alice.send_document(PDF, "方案-副本.pdf", caption="#18")
    assert "已经收到过" in again[-1]["text"] and "共有 1 份" in again[-1]["text"]
    assert len(files_on_disk(env, 18, "区司法局")) == 1
    assert len(evidence.list_evidence(env.store, 18)) == 1


async def test_exe_is_refused_without_download(env: ChatEnv) -> None:
    alice = alice_of(env)
    replies = await alice.send_document(
        b"MZ\x90\x00", "setup.exe", caption="#18", mime_type="application/x-msdownload"
    )
    text = replies[-1]["text"]
    assert "不支持" in text and "pdf" in text and "docx" in text and "zip" in text
    assert env.api.calls("getFile") == []
    assert evidence.list_evidence(env.store, 18) == [] and files_on_disk(env, 18, "区司法局") == []


async def test_oversized_is_refused_before_get_file(env: ChatEnv) -> None:
    alice = alice_of(env)
    replies = await alice.send_document(
        b"x", "大文件.pdf", caption="#18", declared_size=25 * 1024 * 1024
    )
    assert "20 MB" in replies[-1]["text"] and "25.0 MB" in replies[-1]["text"]
    assert env.api.calls("getFile") == []
    assert evidence.list_evidence(env.store, 18) == []


async def test_hostile_name_is_shown_escaped_and_never_a_path(env: ChatEnv) -> None:
    alice = alice_of(env)
    name = "../../<img src=x onerror=alert(1)>&amp;.pdf"
    replies = await alice.send_document(b"%PDF evil", name, caption="#18")
    # the path part is dropped, the rest shown as text, not markup
    assert "\n<img src=x onerror=alert(1)>&amp;.pdf（" in replies[-1]["text"]
    (stored,) = files_on_disk(env, 18, "区司法局")
    assert "img" not in stored.name and ".." not in stored.name
    assert stored.resolve().is_relative_to(evidence.evidence_root(env.data_dir).resolve())


async def test_no_task_explains_how(env: ChatEnv) -> None:
    alice = alice_of(env)
    replies = await alice.send_document(b"data", "材料.pdf")
    assert "#18" in replies[-1]["text"] and "回复" in replies[-1]["text"]
    assert evidence.list_evidence(env.store, 18) == []


async def test_stranger_and_wrong_unit(env: ChatEnv) -> None:
    stranger = env.person(3001, "Mallory")
    replies = await stranger.send_document(b"data", "材料.pdf", caption="#18")
    assert "邀请" in replies[-1]["text"]
    edu = env.person(3002, "Edu")
    env.bind(edu, "区教育局")  # no part in #18
    replies = await edu.send_document(b"data", "材料.pdf", caption="#18")
    assert "不是 #18 的责任单位" in replies[-1]["text"]
    assert evidence.list_evidence(env.store, 18) == []
    assert env.api.calls("getFile") == []


async def test_evidence_list(env: ChatEnv) -> None:
    alice = alice_of(env)
    bob = env.person(2002, "Bob")
    env.bind(bob, "区市场监管局")
    await alice.send_document(b"a" * 2048, "方案<1>.pdf", caption="#18")
    await bob.send_document(b"b", "监管.docx", caption="#18")
    mine = (await alice.say("/evidence 18"))[-1]["text"]
    assert "方案<1>.pdf" in mine and "2.0 KB" in mine and "Alice" in mine
    assert "监管.docx" not in mine  # a contact sees their own units' files
    coord = env.coordinator
    everything = (await coord.say("/evidence 18"))[-1]["text"]
    assert "方案<1>.pdf" in everything and "监管.docx" in everything and "Bob" in everything
    assert "用法" in (await alice.say("/evidence"))[-1]["text"]
    assert "没有编号为 #99" in (await alice.say("/evidence 99"))[-1]["text"]


async def test_coordinator_names_the_unit_in_the_caption(env: ChatEnv) -> None:
    coord = env.coordinator
    replies = await coord.send_document(b"for them", "代交.pdf", caption="#18 区市场监管局 代交")
    assert "区市场监管局" in replies[-1]["text"]
    (rec,) = evidence.list_evidence(env.store, 18)
    assert rec["unit"] == "区市场监管局" and rec["uploader"] == coord.id


async def test_reply_to_a_digest_keeps_the_file_until_its_task_is_pressed(env: ChatEnv) -> None:
    alice = alice_of(env)
    (digest,) = await alice.say("/help")
    for task in (4, 18):  # a morning reminder about two tasks
        env.store.deliveries.remember_message(
            alice.id, digest["message_id"], task=task, unit="区司法局", kind="digest"
        )
    (ask,) = await alice.send_document(PDF, "方案.pdf", reply_to=digest)
    assert "#4、#18" in ask["text"] and "已保留" in ask["text"]
    assert evidence.list_evidence(env.store, 18) == [] and env.api.calls("getFile") == []
    replies = await alice.press(ask, "kp:18")
    assert "已收到 #18" in replies[-1]["text"]
    assert [r["unit"] for r in evidence.list_evidence(env.store, 18)] == ["区司法局"]
    assert evidence.list_evidence(env.store, 4) == []
    replies = await alice.send_document(
        PDF + b" ", "方案2.pdf", caption="#18 方案", reply_to=digest
    )
    assert "已收到 #18" in replies[-1]["text"]
    assert [r["unit"] for r in evidence.list_evidence(env.store, 18)] == ["区司法局"] * 2


async def test_video_and_voice_are_refused_with_the_accepted_kinds(env: ChatEnv) -> None:
    alice = alice_of(env)
    video = {"file_id": "v1", "file_unique_id": "uv1", "width": 1, "height": 1, "duration": 3}
    replies = await alice.send_media("video", {**video, "file_size": 1000}, caption="#18 现场")
    assert "不支持" in replies[-1]["text"] and "pdf" in replies[-1]["text"]
    voice = {"file_id": "a1", "file_unique_id": "ua1", "duration": 3}
    replies = await alice.send_media("voice", voice)
    assert "不支持" in replies[-1]["text"]
    assert env.api.calls("getFile") == [] and evidence.list_evidence(env.store, 18) == []


async def test_evidence_list_of_many_files_is_split_at_lines(env: ChatEnv) -> None:
    alice = alice_of(env)
    table = env.store.table(EVIDENCE)
    for i in range(150):
        table.insert(
            {
                "task": 18,
                "unit": "区司法局",
                "name": f"第{i:03d}份<材料>&附件" + "长" * 40 + ".pdf",
                "size": 1000 + i,
                "uploader_name": "Alice",
                "at": env.clock.now().isoformat(timespec="seconds"),
            }
        )
    replies = await alice.say("/evidence 18")
    assert len(replies) >= 2 and all(len(m["text"]) <= 4096 for m in replies)
    lines = [line for m in replies for line in m["text"].split("\n")]
    assert sum("<材料>&附件" in line for line in lines) == 150  # no line cut in two
    assert lines[-1].startswith("150. 第149份")


async def test_each_accepted_kind_by_caption(env: ChatEnv) -> None:
    alice = alice_of(env)
    files = {
        "报表.xls": b"xls",
        "通知.wps": b"wps",
        "现场.png": b"\x89PNG png",
        "材料.zip": b"PK\x03\x04 zip",
        "扫描件.7z": b"7z archive",
    }
    for name, data in files.items():
        replies = await alice.send_document(data, name, caption="#18")
        assert "已收到 #18" in replies[-1]["text"] and name in replies[-1]["text"], name
    records = evidence.list_evidence(env.store, 18, "区司法局")
    assert [r["kind"] for r in records] == ["office", "office", "image", "archive", "archive"]
    assert all(len(r["sha256"]) == 64 and r["size"] > 0 and r["mime"] for r in records)
    assert len(files_on_disk(env, 18, "区司法局")) == len(files)


async def test_the_caption_is_kept_with_the_file_and_shown_everywhere(env: ChatEnv) -> None:
    alice = alice_of(env)
    caption = "#18 告知承诺制度文件（修订版）"
    replies = await alice.send_document(PDF, "承诺制度.pdf", caption=caption)
    assert "说明：告知承诺制度文件（修订版）" in replies[-1]["text"]
    (rec,) = evidence.list_evidence(env.store, 18, "区司法局")
    assert rec["caption"] == "告知承诺制度文件（修订版）"
    # the history names the file itself: name, size, hash and the caption
    (event,) = env.store.history.events(task=18, where=lambda e: e["kind"] == "evidence")
    assert event["last_evidence"] == "承诺制度.pdf" and event["file"] == rec["id"]
    assert event["file_size"] == len(PDF) and event["sha256"] == rec["sha256"]
    assert event["last_caption"] == "告知承诺制度文件（修订版）" and event["actor"] == alice.id
    listing = (await alice.say("/evidence 18"))[-1]["text"]
    assert "承诺制度.pdf" in listing and "说明：告知承诺制度文件（修订版）" in listing
    card = await open_card(alice, 18)
    assert "承诺制度.pdf（告知承诺制度文件（修订版））" in card["text"]
    detail = (await alice.say("/task 18"))[-1]["text"]
    assert "上传材料：承诺制度.pdf（告知承诺制度文件（修订版））" in detail
    status = (await env.coordinator.say("/status 18"))[-1]["text"]
    assert "承诺制度.pdf（告知承诺制度文件（修订版））" in status


async def test_a_bare_task_number_keeps_no_caption(env: ChatEnv) -> None:
    alice = alice_of(env)
    replies = await alice.send_document(PDF, "方案.pdf", caption="#18")
    assert "说明" not in replies[-1]["text"]
    (rec,) = evidence.list_evidence(env.store, 18, "区司法局")
    assert rec["caption"] is None


async def test_a_declared_type_that_does_not_fit_the_name_is_named_as_the_cause(
    env: ChatEnv,
) -> None:
    alice = alice_of(env)
    replies = await alice.send_document(
        b"MZ\x90\x00", "方案.docx", caption="#18", mime_type="application/x-msdownload"
    )
    text = replies[-1]["text"]
    assert "不支持" not in text and "可以接收的文件类型" not in text
    assert ".docx" in text and "application/x-msdownload" in text and "不符" in text
    assert env.api.calls("getFile") == [] and evidence.list_evidence(env.store, 18) == []
