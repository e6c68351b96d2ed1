"""`qa` command line: thin click wrappers over the Python API."""
from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import click

from .errors import QAError

def _setting(name: str):
    """A default read from Settings when the command runs (QA_<NAME>, else Settings' own), so the CLI
    and the Python API share one source of defaults."""
    def default():
        from .config import Settings

        return getattr(Settings.from_env(), name)

    return default


INDEX_OPTION = click.option("--index", "index_dir", default=_setting("index_dir"), show_default="QA_INDEX_DIR, else index",
                            type=click.Path(file_okay=False), help="Index directory.")
MODEL_OPTION = click.option("--model", default=None,
                            help="Encoder: 'use-multilingual' (bundled default) or any sentence-transformers model name or path.")
STORE_OPTION = click.option("--store", type=click.Choice(["local", "qdrant"]), default=None,
                            help="Store backend of the index (default: QA_STORE, else local). Qdrant: QA_QDRANT_URL for a server, none for the embedded engine.")


class _Group(click.Group):
    """Turns QAError into one line on stderr and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QAError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug details.")
@click.version_option(package_name="qa")
def main(verbose: bool) -> None:
    """Ask questions of Chinese articles; get a short answer with the passages it came from.

    \b
    qa index --corpus corpus/ --index index/     build an index
    qa ask "何时启动送温暖行动"                    answer, with sources
    qa eval ../shared/eval/cmrc2018_trial.json   measure quality and latency
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(message)s", stream=sys.stderr)
    for noisy in ("faiss", "jieba", "bm25s", "httpx", "sentence_transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@main.command()
@click.option("--corpus", default=_setting("corpus_dir"), show_default="QA_CORPUS_DIR, else corpus", type=click.Path(exists=True),
              help="A file or directory of .txt, .md, .jsonl (also .html, .docx, .pdf).")
@INDEX_OPTION
@MODEL_OPTION
@STORE_OPTION
@click.option("--reweight", is_flag=True, help="Qdrant store: re-weight every passage's BM25 vectors for the current average length (no rebuild).")
def index(corpus: str, index_dir: str, model: str | None, store: str | None, reweight: bool) -> None:
    """Build (or rebuild) an index from a corpus; the old index stays usable until the new one is complete."""
    from .assistant import Assistant
    from .config import Settings

    t = time.perf_counter()
    settings = Settings.from_env(store=store)
    if reweight:
        n = Assistant(index_dir, settings=settings).reweight()
        click.echo(f"re-weighted {n} passages in {time.perf_counter() - t:.1f} s -> {index_dir}")
        return
    a = Assistant.build(corpus, index_dir, model=model, settings=settings, progress=True)
    m = a.manifest
    click.echo(f"indexed {m.documents} documents, {m.passages} passages, {m.sentences} sentences "
               f"with {m.encoder} in {time.perf_counter() - t:.1f} s -> {index_dir}")


def _mark(text: str, span: tuple[int, int] | None, color: bool) -> str:
    if not span:
        return text
    s, e = span
    inner = click.style(text[s:e], fg="yellow", bold=True) if color else text[s:e]
    return f"{text[:s]}【{inner}】{text[e:]}"


def _shorten(text: str, span: tuple[int, int] | None, width: int = 120) -> str:
    """A window of the passage around its highlighted sentence."""
    if len(text) <= width:
        return text
    s = span[0] if span else 0
    start = max(0, min(s - 20, len(text) - width))
    return ("…" if start else "") + text[start : start + width] + ("…" if start + width < len(text) else "")


@main.command()
@click.argument("question")
@INDEX_OPTION
@MODEL_OPTION
@click.option("-k", default=None, type=click.IntRange(1, 100), help="How many passages to cite [default: Settings.top_k, QA_TOP_K].")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
def ask(question: str, index_dir: str, model: str | None, k: int | None, as_json: bool) -> None:
    """Answer QUESTION from the index: the short answer, the evidence (answer in 【】) and the sources."""
    from .assistant import Assistant

    answer = Assistant(index_dir, model=model).ask(question, k=k)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    color = sys.stdout.isatty()
    if answer.found:
        if answer.short_answer:
            click.echo(f"答案: {click.style(answer.short_answer, bold=True) if color else answer.short_answer}")
        click.echo(f"依据: {_mark(answer.answer, answer.span, color)}")
    else:
        click.echo(answer.answer)
    if answer.citations:
        click.echo("\n来源 (sources):" if answer.found else "\n可能相关 (closest passages):")
    title = None
    for c in answer.citations:
        if (c.doc_id, c.title) != title:  # passages of one article under one title
            title = (c.doc_id, c.title)
            click.echo(f"《{c.title}》 ({c.doc_id})")
        here = "  <- 答案出处 (answer source)" if c.highlight else ""
        click.echo(f"  [{c.rank}] 第{c.position + 1}段 (score {c.score:.3f}){here}")
        click.echo(f"      {_shorten(c.text, c.highlight)}".replace("\n", " "))


@main.command(name="eval")
@click.argument("dataset", type=click.Path(exists=True))
@MODEL_OPTION
@STORE_OPTION
@click.option("-k", default=_setting("top_k"), show_default="QA_TOP_K, else 5", type=click.IntRange(1, 100),
              help="Passages retrieved per question.")
@click.option("--compare", is_flag=True, help="Also compare each retriever alone, plain RRF and the hybrid.")
@click.option("--rebuild", is_flag=True, help="Rebuild the cached evaluation index.")
@click.option("--limit", type=int, default=None, help="Only the first N questions.")
@click.option("--misses", type=int, default=0, help="Print N answers that missed.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def eval_(dataset: str, model: str | None, store: str | None, k: int, compare: bool, rebuild: bool, limit: int | None, misses: int, as_json: bool) -> None:
    """Measure retrieval (R@1, R@5, MRR), answer quality and latency on a SQuAD-style set such as CMRC 2018.

    The set's paragraphs become the corpus (indexed once, cached under ~/.cache/qa). A folder with
    docs/ and questions.jsonl (e.g. eval/realistic) is read as documents plus questions with short
    gold answers, and reported per split and kind. A conversations
    file (JSON lines with "turns", e.g. eval/followups/conversations.jsonl) measures follow-up questions
    instead: each later turn answered with the conversation, and alone.
    """
    from .config import Settings
    from .eval_followups import is_conversations
    from .eval_realistic import is_realistic
    from .evaluate import compare as compare_retrievers, eval_index, evaluate

    settings = Settings.from_env(model=model, store=store)
    if is_realistic(dataset):
        return _eval_realistic(Path(dataset), settings, k, rebuild, misses, as_json)
    if is_conversations(dataset):
        return _eval_followups(Path(dataset), settings, k, rebuild, misses, as_json)
    assistant, questions = eval_index(Path(dataset), settings, rebuild=rebuild)
    questions = questions[:limit] if limit else questions
    result = evaluate(assistant, questions, k=k)
    rows = compare_retrievers(assistant, questions, k=k) if compare else []
    if as_json:
        out = result.to_dict()
        if rows:
            out["compare"] = {r.name: {"r1": r.r_at(1), "r5": r.r_at(5), "mrr": r.mrr} for r in rows}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo(f"questions          {result.questions}")
    click.echo(f"R@1 / R@5 / MRR    {result.r1:.3f} / {result.r5:.3f} / {result.mrr:.3f}")
    click.echo(f"answer hit         {result.answer_hit:.3f}  (a gold answer inside the returned answer)")
    click.echo(f"mean answer chars  {result.mean_answer_chars:.1f}")
    click.echo(f"found              {result.found_rate:.3f}")
    click.echo(f"first source gold  {result.first_source_gold:.3f}  (found, and source [1] is the gold paragraph)")
    click.echo(f"short answer       {result.short_rate:.3f} of answered; exact match {result.short_em:.3f} "
               f"(number questions {result.short_em_number:.3f}); holds gold, <= 2x its length {result.short_contains:.3f}")
    click.echo("exact match by kind  " + ", ".join(f"{kd} {em:.2f} (n={n})" for kd, (n, em) in result.em_by_kind.items()))
    click.echo(f"latency p50 / p95  {result.p50_ms:.1f} / {result.p95_ms:.1f} ms per question (query encoding included)")
    if rows:
        click.echo("\n| retriever | R@1 | R@5 | MRR |\n|---|---|---|---|")
        for r in rows:
            click.echo(f"| {r.name} | {r.r_at(1):.3f} | {r.r_at(5):.3f} | {r.mrr:.3f} |")
    for m in result.misses[:misses]:
        click.echo(f"\nQ: {m['question']}\n   gold: {m['gold']}  rank: {m['rank']}\n   got:  {m['answer']}\n   short: {m['short_answer']}")


def _eval_realistic(path: Path, settings, k: int, rebuild: bool, misses: int, as_json: bool) -> None:
    from .eval_realistic import evaluate_realistic, load_items, realistic_index

    items = load_items(path)
    result = evaluate_realistic(realistic_index(path, settings, rebuild), items, k=k)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo("| questions | answerable | unanswerable | answer hit | short EM | short correct | evidence = [1] "
               "| answerable refused | unanswerable refused |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in result.rows:
        click.echo(f"| {r.name} | {r.answerable} | {r.unanswerable} | {r.answer_hit:.3f} | {r.short_em:.3f} | {r.short_correct:.3f} "
                   f"| {r.evidence_first:.3f} | {r.refused_answerable:.3f} | {r.refused_unanswerable:.3f} |")
    wrong = [d for d in result.details if (d["gold"] and not d["correct"]) or (not d["gold"] and d["found"])]
    for d in wrong[:misses]:
        click.echo(f"\n{d['id']} [{d['split']} {d['kind']}] Q: {d['question']}  (confidence {d['confidence']})\n"
                   f"   gold: {d['gold']}\n   short: {d['short_answer']}\n   got:  {d['answer']}")


def _eval_followups(path: Path, settings, k: int, rebuild: bool, misses: int, as_json: bool) -> None:
    from .eval_followups import evaluate_followups, followup_index, load_conversations

    conversations = load_conversations(path)
    result = evaluate_followups(followup_index(path, conversations, settings, rebuild), conversations, k=k)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"conversations      {result.conversations} ({result.followups} follow-up turns)")
    click.echo(f"follow-ups right   {result.with_history:.3f} with the conversation, {result.alone:.3f} asked alone")
    click.echo(f"first turns right  {result.first_turns:.3f}")
    for m in [r for r in result.rows if not r["correct"]][:misses]:
        click.echo(f"\n{m['id']} Q: {m['question']}  (understood: {m['understood']})\n   gold: {m['gold']}\n   got:  {m['answer']}")


@main.command()
@click.argument("dataset", type=click.Path(exists=True, dir_okay=False))
@MODEL_OPTION
@click.option("--keep", default=0.98, show_default=True, type=click.FloatRange(0.5, 1.0),
              help="Share of answerable questions that must stay found.")
def calibrate(dataset: str, model: str | None, keep: float) -> None:
    """Choose the abstention threshold (Settings.min_confidence) on a SQuAD-style set.

    Positives: each question over the full set. Negatives: the same question with its own
    article removed from the results, so the index no longer holds the answer.
    """
    import numpy as np

    from .answer import calibrate_threshold
    from .config import Settings
    from .evaluate import calibration_confidences, eval_index

    settings = Settings.from_env(model=model)
    assistant, questions = eval_index(Path(dataset), settings)
    pos, neg = calibration_confidences(assistant, questions)
    click.echo("| keep target | threshold | answerable found | unanswerable rejected |\n|---|---|---|---|")
    for target in sorted({0.95, 0.97, 0.98, 0.99, keep}):
        t = calibrate_threshold(pos, neg, target)
        click.echo(f"| {target:.2f} | {t:.3f} | {np.mean(np.array(pos) >= t):.3f} | {np.mean(np.array(neg) < t):.3f} |")
    click.echo(f"\nthreshold for keep={keep:.2f}: {calibrate_threshold(pos, neg, keep):.3f} "
               f"(now {'fitted per index' if settings.min_confidence is None else settings.min_confidence}; "
               "set QA_MIN_CONFIDENCE to use one threshold for every index)")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@INDEX_OPTION
def add(paths: tuple[str, ...], index_dir: str) -> None:
    """Add documents to an index without re-embedding the rest (a document with the same id is replaced)."""
    from .assistant import Assistant

    ids = Assistant(index_dir).add(list(paths), progress=True)
    click.echo(f"added {len(ids)} document(s): {', '.join(ids)}")


@main.command()
@click.argument("doc_id")
@INDEX_OPTION
def delete(doc_id: str, index_dir: str) -> None:
    """Delete the document DOC_ID (see `qa list`) from the index."""
    from .assistant import Assistant

    n = Assistant(index_dir).delete(doc_id)
    click.echo(f"deleted {doc_id} ({n} passages)")


@main.command(name="list")
@INDEX_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print as JSON lines.")
def list_(index_dir: str, as_json: bool) -> None:
    """List the indexed documents and the index facts."""
    from dataclasses import asdict

    from .index import Index

    idx = Index.open(Path(index_dir))
    docs = idx.documents()
    if as_json:
        for d in docs:
            click.echo(json.dumps(asdict(d), ensure_ascii=False))
        return
    m = idx.manifest
    click.echo(f"{index_dir}: {m.documents} documents, {m.passages} passages, encoder {m.encoder}, built {m.built_at}")
    for d in docs:
        click.echo(f"{d.doc_id}\t{d.passages}\t{d.title}\t{d.source}")


@main.command()
@INDEX_OPTION
def check(index_dir: str) -> None:
    """Verify an index through: every file, count, id, span and vector; exit 2 on any problem."""
    from . import storage
    from .config import Settings
    from .index import Index

    index = Index.open(Path(index_dir), Settings.from_env())  # the quick checks: a damaged file fails here, one line
    problems = getattr(index.store, "verify", lambda m, full: [])(index.manifest, True)
    m = index.manifest
    target = storage.target_of(index_dir)
    leftovers = [p.name for p in target.parent.glob(f".{target.name}.*-*")]
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    if problems:
        sys.exit(2)
    try:
        m.check(m.encoder, Path(index_dir))
    except QAError as e:
        click.echo(f"problem: {e}", err=True)
        sys.exit(2)
    click.echo(f"ok: {index_dir} (version {storage.generation(target)}): {m.documents} documents, {m.passages} passages, "
               f"{m.sentences} sentences, encoder {m.encoder}, store {m.store}; every file consistent with manifest.json")
    if leftovers:
        click.echo(f"note: {len(leftovers)} leftover(s) of interrupted writes ({', '.join(leftovers)}); the next write removes them")


@main.command()
@INDEX_OPTION
@click.option("--corpus", default=_setting("corpus_dir"), show_default="QA_CORPUS_DIR, else corpus",
              help="Built into the index on first start if the index is missing.")
@click.option("--host", default=None, help="Address to listen on (default: QA_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default: QA_PORT or 7860).")
@MODEL_OPTION
def serve(index_dir: str, corpus: str, host: str | None, port: int | None, model: str | None) -> None:
    """Open the chat page (Gradio) over the index."""
    from .web import serve as run

    run(index_dir=index_dir, corpus_dir=corpus, host=host, port=port, model=model)


if __name__ == "__main__":
    main()
