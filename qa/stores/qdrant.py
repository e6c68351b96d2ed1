"""The Qdrant backend: one collection per knowledge base, for a cluster or embedded in this process.

A point is a passage (point id = passage id) with payload doc_id, title, text, position, source and
its sentence spans, and four named vectors: `dense` (passage, cosine, HNSW), `sent` (the passage's
sentence vectors, a multivector compared with MAX_SIM: the best-sentence cosine), and sparse `words`
and `chars` with Qdrant's IDF modifier. Tokenisation stays in qa (`qa.text`): a sparse value is
BM25's term-frequency part, tf / (tf + k1 (1 - b + b len / avglen)), under a stable term id (CRC-32
of the token), and the engine multiplies in the IDF at query time, so scores equal the local BM25's.
The four raw score lists come back from the engine; fusion stays qa's (retrieve.py).

BM25's average length is fixed when the first passages are written and stored in the manifest. A
bulk build re-weights once at its end if the first chunk misjudged it by over 1%; after that `qa add` keeps
the stored average (a new document never rewrites the others) and warns when the corpus average has
drifted past `REWEIGHT_DRIFT`; `qa index --reweight` (`QdrantStore.reweight`) re-weights every point.
"""
from __future__ import annotations

import atexit
import logging
import re
import time
import zlib
from collections import Counter
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import CorruptIndexError, InputError
from ..types import DocInfo, Passage
from . import Batch, Candidates
from .qdrant_engines import CHARS, DENSE, SENT, WORDS, ClientEngine, EdgeEngine, Engine, Layout, Search

if TYPE_CHECKING:
    from ..config import Manifest, Settings
    from ..query import Query

log = logging.getLogger(__name__)

K1, B = 1.2, 0.75  # as the local BM25 (bm25s' defaults)
CHUNK = 256  # points per upsert: bounded memory however large the batch
REWEIGHT_DRIFT = 0.10  # warn on `qa add` when the corpus' average length moved this much
BUILD_DRIFT = 0.01  # a bulk build re-weights at its end past this
_RETIRED = "qdrant-retired.json"  # beside the manifest: collections of replaced indexes, dropped on the next open
BUILDING = "qdrant-building.json"  # beside the manifest while a build runs: its collection, for resuming
_MEMORY: dict[str, ClientEngine] = {}  # ":memory:" collections live as long as the process


@atexit.register
def _close_memory() -> None:
    for engine in _MEMORY.values():
        engine.close()
    _MEMORY.clear()


def term_id(token: str) -> int:
    """A token's sparse index: CRC-32 of its UTF-8, the same in every process and on every machine.
    Two tokens sharing an id merge (about n^2 / 2^33 pairs among n distinct tokens)."""
    return zlib.crc32(token.encode("utf-8"))


def term_counts(tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
    """A passage's distinct term ids (sorted), their counts, and its length in tokens: compact, so a
    whole batch's can be held while its average length is measured (token strings cost ~80 bytes each)."""
    counts = Counter(term_id(t) for t in tokens)
    ids = np.array(sorted(counts), dtype=np.uint32)
    return ids, np.array([counts[i] for i in ids.tolist()], dtype=np.float32), len(tokens)


def tf_weights(terms: tuple[np.ndarray, np.ndarray, int], avglen: float) -> tuple[list[int], list[float]]:
    """Sparse (indices, values) of a passage: BM25's term-frequency part of each distinct token."""
    ids, tf, length = terms
    norm = K1 * (1 - B + B * length / max(avglen, 1e-9))
    return ids.tolist(), (tf / (tf + norm)).tolist()


def query_weights(tokens: Sequence[str]) -> tuple[list[int], list[float]]:
    """Sparse query: each distinct token with its count (a repeated query token counts again, as in
    the local BM25)."""
    counts = Counter(term_id(t) for t in tokens)
    ids = sorted(counts)
    return ids, [float(counts[i]) for i in ids]


class QdrantStore:
    """A knowledge base in a Qdrant collection, changed in place (no index directory rewrite)."""

    kind = "qdrant"
    in_place = True

    def __init__(self, engine: Engine, dim: int, facts: dict):
        self._engine = engine
        self.dim = dim
        self._facts = facts  # engine, collection, url, avglen_*, tokens_*, next_id: recorded in the manifest
        self._docs: dict[str, list] | None = None  # doc_id -> [title, passages, source], read lazily
        self._passages: dict[int, Passage] = {}  # small cache of payloads read
        self._n = engine.count() if engine.exists() else 0
        self._dirty = False
        self._retired: dict | None = None  # the collection of the index this one replaces
        self._building = False  # written from empty since the last save: a bulk build
        self._marker: Path | None = None  # while a build runs: its collection, noted beside the index
        self._layout: Layout | None = None

    # -- where the collection lives -------------------------------------------------------------
    @staticmethod
    def _engine(facts: dict, directory: Path, settings: "Settings") -> Engine:
        where, name = facts["engine"], facts["collection"]
        if where == "edge":
            return EdgeEngine(directory / "qdrant" / name)
        if where == "client-disk":
            return ClientEngine(name, path=directory / "qdrant")
        if where == "memory":
            return _MEMORY.setdefault(name, ClientEngine(name, url=":memory:"))
        return ClientEngine(name, url=settings.qdrant_url or facts.get("url", ""), api_key=settings.qdrant_api_key)

    @classmethod
    def create(cls, settings: "Settings", directory: Path, dim: int, expected_size: int = 0) -> "QdrantStore":
        """A new collection for the index at `directory`; an index already there stays usable until
        the new manifest replaces its own (its collection is dropped when the index is next opened).

        A build of this directory that was interrupted left its collection and a marker: the same
        build asked again continues in that collection (see `resume_point`)."""
        directory = Path(directory)
        marker = directory / BUILDING
        if directory.exists() and any(directory.iterdir()) and not (directory / "manifest.json").exists() and not marker.exists():
            raise InputError(f"{directory} exists and is not a qa index; choose another --index directory")
        url = settings.qdrant_url
        where = ("memory" if url == ":memory:" else "server") if url else settings.qdrant_local
        if where not in ("edge", "client-disk", "memory", "server"):
            raise InputError(f"QA_QDRANT_LOCAL={where!r}: use edge (the engine in-process), client-disk or memory")
        layout = Layout(dim, shards=settings.qdrant_shards, replicas=settings.qdrant_replicas)
        store = cls._unfinished(marker, directory, settings, where, url, layout)
        if store is None:
            base = settings.qdrant_collection or re.sub(r"[^A-Za-z0-9_-]+", "_", directory.resolve().name) or "qa"
            name = f"{base}-{time.strftime('%Y%m%d%H%M%S')}-{time.time_ns() % 1_000_000:06d}"
            facts = {"engine": where, "collection": name, "url": url if where == "server" else "", "dim": dim,
                     "avglen_words": 0.0, "avglen_chars": 0.0, "tokens_words": 0, "tokens_chars": 0, "sentences": 0, "next_id": 0}
            engine = cls._engine(facts, directory, settings)
            engine.create(layout)
            store = cls(engine, dim, facts)
        store._layout, store._marker = layout, marker
        store._mark()
        store._retire_previous(directory)
        return store

    @classmethod
    def _unfinished(cls, marker: Path, directory: Path, settings: "Settings", where: str, url: str, layout: Layout) -> "QdrantStore | None":
        """The collection an interrupted build of this directory left, if it was made the same way."""
        import json

        if not marker.exists() or where == "memory":
            return None
        try:
            facts = json.loads(marker.read_text(encoding="utf-8"))
        except ValueError:
            return None
        if (facts.get("engine"), facts.get("url", ""), facts.get("dim")) != (where, url if where == "server" else "", layout.dim):
            return None
        engine = cls._engine(facts, directory, settings)
        if not engine.exists():
            return None
        store = cls(engine, layout.dim, facts)
        store._recount()
        log.info("continuing the interrupted build in collection %s (%d passages stored)", facts["collection"], store._n)
        return store

    def _recount(self) -> None:
        """Totals of what the collection holds, from its payloads (after an interruption the marker's are stale)."""
        f = self._facts
        f["tokens_words"] = f["tokens_chars"] = f["sentences"] = 0
        top = -1
        for pid, pl in self._engine.scroll(["len_words", "len_chars", "spans"]):
            f["tokens_words"] += int(pl.get("len_words", 0))
            f["tokens_chars"] += int(pl.get("len_chars", 0))
            f["sentences"] += len(pl.get("spans", ()))
            top = max(top, pid)
        f["next_id"] = top + 1
        self._n = self._engine.count()
        self._resumable = True

    def _mark(self) -> None:
        """Note the collection being built (and the average lengths its weights use) beside the index."""
        import json

        if self._marker is None or self._facts["engine"] == "memory":
            return
        self._marker.parent.mkdir(parents=True, exist_ok=True)
        self._marker.write_text(json.dumps(self._facts, ensure_ascii=False), encoding="utf-8")

    def resume_point(self, passages: Sequence[Passage]) -> int:
        """How many leading `passages` an interrupted build already stored (0 for a new collection).

        They are skipped, embedding included. Passages are stored in order under ids 0, 1, ...; the
        last one stored must be the same passage, else the corpus changed and the build starts over."""
        n = self._n
        if not getattr(self, "_resumable", False) or not n:
            return 0
        got = self._engine.retrieve([n - 1]) if self._facts["next_id"] == n and n <= len(passages) else []
        if got and _passage(got[0][1]) == passages[n - 1]:
            self._building = True
            return n
        log.info("the interrupted build was of other passages: starting over")
        self._engine.drop()
        self._engine.create(self._layout)
        f = self._facts
        f.update(avglen_words=0.0, avglen_chars=0.0, tokens_words=0, tokens_chars=0, sentences=0, next_id=0)
        self._n, self._docs, self._resumable = 0, None, False
        self._mark()
        return 0

    @classmethod
    def open(cls, manifest: "Manifest", directory: Path, settings: "Settings") -> "QdrantStore":
        facts = dict(manifest.store_facts)
        if "collection" not in facts or "engine" not in facts:
            raise CorruptIndexError(f"index {directory}: its manifest names no Qdrant collection; rebuild it with `qa index --store qdrant`")
        _drop_retired(directory, settings, keep=facts["collection"])
        engine = cls._engine(facts, Path(directory), settings)
        if not engine.exists():
            raise CorruptIndexError(f"index {directory}: Qdrant collection {facts['collection']!r} ({facts['engine']}) is missing; rebuild it with `qa index --store qdrant`")
        return cls(engine, manifest.dim, facts)

    def _retire_previous(self, directory: Path) -> None:
        """Remember the collection of the index this one will replace, to drop once the manifest moved on."""
        from ..config import Manifest

        if not (directory / "manifest.json").exists():
            return
        try:
            old = Manifest.load(directory)
        except CorruptIndexError:
            return
        if old.store == self.kind and "collection" in old.store_facts:
            self._retired = dict(old.store_facts)

    # -- reading --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    def passage(self, pid: int) -> Passage:
        p = self._passages.get(pid)
        if p is None:
            got = self._engine.retrieve([pid])
            if not got:
                raise KeyError(pid)
            p = _passage(got[0][1])
            if len(self._passages) > 4096:
                self._passages.clear()
            self._passages[pid] = p
        return p

    def documents(self) -> list[DocInfo]:
        if self._docs is None:
            docs: dict[str, list] = {}
            for _, pl in self._engine.scroll(["doc_id", "title", "source"]):
                docs.setdefault(pl["doc_id"], [pl.get("title", ""), 0, pl.get("source", "")])[1] += 1
            self._docs = docs
        return [DocInfo(d, t, n, s) for d, (t, n, s) in self._docs.items()]

    def candidates(self, query: "Query", qvec: np.ndarray | Future | None, n: int) -> Candidates:
        """Three top-n lists in one batched call; then, in a second, each list's exact score for the
        candidates the others brought (the local backend scores every candidate under every retriever)."""
        if isinstance(qvec, Future):
            qvec = qvec.result()
        reqs = self._requests(query, qvec, n)
        if not reqs or not self._n:
            return Candidates(np.zeros(0, np.int64), {k: np.zeros(0, np.float32) for k in ("bm25_words", "bm25_chars", "dense_passage")})
        found = dict(zip(reqs, self._engine.search(list(reqs.values()))))
        scores = {name: {f.id: f.score for f in hits} for name, hits in found.items()}
        pids = np.array(sorted(set().union(*scores.values())), dtype=np.int64)
        missing = {name: [int(p) for p in pids if int(p) not in s] for name, s in scores.items()}
        fill = [name for name in scores if missing[name] and name != "dense_passage"]
        if fill:
            more = self._engine.search([Search(reqs[name].using, reqs[name].vector, len(missing[name]), ids=missing[name]) for name in fill])
            for name, hits in zip(fill, more):
                scores[name].update((f.id, f.score) for f in hits)
        raw = {}
        for name in ("bm25_words", "bm25_chars", "dense_passage"):
            s = scores.get(name, {})
            # Keyword scores absent after the fill share no token with the query: 0, as locally. The
            # passage cosine outside its top n gets the lowest listed one, as the local backend does.
            floor = min(s.values(), default=0.0) if name == "dense_passage" else 0.0
            raw[name] = np.array([s.get(int(p), floor) for p in pids], dtype=np.float32)
        return Candidates(pids, raw)

    @staticmethod
    def _requests(query: "Query", qvec: np.ndarray | None, n: int) -> dict[str, Search]:
        reqs = {}
        if query.words:
            reqs["bm25_words"] = Search(WORDS, query_weights(query.words), n)
        if query.chars:
            reqs["bm25_chars"] = Search(CHARS, query_weights(query.chars), n)
        if qvec is not None:
            reqs["dense_passage"] = Search(DENSE, np.asarray(qvec, dtype=np.float32).ravel().tolist(), n)
        return reqs

    def sentence_scores(self, pids: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """MAX_SIM of the one-vector query against each candidate's sentence vectors, in the engine."""
        out = np.full(len(pids), -1.0, dtype=np.float32)
        if not len(pids):
            return out
        q = [np.asarray(qvec, dtype=np.float32).ravel().tolist()]
        (hits,) = self._engine.search([Search(SENT, q, len(pids), ids=[int(p) for p in pids])])
        got = {f.id: f.score for f in hits}
        for i, p in enumerate(pids.tolist()):
            out[i] = got.get(p, -1.0)
        return out

    def sentences(self, pid: int) -> tuple[np.ndarray, np.ndarray]:
        got = self._engine.retrieve([pid], vector=SENT)
        if not got or not got[0][1].get("spans"):
            return np.zeros((0, 2), np.int32), np.zeros((0, self.dim), np.float32)
        _, payload, vecs = got[0]
        return np.array(payload["spans"], dtype=np.int32).reshape(-1, 2), np.asarray(vecs, dtype=np.float32).reshape(-1, self.dim)

    def idf(self, tokens: Sequence[str]) -> np.ndarray:
        """The engine's own IDF of each token: the top passage for the token alone scores idf * its
        stored weight, so idf = score / weight (a token in no passage gets the highest, as locally)."""
        n = max(self._n, 1)
        top = np.log(1.0 + (n + 0.5) / 0.5)
        uniq = sorted(set(tokens))
        if not uniq or not self._n:
            return np.full(len(tokens), top)
        hits = self._engine.search([Search(CHARS, ([term_id(t)], [1.0]), 1, with_vector=True) for t in uniq])
        value = {}
        for t, h in zip(uniq, hits):
            if h:
                idx, vals = h[0].vector
                w = dict(zip(idx, vals)).get(term_id(t), 0.0)
                value[t] = h[0].score / w if w > 0 else top
        return np.array([value.get(t, top) for t in tokens], dtype=np.float64)

    def verify(self, manifest: "Manifest", full: bool = False) -> list[str]:
        """What is inconsistent between the collection and the manifest, one line per problem.

        Only with `full` (`qa check`): the point count, every payload, its spans within its text, ids
        below the next id, and the sentence count. Not on every open: the collection changes in place,
        so while a writer adds, the count runs ahead of the manifest it has not yet replaced."""
        name = f"Qdrant collection {self._facts['collection']!r}"
        if not full:
            return []
        problems = []
        if self._n != manifest.passages:
            problems.append(f"{name} holds {self._n} passages, manifest.json says {manifest.passages}")
            return problems
        sentences, top = 0, -1
        for pid, pl in self._engine.scroll(["doc_id", "text", "spans"]):
            top = max(top, pid)
            spans, text = pl.get("spans", []), pl.get("text")
            if not isinstance(pl.get("doc_id"), str) or not isinstance(text, str):
                problems.append(f"{name}: passage {pid} has no doc_id or text")
                continue
            if any(not (0 <= a < b <= len(text)) for a, b in spans):
                problems.append(f"{name}: passage {pid} has sentence spans outside its text")
            sentences += len(spans)
        if top >= self.next_id():
            problems.append(f"{name} holds passage id {top}, at or above the next id {self.next_id()} in manifest.json")
        if sentences != manifest.sentences:
            problems.append(f"{name} holds {sentences} sentences, manifest.json says {manifest.sentences}")
        return problems[:20]

    def facts(self) -> dict:
        return {"store": self.kind, "vector_index": "hnsw", **self._facts}

    @property
    def sentence_count(self) -> int:
        return int(self._facts["sentences"])

    # -- changing -------------------------------------------------------------------------------
    def next_id(self) -> int:
        return int(self._facts["next_id"])

    def add(self, batch: Batch) -> None:
        """Upsert the batch CHUNK points at a time (idempotent: a point is keyed by its passage id).

        Term counts of the whole batch are taken first: into an empty store, the batch's average
        length becomes the one the weights use (a build's first chunk of 8192 passages: within ~1%)."""
        self._building = self._building or self._n == 0
        terms = [(term_counts(w), term_counts(c)) for w, c in zip(batch.words, batch.chars)]
        f = self._facts
        f["tokens_words"] += sum(w[2] for w, _ in terms)
        f["tokens_chars"] += sum(c[2] for _, c in terms)
        if not f["avglen_words"] and terms:  # the first passages fix the average until a re-weight
            f["avglen_words"] = max(sum(w[2] for w, _ in terms) / len(terms), 1.0)
            f["avglen_chars"] = max(sum(c[2] for _, c in terms) / len(terms), 1.0)
            self._mark()  # a resumed build must weigh its passages as these were
        counts = [len(sp) for sp in batch.sentence_spans]
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        docs = self._docs
        for lo in range(0, len(batch.ids), CHUNK):
            points = []
            for i in range(lo, min(lo + CHUNK, len(batch.ids))):
                p, (w, c) = batch.passages[i], terms[i]
                payload = {"doc_id": p.doc_id, "title": p.title, "text": p.text, "position": p.position, "source": p.source,
                           "spans": [list(s) for s in batch.sentence_spans[i]], "len_words": w[2], "len_chars": c[2]}
                vecs = {DENSE: np.asarray(batch.vectors[i], dtype=np.float32).tolist()}
                if counts[i]:
                    vecs[SENT] = np.asarray(batch.sentence_vectors[starts[i]:starts[i + 1]], dtype=np.float32).tolist()
                if w[2]:
                    vecs[WORDS] = tf_weights(w, f["avglen_words"])
                if c[2]:
                    vecs[CHARS] = tf_weights(c, f["avglen_chars"])
                points.append((int(batch.ids[i]), payload, vecs))
                if docs is not None:
                    docs.setdefault(p.doc_id, [p.title, 0, p.source])[1] += 1
            self._engine.upsert(points)
            self._n += len(points)
            f["next_id"] = max(f["next_id"], int(batch.ids[lo + len(points) - 1]) + 1)
        f["sentences"] += int(sum(counts))
        self._dirty = True
        drift = self.drift()
        if not self._building and drift > REWEIGHT_DRIFT:
            log.warning("BM25 average passage length has drifted %.0f%% since the index was weighted; "
                        "run `qa index --reweight --index DIR` to re-weight every passage", 100 * drift)

    def drift(self) -> float:
        """How far the corpus' average passage length is from the one the stored weights use."""
        f, n = self._facts, max(self._n, 1)
        if not f["avglen_words"]:
            return 0.0
        return max(abs(f["tokens_words"] / n / f["avglen_words"] - 1), abs(f["tokens_chars"] / n / f["avglen_chars"] - 1))

    def reweight(self) -> int:
        """Recompute every point's sparse weights with the current average lengths; returns how many."""
        from ..index import indexed_text
        from ..text import char_tokens, word_tokens

        f, n = self._facts, max(self._n, 1)
        f["avglen_words"] = max(f["tokens_words"] / n, 1.0)
        f["avglen_chars"] = max(f["tokens_chars"] / n, 1.0)
        done, chunk = 0, []
        for pid, pl in self._engine.scroll(["title", "text"]):
            text = indexed_text(Passage("", pl.get("title", ""), pl.get("text", ""), 0))
            w, c = term_counts(word_tokens(text)), term_counts(char_tokens(text))
            vecs = {}
            if w[2]:
                vecs[WORDS] = tf_weights(w, f["avglen_words"])
            if c[2]:
                vecs[CHARS] = tf_weights(c, f["avglen_chars"])
            chunk.append((pid, vecs))
            if len(chunk) == CHUNK:
                self._engine.update_vectors(chunk)
                done, chunk = done + len(chunk), []
        if chunk:
            self._engine.update_vectors(chunk)
            done += len(chunk)
        self._dirty = True
        log.info("re-weighted %d passages (average lengths %.1f words, %.1f characters)", done, f["avglen_words"], f["avglen_chars"])
        return done

    def delete(self, doc_id: str) -> int:
        """Delete the document's points by a filter on doc_id; no other point is touched."""
        ids = self._engine.ids_of(doc_id)
        if not ids:
            raise InputError(f"no document with id {doc_id!r} in the index; `qa list` shows the ids")
        for _, pl, _ in self._engine.retrieve(ids):
            self._facts["tokens_words"] -= int(pl.get("len_words", 0))
            self._facts["tokens_chars"] -= int(pl.get("len_chars", 0))
            self._facts["sentences"] -= len(pl.get("spans", ()))
        self._engine.delete_doc(doc_id)
        self._n -= len(ids)
        for pid in ids:
            self._passages.pop(pid, None)
        if self._docs is not None:
            self._docs.pop(doc_id, None)
        self._dirty = True
        return len(ids)

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """Flush (and on the embedded engine, optimize) the collection; note a replaced one for dropping.
        A bulk build ends here: it re-weights once if its first passages misjudged the average length."""
        if self._building and self.drift() > BUILD_DRIFT:
            self.reweight()
        self._building = False
        if self._dirty:
            self._engine.flush()
            if hasattr(self._engine, "optimize"):
                self._engine.optimize()
            self._dirty = False
        if self._marker is not None:  # the build is complete: the manifest, written next, names the collection
            self._marker.unlink(missing_ok=True)
            self._marker = None
        retired = self._retired
        if retired and retired.get("collection") != self._facts["collection"]:
            _write_retired(Path(directory), retired)

    def close(self) -> None:
        if self._facts["engine"] != "memory":  # an in-memory collection lives as long as the process, as a server's would
            self._engine.close()


def _passage(pl: dict) -> Passage:
    return Passage(pl["doc_id"], pl.get("title", ""), pl.get("text", ""), int(pl.get("position", 0)), pl.get("source", ""))


# -- collections of replaced indexes ---------------------------------------------------------------



def _write_retired(directory: Path, facts: dict) -> None:
    import json

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / _RETIRED
    old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    path.write_text(json.dumps(old + [facts], ensure_ascii=False), encoding="utf-8")


def _drop_retired(directory: Path, settings: "Settings", keep: str) -> None:
    """Drop the collections of indexes this directory's manifest has replaced (never the one it names)."""
    import json

    path = Path(directory) / _RETIRED
    if not path.exists():
        return
    try:
        retired = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        retired = []
    for facts in retired:
        if facts.get("collection") in (None, keep):
            continue
        try:
            engine = QdrantStore._engine(facts, Path(directory), settings)
            if engine.exists():
                engine.drop()
            engine.close()
        except Exception as e:  # noqa: BLE001 - a collection that cannot be dropped is left, and said so
            log.warning("could not drop the replaced Qdrant collection %s: %s", facts.get("collection"), e)
    path.unlink(missing_ok=True)
