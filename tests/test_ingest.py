"""qa.ingest: files -> documents."""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest

from qa.errors import InputError
from qa.ingest import SUPPORTED, Skipped, load_documents, read_file, repair_page_breaks

from .conftest import CORPUS

CORPUS_PAGE = CORPUS / "000_272e18b5ed2af28f.txt"

SEED = Path(__file__).resolve().parent.parent / "corpus" / "000_272e18b5ed2af28f.txt"

ARTICLE = "# 工会送温暖\n\n全国总工会启动送温暖行动。慰问组将深入基层一线。\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_text_files_in_common_chinese_encodings_read_the_same(tmp_path, encoding):
    f = write(tmp_path / "a.txt", ARTICLE, encoding)
    [doc] = read_file(f)
    assert doc.title == "工会送温暖"
    assert doc.text == "全国总工会启动送温暖行动。慰问组将深入基层一线。"


def test_short_gbk_text_is_not_misread(tmp_path):
    # charset-normalizer alone guesses wrong on a few Chinese characters.
    f = write(tmp_path / "short.txt", "中文标题", "gbk")
    assert read_file(f)[0].text == "中文标题"


def test_binary_file_in_corpus_is_skipped_and_named(tmp_path, caplog):
    write(tmp_path / "good.txt", ARTICLE)
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    with caplog.at_level(logging.WARNING, logger="qa.ingest"):
        result = load_documents(tmp_path)
    assert [d.doc_id for d in result.documents] == ["good#1"]
    [skipped] = result.skipped
    assert skipped.path == str(tmp_path / "image.txt")
    assert skipped.reason.startswith("cannot decode")
    assert "image.txt" in caplog.text
    assert str(tmp_path / "image.txt") not in result.sources


def test_read_file_on_binary_raises_naming_the_file(tmp_path):
    f = tmp_path / "blob.txt"
    f.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"blob\.txt.*cannot decode"):
        read_file(f)


def test_text_full_of_control_characters_is_not_mangled_into_documents(tmp_path):
    f = tmp_path / "ctrl.txt"
    f.write_bytes(b"\x01\x02\x03\x04abc\x05\x06\x07\x08")
    with pytest.raises(InputError, match="cannot decode"):
        read_file(f)


# ---------------------------------------------------------------- page breaks


@pytest.mark.parametrize(
    "paragraphs, expected",
    [
        # Body text cut mid-word by a page break is joined with no separator.
        (["聚焦困难职工。其中包括因非个人意愿下岗", "失业、收入偏低的职工。"], ["聚焦困难职工。其中包括因非个人意愿下岗失业、收入偏低的职工。"]),
        # A long line is body text even before its first full stop.
        (["本报讯(记者白莹)记者近日从全国总工会获悉,自即日起至2025年2月12日全国总工会", "将组成慰问组。"], ["本报讯(记者白莹)记者近日从全国总工会获悉,自即日起至2025年2月12日全国总工会将组成慰问组。"]),
        # A short title-like line without a word across the break stays apart.
        (["职工群体包括下岗", "失业人员。"], ["职工群体包括下岗", "失业人员。"]),
        (["那段峥嵘岁月。”退", "役军人高佳说。"], ["那段峥嵘岁月。”退役军人高佳说。"]),
        # A clause comma at the end: the sentence visibly goes on.
        (["在驻班点慰问现场，", "该公司工会慰问组一行察看了条件。"], ["在驻班点慰问现场，该公司工会慰问组一行察看了条件。"]),
        # A short title-like line is joined only when a word runs across the break.
        (["职工们纷纷表", "示很有收获。"], ["职工们纷纷表示很有收获。"]),
        # Finished sentences, subtitles, credits, headings and list items stay apart.
        (["第一句话结束了。", "第二段开始。"], ["第一句话结束了。", "第二段开始。"]),
        (["他说：", "“我们会继续努力。”"], ["他说：", "“我们会继续努力。”"]),
        (["慰问组将赴31个省(区、市)送温暖", "本报讯(记者白莹)记者近日获悉。"], ["慰问组将赴31个省(区、市)送温暖", "本报讯(记者白莹)记者近日获悉。"]),
        (["正文结束了。", "本报实习记者 王辰阳 摄"], ["正文结束了。", "本报实习记者 王辰阳 摄"]),
        (["正文说到一半。然后没有", "## 新标题"], ["正文说到一半。然后没有", "## 新标题"]),
        (["要求如下。包括以下几点", "一、加强领导。"], ["要求如下。包括以下几点", "一、加强领导。"]),
        # Latin words keep the space that the line break stood for.
        (["This paragraph is long enough to be body text and it goes", "on after the break."], ["This paragraph is long enough to be body text and it goes on after the break."]),
        ([], []),
    ],
)
def test_repair_page_breaks(paragraphs, expected):
    assert repair_page_breaks(paragraphs) == expected


def test_seed_article_page_breaks_repaired_and_subtitles_kept():
    result = load_documents(SEED)
    texts = "\n".join(d.text for d in result.documents)
    for joined in ["下岗失业", "一线职工和艰苦岗位职工", "困难为目标", "退役军人高佳说", "查控、送达", "慰问现场,该公司工会", "此次慰问活动,展现", "将持续开展好"]:
        assert joined in texts, joined
    paragraphs = texts.split("\n")
    for standalone in ["慰问组将赴31个省(区、市)和新疆生产建设兵团送温暖", "社会服务涵盖心理服务、法律培训、技能提升等", "本报实习记者 王辰阳 摄"]:
        assert standalone in paragraphs, standalone
    assert result.documents[4].text.endswith("\n本报实习记者 王辰阳 摄")


def test_seed_articles_titles_and_ids():
    docs = load_documents(SEED.parent).documents
    # The page heading directly followed by an article heading yields no document.
    assert [d.doc_id for d in docs] == [f"000_272e18b5ed2af28f#{i}" for i in range(1, 7)]
    assert docs[0].title == "全国总工会2025年元旦春节期间“工会送温暖行动”启动"
    assert docs[-1].title == "八里庄街道总工会“暖心饺子”送给快递员"
    assert all(d.source.endswith("000_272e18b5ed2af28f.txt") for d in docs)


# ---------------------------------------------------------------- articles and ids


def test_headlines_start_articles_and_text_before_them_is_titled_by_the_stem(tmp_path):
    f = write(
        tmp_path / "news.md",
        "导语在标题之前。\n# 报纸第三版\n\n## 全市第一届职工篮球赛在体育中心开幕\n第一篇的正文。\n第二段。\n\n"
        "## 社区图书馆延长开放时间方便上班族 ##\n第二篇的正文。\n#话题# 不是标题。\n",
    )
    docs = read_file(f)
    assert [(d.doc_id, d.title) for d in docs] == [
        ("news#1", "news"), ("news#2", "全市第一届职工篮球赛在体育中心开幕"), ("news#3", "社区图书馆延长开放时间方便上班族")]
    assert docs[1].text == "第一篇的正文。\n第二段。"
    assert docs[2].text == "第二篇的正文。\n#话题# 不是标题。"
    assert docs[0].source == str(f)


@pytest.mark.parametrize("sections", [("政策背景", "补助标准", "申请程序"), ("第一章 总则", "第二章 补助标准", "第三章 附则"),
                                      ("一、慰问时间和范围", "二、慰问标准", "三、工作要求")])
def test_a_title_over_short_or_numbered_sections_is_one_article_that_keeps_its_section_headings(tmp_path, sections):
    body = "".join(f"## {h}\n{h}这一部分的正文说明了具体的规定和要求。\n\n" for h in sections)
    docs = read_file(write(tmp_path / "policy.md", f"# 关于既有住宅加装电梯的补助办法\n\n{body}"))
    assert [(d.doc_id, d.title) for d in docs] == [("policy#1", "关于既有住宅加装电梯的补助办法")]
    assert docs[0].text.split("\n")[::2] == list(sections)


def test_a_plain_text_file_is_titled_by_its_first_line_when_it_reads_as_a_title(tmp_path):
    notice = "云岭茶业关于2025年春节放假安排的通知\n公司各部门：\n根据国务院办公厅通知，现将春节放假安排通知如下。\n"
    docs = read_file(write(tmp_path / "notice.txt", notice))
    assert docs[0].title == "云岭茶业关于2025年春节放假安排的通知"
    assert docs[0].text.startswith("公司各部门：")
    prose = "春节期间，公司各部门放假八天。\n值班人员每天领取餐费补贴。\n"
    assert read_file(write(tmp_path / "prose.txt", prose))[0].title == "prose"


def test_the_bundled_page_keeps_one_article_per_headline():
    docs = read_file(CORPUS_PAGE)
    assert len(docs) == 6 and all(len(d.title) > 12 for d in docs)
    assert docs[0].title == "全国总工会2025年元旦春节期间“工会送温暖行动”启动"


def test_ids_are_stable_across_loads(tmp_path):
    write(tmp_path / "a.txt", ARTICLE + "# 第二篇\n另一篇文章。\n")
    write(tmp_path / "sub" / "b.md", ARTICLE)
    first, second = load_documents(tmp_path), load_documents(tmp_path)
    assert [d.doc_id for d in first.documents] == ["a#1", "a#2", "b#1"]
    assert first.documents == second.documents
    assert first.sources == second.sources


def test_sources_hold_sha256_of_file_bytes(tmp_path):
    f = write(tmp_path / "a.txt", ARTICLE, "gbk")
    assert load_documents(tmp_path).sources == {str(f): hashlib.sha256(f.read_bytes()).hexdigest()}


def test_display_name_names_the_documents(tmp_path):
    f = write(tmp_path / "tmp123.upload", ARTICLE)
    [doc] = read_file(f, display_name="报道.txt")
    assert (doc.doc_id, doc.source) == ("报道#1", "报道.txt")


# ---------------------------------------------------------------- jsonl


def test_jsonl_records_keep_their_ids_and_text(tmp_path):
    lines = [
        json.dumps({"id": "cmrc-1", "title": "标题", "text": "第一段\n第二段"}, ensure_ascii=False),
        "",
        json.dumps({"id": 42, "text": "没有标题的文章"}, ensure_ascii=False),
    ]
    docs = read_file(write(tmp_path / "d.jsonl", "\n".join(lines) + "\n"))
    assert [(d.doc_id, d.title, d.text) for d in docs] == [("cmrc-1", "标题", "第一段\n第二段"), ("42", "42", "没有标题的文章")]


def test_jsonl_text_may_hold_unicode_line_separators(tmp_path):
    record = {"id": "a", "text": "第一句\u2028第二句"}
    [doc] = read_file(write(tmp_path / "d.jsonl", json.dumps(record, ensure_ascii=False) + "\r\n"))
    assert doc.text == "第一句\u2028第二句"


@pytest.mark.parametrize(
    "line, complaint",
    [
        ('{"id": "a", "text": ', "not valid JSON"),
        ('["a", "text"]', "expected a JSON object"),
        ('{"id": "a", "title": "t"}', '"text"'),
        ('{"id": "a", "text": "  "}', '"text"'),
        ('{"title": "t", "text": "正文"}', '"id"'),
        ('{"id": "", "text": "正文"}', '"id"'),
        ('{"id": "a", "title": 3, "text": "正文"}', '"title"'),
    ],
)
def test_malformed_jsonl_line_fails_with_file_and_line(tmp_path, line, complaint):
    f = write(tmp_path / "d.jsonl", '{"id": "ok", "text": "好的"}\n\n' + line + "\n")
    with pytest.raises(InputError) as e:
        load_documents(tmp_path)
    assert f"{f}:3:" in str(e.value)
    assert complaint in str(e.value)


def test_duplicate_ids_name_both_places(tmp_path):
    write(tmp_path / "a.jsonl", '{"id": "x", "text": "一"}\n{"id": "y", "text": "二"}\n')
    write(tmp_path / "b.jsonl", '{"id": "z", "text": "三"}\n{"id": "x", "text": "四"}\n')
    with pytest.raises(InputError, match="duplicate document id 'x'") as e:
        load_documents(tmp_path)
    assert f"{tmp_path / 'a.jsonl'}:1" in str(e.value) and f"{tmp_path / 'b.jsonl'}:2" in str(e.value)


def test_duplicate_ids_within_one_file(tmp_path):
    f = write(tmp_path / "a.jsonl", '{"id": 1, "text": "一"}\n{"id": "1", "text": "二"}\n')
    with pytest.raises(InputError, match=r"a\.jsonl:1 and .*a\.jsonl:2"):
        read_file(f)


def test_same_file_stem_in_two_folders_is_a_duplicate(tmp_path):
    write(tmp_path / "2023" / "index.md", ARTICLE)
    write(tmp_path / "2024" / "index.md", ARTICLE)
    with pytest.raises(InputError, match="index#1.*2023.*2024"):
        load_documents(tmp_path)


# ---------------------------------------------------------------- what gets read


def test_empty_corpus_is_an_error(tmp_path):
    with pytest.raises(InputError, match="no documents found in .*add .txt, .md or .jsonl"):
        load_documents(tmp_path)


def test_corpus_of_unsupported_files_says_what_was_skipped(tmp_path):
    write(tmp_path / "notes.csv", "a,b\n")
    with pytest.raises(InputError, match="notes.csv: unsupported type"):
        load_documents(tmp_path)


def test_missing_path_is_named(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(InputError, match=f"{missing} does not exist"):
        load_documents([tmp_path, missing])


def test_unsupported_skipped_hidden_ignored(tmp_path):
    write(tmp_path / "a.txt", ARTICLE)
    write(tmp_path / "table.csv", "a,b\n")
    write(tmp_path / ".hidden.txt", ARTICLE)
    write(tmp_path / ".git" / "x.txt", ARTICLE)
    result = load_documents(tmp_path, progress=True)
    assert [d.doc_id for d in result.documents] == ["a#1"]
    assert result.skipped == [Skipped(str(tmp_path / "table.csv"), "unsupported type")]


def test_list_of_paths_reads_each_file_once(tmp_path):
    a = write(tmp_path / "a.txt", ARTICLE)
    b = write(tmp_path / "other" / "b.txt", ARTICLE)
    result = load_documents([tmp_path, a, str(b)])
    assert [d.doc_id for d in result.documents] == ["a#1", "b#1"]


def test_supported_types():
    assert SUPPORTED == (".txt", ".md", ".jsonl", ".html", ".htm", ".docx", ".pdf")


# ---------------------------------------------------------------- html, docx, pdf


def test_html_title_and_paragraphs(tmp_path):
    html = """<html><head><title>新闻标题</title><style>p {color: red}</style></head>
    <body><script>var x = "不要";</script><h1>新闻标题</h1>
    <p>第一段<b>加粗</b>的
    文字。</p><div>第二段。<br>换行后。</div><ul><li>列表项</li></ul></body></html>"""
    [doc] = read_file(write(tmp_path / "page.html", html, "gb18030"))
    assert (doc.doc_id, doc.title) == ("page#1", "新闻标题")
    assert doc.text.split("\n") == ["第一段加粗的 文字。", "第二段。", "换行后。", "列表项"]


def test_html_title_falls_back_to_h1(tmp_path):
    [doc] = read_file(write(tmp_path / "p.htm", "<h1>大标题</h1><p>正文。</p>"))
    assert (doc.title, doc.text) == ("大标题", "正文。")


def test_docx_headings_start_articles(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("导语。")
    d.add_heading("第一篇", level=1)
    d.add_paragraph("第一篇正文。")
    d.add_heading("背景", level=2)
    d.add_paragraph("背景正文。")
    d.add_heading("第二篇", level=1)
    d.add_paragraph("第二篇正文。")
    d.add_paragraph("第二段。")
    d.save(tmp_path / "w.docx")
    docs = read_file(tmp_path / "w.docx")
    assert [(x.doc_id, x.title, x.text) for x in docs] == [
        ("w#1", "w", "导语。"),
        ("w#2", "第一篇", "第一篇正文。\n背景\n背景正文。"),  # a short sub-heading is a section of its article
        ("w#3", "第二篇", "第二篇正文。\n第二段。"),
    ]


def make_pdf(lines: list[bytes], to_unicode: dict[str, str] | None = None) -> bytes:
    """A one-page PDF showing `lines`; `to_unicode` maps byte -> character (how a PDF carries CJK text)."""
    content = b"BT /F1 12 Tf 72 720 Td 14 TL " + b" ".join(b"(" + ln + b") '" for ln in lines) + b" ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica" + (b" /ToUnicode 6 0 R" if to_unicode else b"") + b" >>",
    ]
    if to_unicode:
        pairs = "\n".join(f"<{ord(k):02X}> <{ord(v):04X}>" for k, v in to_unicode.items())
        cmap = (
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def "
            f"1 begincodespacerange <00> <FF> endcodespacerange\n{len(to_unicode)} beginbfchar\n{pairs}\nendbfchar "
            "endcmap CMapName currentdict /CMap defineresource pop end end"
        ).encode()
        objs.append(b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_pdf_ascii_text(tmp_path):
    (tmp_path / "r.pdf").write_bytes(make_pdf([b"# Annual report", b"Revenue grew by ten percent.", b"Costs fell."]))
    [doc] = read_file(tmp_path / "r.pdf")
    assert (doc.doc_id, doc.title, doc.text) == ("r#1", "Annual report", "Revenue grew by ten percent.\nCosts fell.")


def test_pdf_chinese_lines_are_repaired_across_page_breaks(tmp_path):
    chars = dict(zip("ABCDEFGHI", "退役军人说。岁月”"))
    (tmp_path / "c.pdf").write_bytes(make_pdf([b"GHFIA", b"BCDEF"], chars))
    [doc] = read_file(tmp_path / "c.pdf")
    assert doc.text == "岁月。”退役军人说。"


def test_broken_docx_and_pdf_are_skipped_by_name(tmp_path):
    write(tmp_path / "a.txt", ARTICLE)
    (tmp_path / "bad.docx").write_bytes(b"PK not really a zip")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 truncated")
    result = load_documents(tmp_path)
    assert [s.path for s in result.skipped] == [str(tmp_path / "bad.docx"), str(tmp_path / "bad.pdf")]
    assert all(s.reason.startswith("cannot read as") for s in result.skipped)
    with pytest.raises(InputError, match=r"bad\.docx: cannot read as docx"):
        read_file(tmp_path / "bad.docx")
