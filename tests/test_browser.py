"""A person at the page, in a real headless Chromium: desktop (1280x800) and phone (390x844).

Covers a question, a follow-up resolved from it (理解为), a refusal with 可能相关 passages, the
knowledge base's add / confirm-delete flow with the counts refreshed, article markup shown as text,
and the layouts (question box and examples above the fold, the answer's first line in view after a
reply). The README's screenshots (docs/screenshot.png, docs/screenshot-phone.png) are written by
this test on every run; other screenshots go to tests/artifacts/ (gitignored).
"""
from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from qa import web

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "tests" / "artifacts"
DOCS = ROOT / "docs"
QUESTION = web.EXAMPLES[0]  # 何时启动送温暖行动
FOLLOW_UP = "它开展了多少年？"
REFUSED = "巴黎明天的天气怎么样"
MARKUP_ARTICLE = (
    '# 企鹅合唱团在哈尔滨演出<img src=y onerror="window.__pwned=3">\n\n'
    "企鹅合唱团于2025年1月在哈尔滨冰雪大世界演出。<script>window.__pwned=1</script>"
    '<img src=x onerror="window.__pwned=2">\n'
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*"),  # gradio's queue vs pandas 3
]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page over a fresh index of the bundled corpus: (url, assistant)."""
    from qa import Assistant

    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), "needs Debian's chromium and chromium-driver: run `bash scripts/test`"
    assistant = Assistant.build(ROOT / "corpus", tmp_path_factory.mktemp("browser") / "index", model=None)
    demo = web.create_app(assistant)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, url, _ = web.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield url, assistant
    demo.close()


def chromium(tmp_path_factory, width: int, height: int):
    """Headless Chromium with a `width` x `height` viewport (a phone's as mobile emulation)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars", "--lang=zh-CN", f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}"):
        options.add_argument(flag)
    phone = width < 600
    if phone:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    if not phone:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    driver.set_page_load_timeout(60)
    return driver


@pytest.fixture(scope="module")
def desktop(tmp_path_factory):
    driver = chromium(tmp_path_factory, 1280, 800)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    driver = chromium(tmp_path_factory, 390, 844)
    yield driver
    driver.quit()


# -- what a person does ------------------------------------------------------------------------
def open_page(driver, url: str) -> None:
    """Load the page and wait until it is ready for a person: the question box there, fonts loaded."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, "#qa-question textarea").is_displayed())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.fonts.status") == "loaded")
    time.sleep(1)  # a person reads the page before typing; a freshly started browser is still busy meanwhile


def replies(driver) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#qa-chat .qa-reply")


def wait_reply(driver, before: int, start: float):
    """The new reply once it is there and the page has settled; and the seconds it took."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30, poll_frequency=0.02).until(lambda d: len(replies(d)) > before)
    elapsed = time.perf_counter() - start
    # The events after the reply (the scroll to the new question) end before the page is read:
    # gradio redraws the chat until then, which would leave elements found earlier stale.
    WebDriverWait(driver, 30).until(lambda d: not d.execute_script(
        "return document.querySelector('#qa-chat .generating, #qa-chat .pending, .wrap.default:not(.hide)')"))
    time.sleep(0.6)
    return replies(driver)[-1], elapsed


def ask(driver, question: str):
    """Type a question, press enter; return the new reply element and the seconds it took to appear."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    before = len(replies(driver))
    box = driver.find_element(By.CSS_SELECTOR, "#qa-question textarea")
    box.clear()
    box.send_keys(question)
    start = time.perf_counter()
    box.send_keys(Keys.ENTER)
    return wait_reply(driver, before, start)


def click_example(driver, question: str):
    from selenium.webdriver.common.by import By

    before = len(replies(driver))
    button = next(b for b in driver.find_elements(By.CSS_SELECTOR, "#qa-examples button") if b.text == question)
    start = time.perf_counter()
    button.click()
    return wait_reply(driver, before, start)


def in_view(driver, element) -> bool:
    """Whether the element's top line is inside the window (not scrolled away, not below the fold)."""
    top, bottom = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.top, r.top + 24];", element)
    return 0 <= top and bottom <= driver.execute_script("return window.innerHeight")


def above_the_fold(driver, css: str) -> bool:
    """Whether the element is wholly visible on the first screen, without scrolling."""
    return driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;", css)


def screenshot(driver, path: Path) -> None:
    """A screenshot without the blinking text cursor, so the same page gives the same file."""
    driver.execute_script("document.activeElement && document.activeElement.blur();")
    time.sleep(0.2)
    driver.save_screenshot(str(path))


def tab(driver, name: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, f"//button[@role='tab'][contains(., '{name}')]").click()
    time.sleep(0.5)


def header(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, "#qa-header .qa-counts").text


# -- the tests ---------------------------------------------------------------------------------
def test_desktop_question_follow_up_and_refusal(page, desktop):
    from selenium.webdriver.common.by import By

    url, assistant = page
    expected = assistant.ask(QUESTION)
    open_page(desktop, url)
    assert desktop.title == "文章问答"
    assert above_the_fold(desktop, "#qa-question") and above_the_fold(desktop, "#qa-examples")
    assert "6 篇文章" in header(desktop)
    assert "Drop File Here" not in desktop.page_source  # gradio's English upload text is replaced

    reply, elapsed = click_example(desktop, QUESTION)
    short = reply.find_element(By.CSS_SELECTOR, ".qa-short")
    assert short.text == expected.short_answer == "自即日起至2025年2月12日" and in_view(desktop, short)
    assert reply.find_element(By.CSS_SELECTOR, ".qa-answer mark").text == expected.short_answer
    first_source = reply.find_element(By.CSS_SELECTOR, ".qa-source-title")
    assert "送温暖" in first_source.text and "第" in first_source.text
    details = reply.find_element(By.CSS_SELECTOR, ".qa-details")
    assert "置信度" not in details.text  # folded until asked for
    details.find_element(By.TAG_NAME, "summary").click()
    assert "置信度" in details.text

    follow, follow_s = ask(desktop, FOLLOW_UP)
    understood = follow.find_element(By.CSS_SELECTOR, ".qa-understood")
    assert understood.text.startswith("理解为：送温暖行动开展了多少年？")
    assert follow.find_element(By.CSS_SELECTOR, ".qa-short").text == "30余年"
    assert in_view(desktop, understood) and in_view(desktop, follow.find_element(By.CSS_SELECTOR, ".qa-short"))
    assert above_the_fold(desktop, "#qa-question")  # the box stays at hand after a reply
    screenshot(desktop, DOCS / "screenshot.png")
    understood.click()  # to correct the reading: it goes back into the question box
    assert desktop.find_element(By.CSS_SELECTOR, "#qa-question textarea").get_attribute("value") == "送温暖行动开展了多少年？"

    refused, refused_s = ask(desktop, REFUSED)
    assert "没有找到" in refused.find_element(By.CSS_SELECTOR, ".qa-short").text
    assert "可能相关" in refused.text and refused.find_elements(By.CSS_SELECTOR, ".qa-source")
    assert in_view(desktop, refused.find_element(By.CSS_SELECTOR, ".qa-short"))
    desktop.save_screenshot(str(ARTIFACTS / "refusal.png"))

    timings = f"enter -> reply: {elapsed:.2f} s (example), {follow_s:.2f} s (follow-up), {refused_s:.2f} s (refusal)"
    print("\n" + timings)
    (ARTIFACTS / "enter_to_reply.txt").write_text(timings + "\n")
    assert max(elapsed, follow_s, refused_s) < 10

    desktop.find_element(By.ID, "qa-clear").click()  # 新对话: the next question starts afresh
    time.sleep(0.5)
    assert len(replies(desktop)) == 0
    fresh, _ = ask(desktop, FOLLOW_UP)
    assert not fresh.find_elements(By.CSS_SELECTOR, ".qa-understood")


def test_phone_layout_keeps_the_box_and_the_answer_in_view(page, phone):
    from selenium.webdriver.common.by import By

    url, assistant = page
    open_page(phone, url)
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    assert above_the_fold(phone, "#qa-question") and above_the_fold(phone, "#qa-examples")
    ask(phone, QUESTION)
    follow, _ = ask(phone, FOLLOW_UP)
    assert in_view(phone, follow.find_element(By.CSS_SELECTOR, ".qa-understood"))
    assert in_view(phone, follow.find_element(By.CSS_SELECTOR, ".qa-short"))
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 390
    screenshot(phone, DOCS / "screenshot-phone.png")


def test_knowledge_base_adds_and_deletes_after_confirming_with_counts_refreshed(page, desktop, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    url, assistant = page
    article = tmp_path / "企鹅.txt"
    article.write_text(MARKUP_ARTICLE, encoding="utf-8")
    open_page(desktop, url)
    tab(desktop, "知识库")
    rows = lambda d: d.find_element(By.ID, "qa-documents").text  # noqa: E731
    assert "6 篇文章" in header(desktop) and "000_272e18b5ed2af28f.txt" in rows(desktop)

    # Add the article the way a person does: the upload box, then the button.
    desktop.find_element(By.CSS_SELECTOR, "#qa-upload input[type=file]").send_keys(str(article))
    WebDriverWait(desktop, 20).until(lambda d: "企鹅" in d.find_element(By.ID, "qa-upload").text)
    desktop.find_element(By.ID, "qa-add").click()
    status = WebDriverWait(desktop, 60).until(lambda d: d.find_element(By.CSS_SELECTOR, "#qa-kb-status .qa-status-ok"))
    doc_id = next(d.doc_id for d in assistant.documents() if d.source.endswith("企鹅.txt"))
    assert doc_id in status.text
    WebDriverWait(desktop, 10).until(lambda d: "7 篇文章" in header(d))
    WebDriverWait(desktop, 10).until(lambda d: "企鹅合唱团在哈尔滨演出<img src=y" in rows(d) and "企鹅.txt" in rows(d))
    assert browser_safe(desktop)

    # Delete it: pick it by typing part of its name, 删除… asks first; 取消 keeps it.
    pick = desktop.find_element(By.CSS_SELECTOR, "#qa-delete-pick input")
    pick.click()
    pick.send_keys("企鹅")
    # Read the options in one script: the list is redrawn as it filters, so elements found one by one go stale.
    visible = "return [...document.querySelectorAll('li.item')].filter(e => e.offsetParent).map(e => e.textContent)"
    WebDriverWait(desktop, 10).until(lambda d: len(d.execute_script(visible)) == 1)
    options = desktop.execute_script(visible)
    assert len(options) == 1 and "企鹅" in options[0]  # the list is filtered by what was typed
    pick.send_keys(Keys.ENTER)
    desktop.find_element(By.ID, "qa-delete").click()
    confirm = WebDriverWait(desktop, 10).until(lambda d: shown(d, "qa-confirm"))
    assert "企鹅合唱团" in confirm.text and "确定删除" in confirm.text
    desktop.save_screenshot(str(ARTIFACTS / "knowledge_base_confirm.png"))
    desktop.find_element(By.ID, "qa-delete-no").click()
    WebDriverWait(desktop, 10).until(lambda d: not shown(d, "qa-confirm"))
    assert doc_id in [d.doc_id for d in assistant.documents()]

    # Markup in the article is shown as text in the chat, and never runs.
    tab(desktop, "问答")
    reply, _ = ask(desktop, "企鹅合唱团在哪里演出")
    assert "<script>window.__pwned=1</script>" in reply.text or 'onerror="window.__pwned=2"' in reply.text, reply.text
    assert browser_safe(desktop)
    tab(desktop, "知识库")

    desktop.find_element(By.ID, "qa-delete").click()
    WebDriverWait(desktop, 10).until(lambda d: shown(d, "qa-confirm"))
    desktop.find_element(By.ID, "qa-delete-yes").click()
    WebDriverWait(desktop, 30).until(lambda d: "已删除" in d.find_element(By.ID, "qa-kb-status").text)
    WebDriverWait(desktop, 10).until(lambda d: "6 篇文章" in header(d) and "企鹅" not in rows(d))
    assert not shown(desktop, "qa-confirm")
    assert doc_id not in [d.doc_id for d in assistant.documents()]
    desktop.save_screenshot(str(ARTIFACTS / "knowledge_base.png"))


def shown(driver, element_id: str):
    """The element when it is on the page and visible (gradio leaves hidden ones out), else None."""
    from selenium.webdriver.common.by import By

    found = [e for e in driver.find_elements(By.ID, element_id) if e.is_displayed()]
    return found[0] if found else None


def browser_safe(driver) -> bool:
    """No script from an article ran, and no element of its markup was made."""
    from selenium.webdriver.common.by import By

    return driver.execute_script("return window.__pwned") is None and not driver.find_elements(
        By.CSS_SELECTOR, "#qa-chat script, img[src='x'], img[src='y']")
