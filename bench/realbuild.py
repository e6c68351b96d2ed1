"""One whole build with the real encoder, as `qa` or as the LangChain peer: for timing the two in turns.

    python -m bench.realbuild qa 10000 /tmp/b-qa        # or: peer
    farm-bench -n 3 --warmup 0 --timeout 1500 \\
        --vs "python -m bench.realbuild peer 10000 /tmp/b-peer" -- python -m bench.realbuild qa 10000 /tmp/b-qa

The main benchmark builds with an instant stand-in encoder and adds the real encoder's measured time,
so it cannot see work that runs beside the encoder (qa tokenises in a worker process while the encoder
embeds, `qa/pipeline.py`). This times what a user waits for: N synthetic passages (bench/corpus.py,
seed 7), the bundled USE encoder, the index written to OUT. It prints the wall time and each system's
own split of it.
"""
from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from qa.encoders import load_encoder

from .corpus import synthetic_passages
from .systems import build_peer, build_qa


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[0] not in ("qa", "peer"):
        sys.exit("usage: python -m bench.realbuild qa|peer N OUT")
    system, n, out = argv[0], int(argv[1]), Path(argv[2])
    passages = synthetic_passages(n, seed=7)
    encoder = load_encoder("use-multilingual")
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    built = (build_qa if system == "qa" else build_peer)(passages, encoder, out)
    split = ", ".join(f"{k} {v:.1f} s" for k, v in built.split.items())
    print(f"{system}: {n} passages in {time.perf_counter() - t:.1f} s ({split})")


if __name__ == "__main__":
    main(sys.argv[1:])
