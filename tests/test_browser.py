"""A person at the page: headless Chromium asks the example question and an article's markup stays text.

Screenshots go to tests/artifacts/ (gitignored); the chat one also to docs/screenshot.png for the README
when that is missing or QA_UPDATE_SCREENSHOT=1. Prints the time from pressing enter to the reply.
"""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from qa import web

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "tests" / "artifacts"
README_SCREENSHOT = ROOT / "docs" / "screenshot.png"  # refreshed with QA_UPDATE_SCREENSHOT=1
QUESTION = web.EXAMPLES[0]
MARKUP_ARTICLE = (
    '# 企鹅合唱团在哈尔滨演出<img src=y onerror="window.__pwned=3">\n\n'
    "企鹅合唱团于2025年1月在哈尔滨冰雪大世界演出。<script>window.__pwned=1</script>"
    '<img src=x onerror="window.__pwned=2">\n'
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*"),  # gradio's queue vs pandas 3
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (apt-get install chromium chromium-driver)"),
]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page over a fresh index of the bundled corpus: (url, assistant)."""
    from qa import Assistant

    assistant = Assistant.build(ROOT / "corpus", tmp_path_factory.mktemp("browser") / "index", model=None)
    demo = web.create_app(assistant)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, url, _ = web.launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    yield url, assistant
    demo.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1000", f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def open_page(driver, url: str) -> None:
    """Load the page and wait until it is ready for a person: the question box there, fonts loaded."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, "#qa-question textarea").is_displayed())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.fonts.status") == "loaded")
    time.sleep(1)  # a person reads the page before typing; a freshly started browser is still busy meanwhile


def ask(driver, question: str) -> tuple[object, float]:
    """Type a question, press enter; return the new reply element and the seconds it took to appear."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    replies = len(driver.find_elements(By.CSS_SELECTOR, "#qa-chat .qa-reply"))
    box = WebDriverWait(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, "#qa-question textarea"))
    box.clear()
    box.send_keys(question)
    start = time.perf_counter()
    box.send_keys(Keys.ENTER)
    WebDriverWait(driver, 30, poll_frequency=0.02).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#qa-chat .qa-reply")) > replies
    )
    elapsed = time.perf_counter() - start
    return driver.find_elements(By.CSS_SELECTOR, "#qa-chat .qa-reply")[-1], elapsed


def show_latest_exchange(driver) -> None:
    """Scroll the chat so the latest question and its reply are in view, with the page header."""
    time.sleep(0.5)  # let the reply finish painting (and the chat's own autoscroll) first
    driver.execute_script(
        "const rows = document.querySelectorAll('#qa-chat .user-row');"
        "const row = rows[rows.length - 1], log = row && row.closest('[role=log]');"
        "if (log) log.scrollTop += row.getBoundingClientRect().top - log.getBoundingClientRect().top - 40;"
        "window.scrollTo(0, 0);"
    )
    time.sleep(0.2)


def test_example_question_shows_marked_answer_and_source(page, browser):
    from selenium.webdriver.common.by import By

    url, assistant = page
    expected = assistant.ask(QUESTION)
    open_page(browser, url)
    reply, elapsed = ask(browser, QUESTION)
    show_latest_exchange(browser)
    browser.save_screenshot(str(ARTIFACTS / "chat.png"))

    answer = reply.find_element(By.CSS_SELECTOR, ".qa-answer")
    assert answer.is_displayed() and expected.answer[:20] in answer.text
    marks = answer.find_elements(By.TAG_NAME, "mark")
    assert marks and marks[0].is_displayed() and marks[0].text == expected.span_text
    first_source = reply.find_element(By.CSS_SELECTOR, ".qa-source-title")
    assert first_source.is_displayed() and "送温暖" in first_source.text
    if os.environ.get("QA_UPDATE_SCREENSHOT") or not README_SCREENSHOT.exists():
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        browser.save_screenshot(str(README_SCREENSHOT))

    others = [ask(browser, q)[1] for q in web.EXAMPLES[1:]]
    timings = f"enter -> reply: {elapsed:.2f} s for {QUESTION}; then {', '.join(f'{t:.2f}' for t in others)} s for the other examples"
    print("\n" + timings)
    (ARTIFACTS / "enter_to_reply.txt").write_text(timings + "\n")
    assert max(elapsed, *others) < 10


def test_article_markup_is_shown_as_text_and_never_runs(page, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, assistant = page
    article = tmp_path / "markup.txt"
    article.write_text(MARKUP_ARTICLE, encoding="utf-8")
    open_page(browser, url)

    # Add the article the way a person does: the knowledge-base tab's upload and button.
    browser.find_element(By.XPATH, "//button[@role='tab'][contains(., '知识库')]").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "qa-add").is_displayed())
    browser.find_element(By.CSS_SELECTOR, "#qa-upload input[type=file]").send_keys(str(article))
    WebDriverWait(browser, 20).until(lambda d: "markup" in d.find_element(By.ID, "qa-upload").text)  # name, size shown
    browser.find_element(By.ID, "qa-add").click()
    status = WebDriverWait(browser, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, "#qa-kb-status .qa-status-ok"))
    assert "markup#1" in status.text
    WebDriverWait(browser, 10).until(lambda d: "企鹅合唱团在哈尔滨演出<img src=y" in d.find_element(By.ID, "qa-documents").text)
    browser.save_screenshot(str(ARTIFACTS / "knowledge_base.png"))
    assert browser.execute_script("return window.__pwned") is None

    browser.find_element(By.XPATH, "//button[@role='tab'][contains(., '问答')]").click()
    reply, _ = ask(browser, "企鹅合唱团在哪里演出")
    show_latest_exchange(browser)
    browser.save_screenshot(str(ARTIFACTS / "markup.png"))
    text = reply.text
    assert "企鹅合唱团" in text
    assert "<script>window.__pwned=1</script>" in text and 'onerror="window.__pwned=2"' in text, text
    assert browser.execute_script("return window.__pwned") is None
    assert not browser.find_elements(By.CSS_SELECTOR, "#qa-chat script, img[src='x'], img[src='y']")
    assistant.delete("markup#1")
