"""Where a Qdrant collection lives: the two ways of reaching the engine, behind one small interface.

`EdgeEngine` (package qdrant-edge-py) runs the real Qdrant engine in this process, on disk under the
index directory: the same segments, HNSW graphs, inverted sparse indexes and IDF as a server.
`ClientEngine` (qdrant-client) talks to a Qdrant server or cluster, or runs qdrant-client's own
"local mode": a Python re-implementation that searches by brute force (sparse dot products in a Python
loop: 0.3 s a query at 2k passages against 2.5 ms on the edge engine, measured), good for tests only.

The store (qdrant.py) speaks to either through the same few calls, with plain Python values:
a vector is a list (dense), a list of lists (multivector) or an (indices, values) pair (sparse).
"""
from __future__ import annotations

import atexit
import logging
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Protocol, Sequence

from ..errors import CorruptIndexError, IndexBusyError, QAError


class StoreUnreachableError(QAError):
    """The Qdrant server or cluster named by QA_QDRANT_URL cannot be reached."""

log = logging.getLogger(__name__)

# Named vectors of a collection. Sentence vectors are only compared with a handful of candidates a
# query (and read for answering), so they get no HNSW graph, half-precision storage, and stay on disk.
DENSE, SENT, WORDS, CHARS = "dense", "sent", "words", "chars"


@dataclass(frozen=True)
class Search:
    """One nearest-neighbour request: `vector` against the named vector `using`, optionally among `ids`."""

    using: str
    vector: Any
    limit: int
    ids: Sequence[int] | None = None
    with_vector: bool = False


@dataclass(frozen=True)
class Found:
    id: int
    score: float
    vector: Any = None  # the stored vector named in the request, when asked for


@dataclass(frozen=True)
class Layout:
    """How a collection is created (a server honours shards and replicas; embedded engines have one shard)."""

    dim: int
    shards: int = 1
    replicas: int = 1


class Engine(Protocol):
    def exists(self) -> bool: ...
    def create(self, layout: Layout) -> None: ...
    def upsert(self, points: list[tuple[int, dict, dict]]) -> None: ...
    def update_vectors(self, points: list[tuple[int, dict]]) -> None: ...
    def delete_doc(self, doc_id: str) -> None: ...
    def count(self) -> int: ...
    def search(self, requests: list[Search]) -> list[list[Found]]: ...
    def retrieve(self, ids: Sequence[int], vector: str | None = None) -> list[tuple[int, dict, Any]]: ...
    def scroll(self, fields: Sequence[str] | None, batch: int = 1000) -> Iterator[tuple[int, dict]]: ...
    def ids_of(self, doc_id: str) -> list[int]: ...
    def flush(self) -> None: ...
    def drop(self) -> None: ...
    def close(self) -> None: ...


# An embedded collection is locked by the process that opens it (qdrant-edge's write-ahead log,
# qdrant-client's folder lock): opened twice in one process, it is shared, and closed with its last user.
_OPEN: dict[str, list] = {}  # resolved path -> [handle, users]
_OPEN_LOCK = threading.Lock()


@atexit.register
def _close_all() -> None:
    """Close what is still open before the interpreter tears down the modules the closers need."""
    with _OPEN_LOCK:
        entries = list(_OPEN.values())
        _OPEN.clear()
    for handle, _ in entries:
        try:
            handle.close()
        except Exception:  # noqa: BLE001 - at exit there is no one left to tell
            pass


def _acquire(path: Path, opener):
    key = str(Path(path).resolve())
    with _OPEN_LOCK:
        if key not in _OPEN:
            _OPEN[key] = [opener(), 0]
        _OPEN[key][1] += 1
        return _OPEN[key][0]


def _release(path: Path, closer) -> None:
    key = str(Path(path).resolve())
    with _OPEN_LOCK:
        entry = _OPEN.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del _OPEN[key]
            closer(entry[0])


# -- qdrant-edge: the engine in-process ---------------------------------------------------------------
class EdgeEngine:
    """One Qdrant shard in this process, in a directory (qdrant-edge-py). One process at a time owns it."""

    def __init__(self, path: Path):
        import qdrant_edge

        self._q = qdrant_edge
        self.path = Path(path)
        self._shard = None
        if self.exists():
            self._shard = _acquire(self.path, self._load)

    def _load(self):
        try:
            return self._q.EdgeShard.load(str(self.path))
        except Exception as e:  # the binding raises a bare Exception; a held write-ahead log is the usual cause
            if "WouldBlock" in str(e):
                raise IndexBusyError(f"the embedded Qdrant store {self.path} is open in another process (the embedded engine "
                                     f"serves one process at a time); close it, or put the index on a Qdrant server (QA_QDRANT_URL)") from None
            raise CorruptIndexError(f"cannot open the embedded Qdrant store {self.path}: {str(e).splitlines()[0]}; rebuild it with `qa index --store qdrant`") from None

    def exists(self) -> bool:
        return self.path.is_dir() and any(self.path.iterdir())

    def create(self, layout: Layout) -> None:
        q = self._q
        no_graph = q.HnswIndexConfig(m=0, ef_construct=100, full_scan_threshold=10_000)
        config = q.EdgeConfig(
            vectors={
                DENSE: q.EdgeVectorParams(size=layout.dim, distance=q.Distance.Cosine),
                SENT: q.EdgeVectorParams(size=layout.dim, distance=q.Distance.Cosine,
                                         multivector_config=q.MultiVectorConfig(q.MultiVectorComparator.MaxSim),
                                         datatype=q.VectorStorageDatatype.Float16, hnsw_config=no_graph,
                                         memory=q.Memory.Cold),
            },
            sparse_vectors={WORDS: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf),
                            CHARS: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf)},
        )
        self.path.mkdir(parents=True, exist_ok=True)
        self._shard = _acquire(self.path, lambda: q.EdgeShard.create(str(self.path), config))
        self._shard.update(q.UpdateOperation.create_field_index("doc_id", q.PayloadSchemaType.Keyword))

    def _vector(self, v):
        return self._q.SparseVector(list(v[0]), list(v[1])) if isinstance(v, tuple) else v

    def upsert(self, points):
        q = self._q
        pts = [q.Point(pid, {k: self._vector(v) for k, v in vecs.items()}, payload) for pid, payload, vecs in points]
        self._shard.update(q.UpdateOperation.upsert_points(pts))

    def update_vectors(self, points):
        q = self._q
        pvs = [q.PointVectors(pid, {k: self._vector(v) for k, v in vecs.items()}) for pid, vecs in points]
        self._shard.update(q.UpdateOperation.update_vectors(pvs))

    def _doc_filter(self, doc_id: str):
        q = self._q
        return q.Filter(must=[q.FieldCondition("doc_id", match=q.MatchValue(doc_id))])

    def delete_doc(self, doc_id: str) -> None:
        self._shard.update(self._q.UpdateOperation.delete_points_by_filter(self._doc_filter(doc_id)))

    def count(self) -> int:
        return int(self._shard.count(self._q.CountRequest(exact=True)))

    def search(self, requests):
        q = self._q
        reqs = [q.QueryRequest(limit=r.limit, query=q.Query.Nearest(self._vector(r.vector), using=r.using),
                               filter=q.Filter(must=[q.HasIdCondition(set(r.ids))]) if r.ids is not None else None,
                               with_vector=[r.using] if r.with_vector else False, with_payload=False)
                for r in requests]
        out = self._shard.query_batch(q.QueryBatchRequest(reqs))
        return [[Found(int(p.id), float(p.score), _named(p.vector, r.using) if r.with_vector else None) for p in res]
                for r, res in zip(requests, out)]

    def retrieve(self, ids, vector=None):
        recs = self._shard.retrieve(list(ids), with_payload=True, with_vector=[vector] if vector else False)
        return [(int(r.id), dict(r.payload or {}), _named(r.vector, vector) if vector else None) for r in recs]

    def scroll(self, fields, batch=1000):
        q = self._q
        payload = q.PayloadSelector.Include(list(fields)) if fields else True
        offset = None
        while True:
            recs, offset = self._shard.scroll(q.ScrollRequest(offset=offset, limit=batch, with_payload=payload, with_vector=False))
            for r in recs:
                yield int(r.id), dict(r.payload or {})
            if offset is None:
                return

    def ids_of(self, doc_id):
        q = self._q
        out, offset = [], None
        while True:
            recs, offset = self._shard.scroll(q.ScrollRequest(offset=offset, limit=1000, filter=self._doc_filter(doc_id),
                                                              with_payload=False, with_vector=False))
            out.extend(int(r.id) for r in recs)
            if offset is None:
                return out

    def flush(self) -> None:
        self._shard.flush()

    def optimize(self) -> None:
        """Merge segments and build the HNSW graph (the edge engine has no background optimizer)."""
        self._shard.optimize()

    def drop(self) -> None:
        import shutil

        self.close()
        shutil.rmtree(self.path, ignore_errors=True)

    def close(self) -> None:
        if self._shard is not None:
            _release(self.path, lambda shard: shard.close())
            self._shard = None


def _named(vector, name):
    """The vector called `name` out of an engine's vector record, as plain values."""
    v = vector.get(name) if isinstance(vector, dict) else vector
    if v is not None and hasattr(v, "indices"):
        return list(v.indices), list(v.values)
    return v


# -- qdrant-client: a server, a cluster, or the client's local mode ----------------------------------
def _local_client(cls, path):
    try:
        return cls(path=str(path))
    except RuntimeError as e:
        if "already accessed" in str(e):
            raise IndexBusyError(f"the Qdrant local-mode store {path} is open in another process; close it, or use a Qdrant server (QA_QDRANT_URL)") from None
        raise


class ClientEngine:
    """A collection reached through qdrant-client: `url` of a server or cluster, `path` (local mode on
    disk) or `:memory:` (local mode in memory)."""

    def __init__(self, collection: str, url: str = "", api_key: str = "", path: Path | None = None, timeout: int = 60):
        from qdrant_client import QdrantClient, models

        self._m = models
        self.collection = collection
        self._path: Path | None = None
        if url == ":memory:":
            self._client = QdrantClient(location=":memory:")
        elif url:
            self._client = QdrantClient(url=url, api_key=api_key or None, timeout=timeout)
        else:
            self._path = Path(path)
            self._client = _acquire(self._path, lambda: _local_client(QdrantClient, path))

    def exists(self) -> bool:
        try:
            return self._client.collection_exists(self.collection)
        except Exception as e:  # noqa: BLE001 - connection refused, timeouts, auth: all mean "cannot reach it"
            raise StoreUnreachableError(f"cannot reach the Qdrant collection {self.collection!r}: {e.__class__.__name__}: "
                                        f"{str(e).splitlines()[0] if str(e) else ''}; check QA_QDRANT_URL and QA_QDRANT_API_KEY") from None

    def create(self, layout: Layout) -> None:
        m = self._m
        self._client.create_collection(
            self.collection,
            vectors_config={
                DENSE: m.VectorParams(size=layout.dim, distance=m.Distance.COSINE),
                SENT: m.VectorParams(size=layout.dim, distance=m.Distance.COSINE, on_disk=True,
                                     multivector_config=m.MultiVectorConfig(comparator=m.MultiVectorComparator.MAX_SIM),
                                     datatype=m.Datatype.FLOAT16, hnsw_config=m.HnswConfigDiff(m=0)),
            },
            sparse_vectors_config={WORDS: m.SparseVectorParams(modifier=m.Modifier.IDF),
                                   CHARS: m.SparseVectorParams(modifier=m.Modifier.IDF)},
            shard_number=layout.shards, replication_factor=layout.replicas, on_disk_payload=True,
        )
        with warnings.catch_warnings():  # local mode says it has no payload indexes; a server builds this one
            warnings.simplefilter("ignore", UserWarning)
            self._client.create_payload_index(self.collection, "doc_id", m.PayloadSchemaType.KEYWORD)

    def _vector(self, v):
        return self._m.SparseVector(indices=list(v[0]), values=list(v[1])) if isinstance(v, tuple) else v

    def upsert(self, points):
        m = self._m
        pts = [m.PointStruct(id=pid, vector={k: self._vector(v) for k, v in vecs.items()}, payload=payload)
               for pid, payload, vecs in points]
        self._client.upsert(self.collection, points=pts, wait=True)

    def update_vectors(self, points):
        m = self._m
        pvs = [m.PointVectors(id=pid, vector={k: self._vector(v) for k, v in vecs.items()}) for pid, vecs in points]
        self._client.update_vectors(self.collection, points=pvs, wait=True)

    def _doc_filter(self, doc_id: str):
        m = self._m
        return m.Filter(must=[m.FieldCondition(key="doc_id", match=m.MatchValue(value=doc_id))])

    def delete_doc(self, doc_id: str) -> None:
        self._client.delete(self.collection, points_selector=self._m.FilterSelector(filter=self._doc_filter(doc_id)), wait=True)

    def count(self) -> int:
        return int(self._client.count(self.collection, exact=True).count)

    def search(self, requests):
        m = self._m
        reqs = [m.QueryRequest(query=self._vector(r.vector), using=r.using, limit=r.limit,
                               filter=m.Filter(must=[m.HasIdCondition(has_id=list(r.ids))]) if r.ids is not None else None,
                               with_vector=[r.using] if r.with_vector else False, with_payload=False)
                for r in requests]
        out = self._client.query_batch_points(self.collection, requests=reqs)
        return [[Found(int(p.id), float(p.score), _named(p.vector, r.using) if r.with_vector else None) for p in res.points]
                for r, res in zip(requests, out)]

    def retrieve(self, ids, vector=None):
        recs = self._client.retrieve(self.collection, ids=list(ids), with_payload=True, with_vectors=[vector] if vector else False)
        return [(int(r.id), dict(r.payload or {}), _named(r.vector, vector) if vector else None) for r in recs]

    def scroll(self, fields, batch=1000):
        offset = None
        while True:
            recs, offset = self._client.scroll(self.collection, limit=batch, offset=offset,
                                               with_payload=list(fields) if fields else True, with_vectors=False)
            for r in recs:
                yield int(r.id), dict(r.payload or {})
            if offset is None:
                return

    def ids_of(self, doc_id):
        out, offset = [], None
        while True:
            recs, offset = self._client.scroll(self.collection, scroll_filter=self._doc_filter(doc_id), limit=1000,
                                               offset=offset, with_payload=False, with_vectors=False)
            out.extend(int(r.id) for r in recs)
            if offset is None:
                return out

    def flush(self) -> None:
        pass  # a server persists each acknowledged write; local mode writes through to its file

    def optimize(self) -> None:
        pass  # a server optimizes in the background

    def drop(self) -> None:
        self._client.delete_collection(self.collection)

    def close(self) -> None:
        if self._path is not None:
            _release(self._path, lambda client: client.close())
        else:
            self._client.close()
